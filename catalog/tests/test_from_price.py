"""Product.from_price: one price for the cards, the price sort and the price filter, kept
true by every writer of offers."""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

import pytest

from catalog.linkhealth.fetcher import CheckResult
from catalog.linkhealth.recording import record_check_result
from catalog.models import Offer, Product

from .admin_files import csv_bytes, import_file
from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401
from .test_api_writes import product_payload
from .test_import_feed import offer_rows, run, write_feed

pytestmark = pytest.mark.django_db

NONE = (None, "", Product.PriceRank.NONE)


def stored(product):
    return Product.objects.values_list("from_price", "from_currency", "price_rank").get(
        pk=product.pk
    )


def site(price):
    return (Decimal(price), settings.CATALOG_CURRENCY, Product.PriceRank.SITE_CURRENCY)


def prices_follow_the_rule() -> bool:
    """True when a full recompute has nothing to correct."""
    return Product.objects.refresh_prices() == 0


# The rule


def test_the_cheapest_buyable_offer_in_the_site_currency_wins_over_cheaper_other_currencies():
    product = ProductFactory()
    OfferFactory(product=product, price=Decimal("110.00"), currency="GBP")
    OfferFactory(product=product, price=Decimal("150.00"), currency="USD")
    OfferFactory(product=product, price=Decimal("140.00"), currency="USD")
    assert stored(product) == site("140.00")


def test_unknown_availability_is_buyable_out_of_stock_and_dead_links_are_not():
    product = ProductFactory()
    OfferFactory(product=product, price=Decimal("5.00"), out_of_stock=True)
    dead = OfferFactory(product=product, price=Decimal("6.00"))
    Offer.objects.filter(pk=dead.pk).update(failed_checks=settings.CATALOG_OFFER_MAX_FAILED_CHECKS)
    OfferFactory(product=product, price=Decimal("9.00"), availability="unknown")
    Product.objects.filter(pk=product.pk).refresh_prices()
    assert stored(product) == site("9.00")


def test_another_currency_only_without_a_site_currency_offer_and_none_without_offers():
    other = OfferFactory(price=Decimal("80.00"), currency="EUR").product
    alone = ProductFactory()
    assert stored(other) == (Decimal("80.00"), "EUR", Product.PriceRank.OTHER_CURRENCY)
    assert stored(alone) == NONE


def test_refresh_writes_only_wrong_rows_and_keeps_updated_at(django_assert_num_queries):
    right = OfferFactory(price=Decimal("10.00")).product
    wrong = OfferFactory(price=Decimal("20.00")).product
    Product.objects.filter(pk=wrong.pk).update(from_price=Decimal("1.00"))  # a raw writer
    stamps = dict(Product.objects.values_list("pk", "updated_at"))
    with django_assert_num_queries(1):
        changed = Product.objects.refresh_prices()
    assert changed == 1
    assert (stored(right), stored(wrong)) == (site("10.00"), site("20.00"))
    assert dict(Product.objects.values_list("pk", "updated_at")) == stamps
    assert prices_follow_the_rule()


def test_saving_a_stale_product_keeps_its_from_price():
    product = ProductFactory()
    stale = Product.objects.get(pk=product.pk)
    OfferFactory(product=product, price=Decimal("12.00"))
    stale.name = "Renamed"
    stale.save()
    assert stored(product) == site("12.00")


# Every writer of offers


def test_offer_saves_moves_and_deletes_by_the_orm():
    first, second = ProductFactory.create_batch(2)
    offer = OfferFactory(product=first, price=Decimal("30.00"))
    assert stored(first) == site("30.00")
    offer.price = Decimal("25.00")
    offer.save()
    assert stored(first) == site("25.00")
    offer.availability = Offer.Availability.OUT_OF_STOCK
    offer.save()
    assert stored(first) == NONE
    offer.availability = Offer.Availability.IN_STOCK
    offer.product = second
    offer.save()
    assert (stored(first), stored(second)) == (NONE, site("25.00"))
    offer.delete()
    assert stored(second) == NONE
    OfferFactory.create_batch(2, product=first)
    Offer.objects.filter(product=first).delete()
    assert stored(first) == NONE


def test_deleting_a_product_with_offers():
    offer = OfferFactory()
    offer.product.delete()
    assert not Product.objects.exists()


