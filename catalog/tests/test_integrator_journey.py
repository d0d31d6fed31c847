"""What an integrator meets: nested upserts, the schema, related filters, docs, JSON 404s."""

import re

from django.test import Client

import pytest

from catalog.models import Offer, Product, ProductImage

from .factories import OfferFactory, ProductFactory, RetailerFactory, VideoProductFactory
from .test_api_fixtures import _fresh_throttle_counts, api_url, png_base64  # noqa: F401
from .test_api_writes import product_payload

pytestmark = pytest.mark.django_db


# products/upsert/ takes nested offers and images as create does (item 17)


def test_upsert_creates_and_then_updates_nested_offers_and_images(curator_api_client):
    shop, other = RetailerFactory(), RetailerFactory()
    payload = product_payload(
        images=[{"image": png_base64("red"), "alt_text": "Front", "position": 0}],
        offers=[{"retailer": shop.slug, "url": "https://a.example.com/1", "price": "30.00"}],
    )

    first = curator_api_client.post(api_url("product-upsert"), payload, format="json")

    assert first.status_code == 201, first.json()
    assert [offer["price"] for offer in first.json()["offers"]] == ["30.00"]
    assert [image["alt_text"] for image in first.json()["images"]] == ["Front"]

    payload["images"] = [{"image": png_base64("blue"), "alt_text": "Front, blue", "position": 0}]
    payload["offers"] = [
        {"retailer": shop.slug, "url": "https://a.example.com/1", "price": "25.00"},
        {"retailer": other.slug, "url": "https://b.example.com/1", "price": "28.00"},
    ]
    second = curator_api_client.post(api_url("product-upsert"), payload, format="json")

    assert second.status_code == 200, second.json()
    product = Product.objects.get(upc=payload["upc"])
    assert sorted(product.offers.values_list("retailer__slug", "price")) == sorted(
        [(shop.slug, 25), (other.slug, 28)]
    )
    assert list(product.images.values_list("alt_text", flat=True)) == ["Front, blue"]


def test_a_bad_nested_offer_in_an_upsert_writes_nothing(curator_api_client):
    shop = RetailerFactory()
    payload = product_payload(
        offers=[
            {"retailer": shop.slug, "url": "https://a.example.com/1", "price": "30.00"},
            {"retailer": "no-such-shop", "url": "https://b.example.com/1", "price": "1.00"},
        ]
    )
    response = curator_api_client.post(api_url("product-upsert"), payload, format="json")
    assert response.status_code == 400
    assert "retailer" in str(response.json()["offers"])

    payload["offers"][1] = {"retailer": shop.slug, "url": "https://b.example.com/1", "price": "-1"}
    response = curator_api_client.post(api_url("product-upsert"), payload, format="json")

    assert response.status_code == 400
    assert response.json()["offers"]["1"]["price"] == ["A price cannot be negative."]
    assert not Product.objects.exists()
    assert not Offer.objects.exists()
    assert not ProductImage.objects.exists()


# The schema (item 18)


@pytest.fixture(scope="module")
def schema_document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_product_writes_document_their_nested_offers(schema_document):
    schemas = schema_document["components"]["schemas"]
    create = schema_document["paths"]["/api/v1/products/"]["post"]["requestBody"]
    create_ref = create["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    upsert = schema_document["paths"]["/api/v1/products/upsert/"]["post"]["requestBody"]
    upsert_ref = upsert["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    for name in (create_ref, upsert_ref):
        assert {"offers", "images"} <= set(schemas[name]["properties"]), name


def test_every_operation_has_a_resource_tag_and_a_human_title(schema_document):
    for path, method, operation in operations(schema_document):
        (tag,) = operation["tags"]
        assert tag != "v1" and path.startswith(f"/api/v1/{tag}/"), (path, tag)
        summary = operation.get("summary", "")
        assert summary and "_" not in summary, (path, method, summary)
    listing = schema_document["paths"]["/api/v1/appearances/"]["get"]
    assert listing["summary"] == "List appearances"


def test_no_internal_docstring_leaks_into_the_schema(schema_document):
    import json

    text = json.dumps(schema_document)
    for internal in ("ModelSerializer", "full_clean", "DRF ", "queryset", "prefetch"):
        assert internal not in text, internal


def test_the_style_filter_help_names_slugs_that_work(api_client, schema_document):
    from catalog.models import ProductStyle

    (style,) = [
        p
        for p in schema_document["paths"]["/api/v1/products/"]["get"]["parameters"]
        if p["name"] == "style"
    ]
    assert style["schema"] == {"type": "array", "items": {"type": "string"}}
    for slug in ProductStyle.objects.values_list("slug", flat=True):
        assert slug in style["description"]
        assert api_client.get("/api/v1/products/", {"style": slug}).status_code == 200


# Related filters take ids and slugs (item 19)


def test_related_filters_take_an_id_or_a_slug(api_client):
    product = ProductFactory(slug="acme-jacket")
    VideoProductFactory(product=product)
    offer = OfferFactory(product=product)
    OfferFactory()  # another product's

    for value in (product.slug, str(product.pk)):
        response = api_client.get("/api/v1/offers/", {"product": value})
        assert response.status_code == 200, response.json()
        assert [row["id"] for row in response.json()["results"]] == [offer.pk], value
    for value in (offer.retailer.slug, str(offer.retailer.pk)):
        response = api_client.get("/api/v1/products/", {"retailer": value})
        assert [row["id"] for row in response.json()["results"]] == [product.pk], value
    assert api_client.get("/api/v1/offers/", {"product": "999999"}).status_code == 400
    assert api_client.get("/api/v1/offers/", {"product": "no-such"}).status_code == 400


# Unknown API paths answer JSON, in debug mode too (item 21)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_answers_json_404(client, settings, debug):
    settings.DEBUG = debug

    for path in ("/api/v1/nope/", "/api/v1/products/1/nope/", "/api/nothing", "/api/v1/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        assert response.json()["detail"].startswith("Not found."), path
    assert client.post("/api/v1/nope/", {}).status_code == 404
    # Not a CSRF failure: the unknown path writes nothing.
    strict = Client(enforce_csrf_checks=True)
    response = strict.delete("/api/v1/appearances/-2.5e-179/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    # A known path without its slash is still redirected to it.
    response = client.get("/api/v1/products", {"page_size": 5})
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/products/?page_size=5"


def test_redoc_loads_no_web_fonts_and_blocks_outside_images(client):
    response = client.get("/api/redoc/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "googleapis" not in html and "gstatic" not in html
    assert "https://" not in html
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    # ReDoc's start-up script runs under the site's policy by its nonce, not 'unsafe-inline'.
    nonce = re.search(r"<script nonce=\"([^\"]+)\">\s*Redoc.init", html).group(1)
    assert f"'nonce-{nonce}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
