"""Writing through the API: races on unique keys, nested product writes and upserts."""

import threading
from decimal import Decimal

from django.db import connection
from django.db.models.signals import pre_save

import pytest

from catalog.models import (
    Artist,
    Offer,
    Product,
    ProductImage,
)

from .factories import (
    ArtistFactory,
    ProductFactory,
    RetailerFactory,
    UserFactory,
    make_upc,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url, png_base64  # noqa: F401
from .test_api_writes import product_payload

pytestmark = pytest.mark.django_db

# Races: a concurrent request commits the same key between our validation and our INSERT.


@pytest.fixture
def rival_commits_first():
    """Right before our row is saved, commit a rival row from another connection.

    The rival runs in its own thread, so on its own database connection, exactly as a
    concurrent request would; validation has passed by then, so only the database
    constraint can catch the duplicate.
    """
    receivers = []

    def arrange(model, make_rival):
        def commit_rival():
            make_rival()
            connection.close()

        def receiver(sender, instance, **kwargs):
            if not receiver.fired:
                receiver.fired = True
                thread = threading.Thread(target=commit_rival)
                thread.start()
                thread.join()

        receiver.fired = False
        receivers.append((receiver, model))
        pre_save.connect(receiver, sender=model)

    yield arrange
    for receiver, model in receivers:
        pre_save.disconnect(receiver, sender=model)


RACE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@RACE
def test_duplicate_offer_race_is_a_400_on_the_retailer(api_client, rival_commits_first):
    api_client.force_authenticate(UserFactory(curator=True))
    product, retailer = ProductFactory(), RetailerFactory()
    rival_commits_first(
        Offer,
        lambda: Offer.objects.create(
            product=product, retailer=retailer, url="https://r.example.com/", price=1
        ),
    )
    response = api_client.post(
        api_url("offer-list"),
        {
            "product": product.slug,
            "retailer": retailer.slug,
            "url": "https://shop.example.com/p/1",
            "price": "10.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "retailer": ["This retailer already has an offer for this product."]
    }
    assert Offer.objects.count() == 1


@RACE
def test_duplicate_upc_race_is_a_400_on_the_upc(api_client, rival_commits_first):
    api_client.force_authenticate(UserFactory(curator=True))
    product = ProductFactory()
    upc = make_upc(777)
    rival_commits_first(Product, lambda: ProductFactory(upc=upc, slug="rival"))
    response = api_client.patch(
        api_url("product-detail", pk=product.pk), {"upc": upc}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["upc"]
    assert Product.objects.filter(upc=upc).count() == 1


# A product with its images and offers in one request


def test_product_is_created_with_images_and_offers(curator_api_client):
    retailers = RetailerFactory.create_batch(2)
    payload = product_payload(
        images=[
            {"image": png_base64("red"), "alt_text": "Front", "position": 0},
            {"image": f"data:image/png;base64,{png_base64('blue')}", "alt_text": "Back"},
        ],
        offers=[
            {"retailer": retailers[0].slug, "url": "https://a.example.com/1", "price": "30.00"},
            {
                "retailer": retailers[1].slug,
                "url": "https://b.example.com/1",
                "price": "20.00",
                "availability": "in_stock",
            },
        ],
    )
    payload["images"][1]["position"] = 1
    response = curator_api_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["upc"] == payload["upc"]
    assert [image["alt_text"] for image in body["images"]] == ["Front", "Back"]
    assert body["images"][0]["image"].endswith(".png")
    assert [offer["price"] for offer in body["offers"]] == ["20.00", "30.00"]


def test_a_bad_offer_leaves_no_product_or_image_behind(curator_api_client):
    retailer = RetailerFactory()
    payload = product_payload(
        images=[{"image": png_base64(), "alt_text": "Front", "position": 0}],
        offers=[
            {"retailer": retailer.slug, "url": "https://a.example.com/1", "price": "30.00"},
            {"retailer": retailer.slug, "url": "https://a.example.com/2", "price": "-1"},
        ],
    )
    response = curator_api_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    errors = response.json()["offers"]
    assert list(errors) == ["1"]
    assert errors["1"]["price"] == ["A price cannot be negative."]
    # The same retailer twice is caught too, on the second offer.
    assert errors["1"]["retailer"] == ["This retailer already has an offer for this product."]
    assert not Product.objects.filter(upc=payload["upc"]).exists()
    assert ProductImage.objects.count() == 0
    assert Offer.objects.count() == 0


def test_an_unknown_retailer_in_a_nested_offer_is_a_field_error(curator_api_client):
    payload = product_payload(
        offers=[{"retailer": "nobody", "url": "https://a.example.com/1", "price": "3.00"}]
    )
    response = curator_api_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "offers": {"0": {"retailer": ["Object with slug=nobody does not exist."]}}
    }
    assert Product.objects.count() == 0


def test_a_bad_image_is_a_field_error(curator_api_client):
    payload = product_payload(images=[{"image": "bm90IGFuIGltYWdl", "alt_text": "x"}])
    response = curator_api_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["images"]["0"]) == ["image"]
    assert Product.objects.count() == 0


def test_image_upload_as_multipart(curator_api_client):
    import base64
    from io import BytesIO

    product = ProductFactory()
    upload = BytesIO(base64.b64decode(png_base64()))
    upload.name = "front.png"
    response = curator_api_client.post(
        api_url("productimage-list"),
        {"product": product.slug, "image": upload, "alt_text": "Front", "position": 3},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert product.images.get().position == 3


# Feed sync: upserts


def test_upsert_product_by_upc_creates_then_updates(curator_api_client):
    payload = product_payload()
    payload.pop("model_number")
    first = curator_api_client.post(api_url("product-upsert"), payload, format="json")
    assert first.status_code == 201, first.json()
    second = curator_api_client.post(
        api_url("product-upsert"), {**payload, "name": "Mountain hat II"}, format="json"
    )
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert Product.objects.get(upc=payload["upc"]).name == "Mountain hat II"
    assert Product.objects.count() == 1


def test_upsert_offer_by_product_and_retailer(curator_api_client):
    product, retailer = ProductFactory(), RetailerFactory()
    payload = {
        "product": product.slug,
        "retailer": retailer.slug,
        "url": "https://shop.example.com/p/1",
        "price": "10.00",
        "availability": "in_stock",
    }
    first = curator_api_client.post(api_url("offer-upsert"), payload, format="json")
    assert first.status_code == 201, first.json()
    second = curator_api_client.post(
        api_url("offer-upsert"), {**payload, "price": "8.00"}, format="json"
    )
    assert second.status_code == 200
    assert Offer.objects.get().price == Decimal("8.00")


def test_upsert_validates_with_the_model(curator_api_client):
    response = curator_api_client.post(
        api_url("offer-upsert"),
        {
            "product": ProductFactory().slug,
            "retailer": RetailerFactory().slug,
            "url": "javascript:alert(1)",
            "price": "-3",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"url", "price"}
    assert Offer.objects.count() == 0


@pytest.mark.parametrize("name", ["product-upsert", "offer-upsert"])
def test_upserts_need_permissions(api_client, name):
    assert api_client.post(api_url(name), {}, format="json").status_code == 401
    api_client.force_authenticate(UserFactory())
    assert api_client.post(api_url(name), {}, format="json").status_code == 403


def test_video_artists_are_set_by_slug(curator_api_client):
    artists = ArtistFactory.create_batch(2)
    response = curator_api_client.post(
        api_url("video-list"),
        {"title": "Duet", "slug": "duet", "artist_slugs": [a.slug for a in artists]},
        format="json",
    )
    assert response.status_code == 201
    assert sorted(a["slug"] for a in response.json()["artists"]) == sorted(a.slug for a in artists)
    assert Artist.objects.get(slug=artists[0].slug).videos.get().slug == "duet"
