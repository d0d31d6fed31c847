"""The merchant feed: every row meets Google Merchant Center's rules for its attributes."""

import csv
import io
import re
from decimal import Decimal
from urllib.parse import urlsplit
from xml.etree import ElementTree

from django.conf import settings as django_settings

import pytest

from catalog.currencies import ISO_4217_CODES
from catalog.integrations import feeds
from catalog.models import Offer
from catalog.validators import gtin_check_digit

from .factories import (
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    VideoFactory,
    VideoProductFactory,
)

pytestmark = pytest.mark.django_db

G = "{http://base.google.com/ns/1.0}"
REQUIRED = ["id", "title", "description", "link", "image_link", "availability", "price", "brand"]
AVAILABILITY = {"in_stock", "out_of_stock", "preorder", "backorder"}


def assert_merchant_center_rules(row: dict) -> None:
    """The attribute rules of Merchant Center's product data specification."""
    for name in REQUIRED:
        assert row.get(name), f"{name} is required"
    assert len(row["id"]) <= 50
    assert len(row["title"]) <= 150
    assert len(row["description"]) <= 5000
    assert len(row["brand"]) <= 70
    for name in ("link", "image_link"):
        parts = urlsplit(row[name])
        assert parts.scheme in {"http", "https"} and parts.netloc, f"{name} must be absolute"
        assert len(row[name]) <= 2000
    assert row["availability"] in AVAILABILITY
    amount, currency = re.fullmatch(r"(\d+\.\d{2}) ([A-Z]{3})", row["price"]).groups()
    assert Decimal(amount) > 0 and currency in ISO_4217_CODES
    gtin = row["gtin"]
    assert re.fullmatch(r"\d{8}|\d{12}|\d{13}|\d{14}", gtin), "GTIN-8, 12, 13 or 14"
    assert gtin_check_digit(gtin[:-1]) == int(gtin[-1])
    assert not any("\t" in value or "\n" in value for value in row.values())


@pytest.fixture
def feed_dir(settings, tmp_path):
    settings.CATALOG_FEED_DIR = tmp_path / "feeds"
    settings.SITE_URL = "https://inspired.example"
    return settings.CATALOG_FEED_DIR


def published(**kwargs):
    offer = OfferFactory(**kwargs)
    ProductImageFactory(product=offer.product)
    VideoProductFactory(product=offer.product)
    return offer


@pytest.fixture
def catalog_rows(feed_dir):
    video = VideoFactory()
    shown = []
    for n in range(7):
        product = ProductFactory(
            name=("Very long name " * 11).strip() if n == 0 else f"Jacket {n}",
            description="" if n == 1 else "Tab\tand\nnew line & <tags>",
        )
        ProductImageFactory(product=product)
        VideoProductFactory(video=video, product=product)
        shown.append(
            OfferFactory(product=product, out_of_stock=n == 2, currency="EUR" if n == 3 else "USD")
        )
    # Left out: a draft's product, a product without a picture, a broken link, unknown stock.
    draft = OfferFactory()
    ProductImageFactory(product=draft.product)
    VideoProductFactory(video=VideoFactory(draft=True), product=draft.product)
    bare = OfferFactory()
    VideoProductFactory(video=video, product=bare.product)
    broken = published(failed_checks=django_settings.CATALOG_OFFER_MAX_FAILED_CHECKS)
    unknown = published(availability=Offer.Availability.UNKNOWN)
    return shown, [draft, bare, broken, unknown]


def test_the_xml_feed_validates_for_every_row(client, catalog_rows):
    shown, hidden = catalog_rows
    response = client.get("/feeds/products.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(b"".join(response.streaming_content))  # noqa: S314 - ours
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    rows = [{child.tag.removeprefix(G): child.text or "" for child in item} for item in items]
    assert {row["id"] for row in rows} == {f"offer-{offer.pk}" for offer in shown}
    for row in rows:
        assert_merchant_center_rules(row)
    by_id = {row["id"]: row for row in rows}
    assert by_id[f"offer-{shown[2].pk}"]["availability"] == "out_of_stock"
    assert by_id[f"offer-{shown[3].pk}"]["price"].endswith(" EUR")
    assert by_id[f"offer-{shown[4].pk}"]["description"] == "Tab and new line & <tags>"
    assert by_id[f"offer-{shown[1].pk}"]["description"].startswith(shown[1].product.brand)
    assert by_id[f"offer-{shown[4].pk}"]["link"].startswith("https://inspired.example/products/")
    assert not {f"offer-{offer.pk}" for offer in hidden} & set(by_id)


def test_the_tsv_feed_validates_for_every_row(client, catalog_rows):
    shown, _ = catalog_rows
    response = client.get("/feeds/products.tsv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    assert list(rows[0]) == feeds.COLUMNS
    assert len(rows) == len(shown)
    for row in rows:
        assert_merchant_center_rules(row)


def test_rows_are_read_a_page_at_a_time(feed_dir, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(feeds, "FEED_PAGE", 3)
    offers = [published() for _ in range(8)]
    # Per page: the offers, their products, the products' images; and the empty last page.
    with django_assert_max_num_queries(3 * 3 + 1):
        rows = list(feeds.rows())
    assert [row["id"] for row in rows] == [f"offer-{offer.pk}" for offer in offers]


def test_the_feed_is_cached_until_it_is_stale(client, feed_dir, settings):
    published()
    client.get("/feeds/products.xml")
    path = feeds.feed_path("xml")
    first = path.stat().st_mtime_ns
    published()
    cached = b"".join(client.get("/feeds/products.xml").streaming_content)
    assert path.stat().st_mtime_ns == first
    assert cached.count(b"<item>") == 1
    settings.CATALOG_FEED_MAX_AGE = 0
    fresh = b"".join(client.get("/feeds/products.xml").streaming_content)
    assert fresh.count(b"<item>") == 2


def test_an_unknown_format_is_404(client, feed_dir):
    assert client.get("/feeds/products.json").status_code == 404
