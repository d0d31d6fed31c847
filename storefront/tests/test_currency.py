"""The display currency: chosen and remembered, prices converted with the rate's date."""

from datetime import date
from decimal import Decimal

from django.core.cache import cache

import pytest

from catalog.models import ExchangeRate
from catalog.tests.factories import OfferFactory, ProductFactory, VideoProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def rates():
    day = date(2026, 12, 3)
    ExchangeRate.objects.create(currency="USD", date=day, rate=Decimal("1.0800"))
    ExchangeRate.objects.create(currency="GBP", date=day, rate=Decimal("0.8500"))
    return day


def shown_product(price, currency="USD"):
    product = ProductFactory()
    VideoProductFactory(product=product)
    OfferFactory(product=product, price=Decimal(price), currency=currency)
    return product


def test_the_choice_is_remembered_in_a_cookie(client):
    response = client.get("/currency/", {"currency": "EUR", "next": "/products/"})
    assert response.status_code == 302 and response["Location"] == "/products/"
    assert response.cookies["display_currency"].value == "EUR"
    assert response.cookies["display_currency"]["samesite"] == "Lax"
    # Back to the site's own currency forgets the choice; bad input changes nothing.
    assert client.get("/currency/", {"currency": "USD"}).cookies["display_currency"].value == ""
    bad = client.get("/currency/", {"currency": "XXX", "next": "https://evil.example/"})
    assert bad["Location"] == "/" and "display_currency" not in bad.cookies


def test_prices_show_converted_with_the_rates_date_and_the_original(client, rates):
    product = shown_product("100.00")
    client.cookies["display_currency"] = "EUR"
    page = client.get(product.get_absolute_url()).content.decode()
    # The retailer's step keeps the original price; the approximation sits beside it.
    assert '<span class="offer__price">100.00 <abbr' in page
    assert "≈ €93, rate of 3 Dec" in page
    listing = client.get("/products/").content.decode()
    assert "≈ €93, rate of 3 Dec" in listing


def test_without_rates_nothing_is_converted(client):
    product = shown_product("100.00")
    client.cookies["display_currency"] = "EUR"
    page = client.get(product.get_absolute_url()).content.decode()
    assert "≈" not in page and "100.00" in page


def test_the_selector_lists_the_currencies(client):
    page = client.get("/").content.decode()
    assert 'action="/currency/"' in page and '<option value="EUR"' in page


def test_filtering_uses_the_converted_price(client, rates):
    cheap = shown_product("50.00")  # 46.30 EUR
    dear = shown_product("120.00")  # 111.11 EUR
    pounds = shown_product("40.00", currency="GBP")  # 47.06 EUR
    client.cookies["display_currency"] = "EUR"
    page = client.get("/products/", {"max_price": "60"}).content.decode()
    assert cheap.name in page and pounds.name in page and dear.name not in page
    page = client.get("/products/", {"min_price": "100"}).content.decode()
    assert dear.name in page and cheap.name not in page and pounds.name not in page
    # Without a display currency the bounds are the offers' own numbers, as before.
    del client.cookies["display_currency"]
    page = client.get("/products/", {"max_price": "45"}).content.decode()
    assert pounds.name in page and cheap.name not in page


def test_sorting_by_price_in_a_display_currency(client, rates):
    names = [shown_product(price).name for price in ("70.00", "20.00", "45.00")]
    client.cookies["display_currency"] = "GBP"
    page = client.get("/products/", {"sort": "price"}).content.decode()
    positions = [page.index(name) for name in names]
    assert positions[1] < positions[2] < positions[0]
