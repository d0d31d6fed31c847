import base64
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

import pytest

from catalog import services
from catalog.models import Offer, Product, ProductImage, ProductStyle, ProductType, Scene

from .factories import (
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    VideoFactory,
    VideoSourceFactory,
    make_upc,
)
from .test_api_fixtures import png_base64

pytestmark = pytest.mark.django_db


def product_fields(**overrides):
    fields = {
        "upc": make_upc(5150),
        "brand": "Acne Studios",
        "name": "Jacket",
        "slug": "acne-studios-jacket",
        "product_type": ProductType.objects.get(slug="jacket"),
        "style": ProductStyle.objects.get(slug="original"),
    }
    fields.update(overrides)
    return fields


def image_row(position=0):
    raw = base64.b64decode(png_base64())
    return {
        "image": ContentFile(raw, name=f"{position}.png"),
        "alt_text": "x",
        "position": position,
    }


def test_validate_instance_reports_check_constraints_on_their_field():
    scene = Scene(video=VideoFactory(), start=timedelta(seconds=9), end=timedelta(seconds=3))
    with pytest.raises(ValidationError) as caught:
        services.validate_instance(scene)
    assert caught.value.message_dict == {"end": ["A scene must end after it starts."]}


def test_validate_instance_reports_a_unique_pair_on_its_last_field():
    offer = OfferFactory()
    twin = Offer(product=offer.product, retailer=offer.retailer, url=offer.url, price=1)
    with pytest.raises(ValidationError) as caught:
        services.validate_instance(twin)
    assert caught.value.message_dict == {
        "retailer": ["This retailer already has an offer for this product."]
    }


def test_validate_instance_reports_one_primary_source_on_is_primary():
    source = VideoSourceFactory(is_primary=True)
    second = VideoSourceFactory.build(video=source.video, is_primary=True)
    with pytest.raises(ValidationError) as caught:
        services.validate_instance(second)
    assert list(caught.value.message_dict) == ["is_primary"]


def test_save_instance_turns_a_lost_race_into_a_field_error():
    """Validated before the rival row existed, then the INSERT hits the unique index."""
    fields = product_fields()
    late = Product(**fields)
    services.validate_instance(late)
    ProductFactory(upc=fields["upc"])  # committed meanwhile by someone else
    with pytest.raises(ValidationError) as caught:
        services.save_instance(late, validated=True)
    assert list(caught.value.message_dict) == ["upc"]
    assert Product.objects.filter(upc=fields["upc"]).count() == 1


def test_create_product_saves_product_images_and_offers_together():
    retailers = RetailerFactory.create_batch(2)
    product = services.create_product(
        **product_fields(),
        images=[image_row(0), image_row(1)],
        offers=[
            {"retailer": retailers[0], "url": "https://a.example.com/", "price": Decimal("5")},
            {"retailer": retailers[1], "url": "https://b.example.com/", "price": Decimal("7")},
        ],
    )
    assert product.images.count() == 2
    assert product.offers.count() == 2


def test_create_product_saves_nothing_when_one_offer_is_bad():
    retailer = RetailerFactory()
    with pytest.raises(services.NestedValidationError) as caught:
        services.create_product(
            **product_fields(),
            images=[image_row(0)],
            offers=[
                {"retailer": retailer, "url": "https://a.example.com/", "price": Decimal("5")},
                {"retailer": retailer, "url": "ftp://a.example.com/", "price": Decimal("6")},
            ],
        )
    assert set(caught.value.detail["offers"]) == {"1"}
    assert set(caught.value.detail["offers"]["1"]) == {"url", "retailer"}
    assert Product.objects.count() == 0
    assert ProductImage.objects.count() == 0
    assert Offer.objects.count() == 0


def test_create_product_with_a_bad_product_raises_a_plain_field_error():
    with pytest.raises(ValidationError) as caught:
        services.create_product(**product_fields(upc="123"))
    assert list(caught.value.message_dict) == ["upc"]


def test_upsert_product_creates_once_then_updates():
    fields = product_fields()
    upc = fields.pop("upc")
    product, created = services.upsert_product(upc=upc, **fields)
    assert created
    again, created = services.upsert_product(upc=upc, **{**fields, "name": "Jacket II"})
    assert not created
    assert again.pk == product.pk
    assert Product.objects.get().name == "Jacket II"


def test_upsert_product_validates_the_row():
    fields = product_fields(slug="not a slug!")
    upc = fields.pop("upc")
    with pytest.raises(ValidationError) as caught:
        services.upsert_product(upc=upc, **fields)
    assert list(caught.value.message_dict) == ["slug"]
    assert Product.objects.count() == 0


def test_upsert_offer_keeps_one_offer_per_product_and_retailer():
    product, retailer = ProductFactory(), RetailerFactory()
    first, created = services.upsert_offer(
        product=product, retailer=retailer, url="https://a.example.com/", price=Decimal("9")
    )
    assert created
    second, created = services.upsert_offer(
        product=product, retailer=retailer, url="https://a.example.com/", price=Decimal("8")
    )
    assert not created
    assert second.pk == first.pk
    assert Offer.objects.get().price == Decimal("8")


def test_upsert_offer_rejects_a_negative_price():
    with pytest.raises(ValidationError) as caught:
        services.upsert_offer(
            product=ProductFactory(),
            retailer=RetailerFactory(),
            url="https://a.example.com/",
            price=Decimal("-1"),
        )
    assert caught.value.message_dict == {"price": ["A price cannot be negative."]}