def test_admin_inline_edit_of_an_offer(client, curator):
    offer = OfferFactory(price=Decimal("40.00"))
    client.force_login(curator)
    url = reverse("admin:catalog_offer_change", args=[offer.pk])
    response = client.post(
        url,
        {
            "product": offer.product_id,
            "retailer": offer.retailer_id,
            "url": offer.url,
            "price": "35.50",
            "currency": "USD",
            "availability": "in_stock",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(offer.product) == site("35.50")
    response = client.post(reverse("admin:catalog_offer_delete", args=[offer.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert stored(offer.product) == NONE


def test_admin_import_of_offers(curator_client):
    product = ProductFactory()
    RetailerFactory(name="Zalando", slug="zalando")
    row = {
        "upc": product.upc,
        "retailer": "zalando",
        "url": "https://z.example/1",
        "price": "10.00",
        "currency": "EUR",
        "availability": "unknown",
    }
    import_file(curator_client, "offer", csv_bytes([row]))
    assert stored(product) == (Decimal("10.00"), "EUR", Product.PriceRank.OTHER_CURRENCY)
    import_file(curator_client, "offer", csv_bytes([{**row, "price": "8.50", "currency": "USD"}]))
    assert stored(product) == site("8.50")


def test_api_create_upsert_patch_and_delete(curator_api_client):
    product, retailer = ProductFactory(), RetailerFactory()
    payload = {
        "product": product.slug,
        "retailer": retailer.slug,
        "url": "https://shop.example.com/p/1",
        "price": "10.00",
        "availability": "in_stock",
    }
    created = curator_api_client.post(api_url("offer-upsert"), payload, format="json")
    assert created.status_code == 201, created.json()
    assert stored(product) == site("10.00")
    upserted = curator_api_client.post(
        api_url("offer-upsert"), {**payload, "price": "8.00"}, format="json"
    )
    assert upserted.status_code == 200
    assert stored(product) == site("8.00")
    offer_url = api_url("offer-detail", pk=created.json()["id"])
    patched = curator_api_client.patch(offer_url, {"currency": "GBP"}, format="json")
    assert patched.status_code == 200, patched.json()
    assert stored(product) == (Decimal("8.00"), "GBP", Product.PriceRank.OTHER_CURRENCY)
    assert curator_api_client.delete(offer_url).status_code == 204
    assert stored(product) == NONE


def test_api_product_create_with_nested_offers(curator_api_client):
    retailer = RetailerFactory()
    response = curator_api_client.post(
        api_url("product-list"),
        product_payload(
            offers=[
                {"retailer": retailer.slug, "url": "https://a.example.com/1", "price": "30.00"}
            ]
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert stored(Product.objects.get()) == site("30.00")


def test_bulk_feed_import(tmp_path):
    products = ProductFactory.create_batch(3)
    retailers = RetailerFactory.create_batch(2)
    rows = offer_rows(products, retailers, price="19.99")
    rows[0]["currency"] = rows[1]["currency"] = "USD"
    rows[1]["price"] = "17.00"
    run(write_feed(tmp_path / "offers.csv", rows))
    assert stored(products[0]) == site("17.00")
    assert stored(products[1]) == (Decimal("19.99"), "EUR", Product.PriceRank.OTHER_CURRENCY)
    rows[1]["availability"] = "out_of_stock"
    run(write_feed(tmp_path / "offers.csv", rows))
    assert stored(products[0]) == site("19.99")
    assert prices_follow_the_rule()


def test_link_checks_hide_and_restore_an_offer(settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 2
    offer = OfferFactory(price=Decimal("20.00"))
    broken = CheckResult(status=Offer.LinkStatus.BROKEN, http_status=404, error_message="404")
    record_check_result(offer=offer, result=broken)
    assert stored(offer.product) == site("20.00")
    record_check_result(offer=offer, result=broken)
    assert stored(offer.product) == NONE
    passed = CheckResult(
        status=Offer.LinkStatus.OK,
        http_status=200,
        final_url=offer.url,
        duration=timedelta(milliseconds=10),
        price=Decimal("18.00"),
        currency="USD",
    )
    record_check_result(offer=offer, result=passed)
    assert stored(offer.product) == site("18.00")


def test_load_demo_and_generate_catalog_store_the_prices():
    call_command("load_demo", stdout=StringIO())
    sizes = ["--artists=2", "--videos=4", "--scenes=8", "--products=20", "--offers=40"]
    call_command("generate_catalog", *sizes, "--retailers=3", stdout=StringIO(), stderr=StringIO())
    assert Product.objects.exclude(price_rank=Product.PriceRank.NONE).exists()
    assert prices_follow_the_rule()


@pytest.mark.slow
def test_refresh_prices_command_repairs_raw_writes(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args):
        return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    manage("migrate", "--no-input", "-v0")
    manage(
        "shell",
        "-c",
        "from catalog.tests.factories import OfferFactory, ProductFactory; "
        "from catalog.models import Product; "
        "OfferFactory(price='7.00'); ProductFactory(); "
        "Product.objects.update(from_price=None, from_currency='', price_rank=2)",
    )
    assert manage("refresh_prices").strip() == (
        "1 from price corrected; 1 of 2 products have a buyable offer."
    )
    assert manage("refresh_prices").startswith("0 from prices corrected;")


# What shoppers see: one price on the card, in the sort and in the filter


def test_browse_sorts_filters_and_shows_the_same_from_price(client):
    def published_with(*offers):
        product = AppearanceFactory().product
        for price, currency in offers:
            OfferFactory(product=product, price=Decimal(price), currency=currency)
        return product

    usd_140 = published_with(("110.00", "GBP"), ("140.00", "USD"))
    usd_103 = published_with(("103.81", "USD"))
    usd_115 = published_with(("115.00", "USD"), ("99.00", "EUR"))
    gbp_only = published_with(("65.00", "GBP"))
    nothing = published_with()
    url = reverse("storefront:product-list")

    def slugs(**params):
        return [p.slug for p in client.get(url, params).context["products"]]

    assert slugs(sort="price") == [
        usd_103.slug,
        usd_115.slug,
        usd_140.slug,
        gbp_only.slug,
        nothing.slug,
    ]
    assert slugs(sort="-price")[:3] == [usd_140.slug, usd_115.slug, usd_103.slug]
    assert slugs(sort="price", min_price="100", max_price="200", currency="USD") == [
        usd_103.slug,
        usd_115.slug,
        usd_140.slug,
    ]
    assert slugs(sort="price", max_price="100") == [gbp_only.slug]
    page = client.get(url, {"sort": "price"}).content.decode()
    assert "From 140.00 USD" in page
    assert "From 110.00 GBP" not in page
    assert "From 65.00 GBP" in page
    assert "No retailer sells this right now" in page
