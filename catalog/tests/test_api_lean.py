"""The lean product list writes exactly what the product serializer writes."""

import json
from decimal import Decimal

from django.test import RequestFactory
from django.utils import timezone

import pytest
from rest_framework import serializers as drf

from catalog.api.serializers import ProductSerializer
from catalog.api.serializers.products import ProductListSerializer
from catalog.models import Product

from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401

pytestmark = pytest.mark.django_db


def make_products():
    tracked = RetailerFactory(
        logo="retailers/logo.png", link_template="https://go.example.com/?u={url_encoded}"
    )
    products = [AppearanceFactory().product for _ in range(3)]
    ProductImageFactory(product=products[0], position=0)
    ProductImageFactory(product=products[0], position=1)
    OfferFactory(product=products[0], retailer=tracked, price=Decimal("9.50"))
    checked = OfferFactory(product=products[0], price=Decimal("12.00"), currency="EUR")
    checked.last_checked_at = timezone.now()
    checked.save()
    OfferFactory(product=products[1], out_of_stock=True)
    ProductFactory(description="Not published")
    return products


def test_the_lean_list_equals_the_serializers_output_field_for_field():
    make_products()
    products = list(Product.objects.for_browsing().order_by("pk"))
    rows = Product.objects.order_by("pk").values(*ProductListSerializer.COLUMNS)
    context = {"request": RequestFactory().get("/api/v1/products/")}

    lean = ProductSerializer(rows, many=True, context=context).data
    full = drf.ListSerializer(child=ProductSerializer(), context=context).to_representation(
        products
    )

    assert type(ProductSerializer(many=True)) is ProductListSerializer
    assert json.dumps(lean) == json.dumps(full)
    assert lean[0]["offers"][0]["buy_url"].startswith("https://go.example.com/?u=https%3A")


def test_the_api_list_answers_the_lean_shape(api_client):
    make_products()
    body = api_client.get(api_url("product-list")).json()
    products = list(Product.objects.published().for_browsing().order_by("pk"))
    request = RequestFactory().get("/api/v1/products/")
    full = drf.ListSerializer(
        child=ProductSerializer(), context={"request": request}
    ).to_representation(products)
    assert body["results"] == json.loads(json.dumps(full))
