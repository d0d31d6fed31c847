"""Reads compiled once return what the ORM returns, for any ids and after a setting changes."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from catalog.api.serializers.products import page_images, page_offers, style_names
from catalog.models import ProductStyle
from catalog.prepared import PreparedRead

from .factories import OfferFactory, ProductFactory, ProductImageFactory, RetailerFactory

pytestmark = pytest.mark.django_db


def offers_by_orm(ids):
    """The same read run by the ORM."""
    return list(page_offers.build(ids))


@pytest.fixture
def products():
    retailer = RetailerFactory(logo="retailers/logo.png")
    products = ProductFactory.create_batch(3)
    OfferFactory(product=products[0], retailer=retailer, price=Decimal("12.50"))
    OfferFactory(product=products[0], price=Decimal("9.99"), currency="EUR")
    checked = OfferFactory(product=products[1], price=Decimal("30.00"))
    checked.last_checked_at = timezone.now()
    checked.save()
    OfferFactory(product=products[2], out_of_stock=True)
    ProductImageFactory(product=products[0], position=1)
    ProductImageFactory(product=products[0], position=0)
    return products


def test_offers_equal_the_orms_rows_with_prices_dates_and_the_price_order(products, settings):
    settings.CATALOG_CURRENCY = "USD"
    ids = [product.pk for product in products]

    rows = page_offers(ids)

    assert rows == offers_by_orm(ids)
    # Buyable offers only, the site's currency first, each part cheapest first.
    assert [(row[3], row[4]) for row in rows] == [
        (Decimal("12.50"), "USD"),
        (Decimal("30.00"), "USD"),
        (Decimal("9.99"), "EUR"),
    ]
    checked_at = next(row[6] for row in rows if row[6] is not None)
    assert timezone.is_aware(checked_at)
    assert all(len(row) == 12 for row in rows)  # the ordering column is not returned


def test_each_number_of_ids_gets_its_own_query_and_the_ids_change_between_calls(products):
    first, second, third = (product.pk for product in products)

    assert page_offers([second]) == offers_by_orm([second])
    assert page_offers([first]) == offers_by_orm([first])
    assert page_offers([first, second]) == offers_by_orm([first, second])
    assert page_offers([third, second, first]) == offers_by_orm([first, second, third])
    assert page_offers([first, first, second]) == offers_by_orm([first, second])


def test_images_and_reference_names_equal_the_orms_rows(products):
    ids = [product.pk for product in products]
    styles = {product.style_id for product in products}

    assert page_images(ids) == list(page_images.build(ids))
    assert sorted(style_names(styles)) == sorted(style_names.build(list(styles)))
    assert [row[4] for row in page_images(ids)] == [0, 1]  # by position
    assert {row[0] for row in style_names(styles)} == styles


def test_no_ids_read_nothing_and_run_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert page_offers([]) == []
    assert len(queries) == 0


def test_a_changed_setting_is_read_by_the_next_call(products, settings):
    ids = [product.pk for product in products]
    settings.CATALOG_CURRENCY = "USD"
    in_dollars = page_offers(ids)

    settings.CATALOG_CURRENCY = "EUR"
    in_euros = page_offers(ids)

    assert in_euros == offers_by_orm(ids)
    assert [row[4] for row in in_dollars] == ["USD", "USD", "EUR"]
    assert [row[4] for row in in_euros] == ["EUR", "USD", "USD"]


def test_a_read_that_does_not_filter_on_the_ids_once_is_refused():
    unfiltered = PreparedRead(ProductStyle, lambda ids: ProductStyle.objects.values_list("pk"))

    with pytest.raises(ValueError, match="must filter on the ids once"):
        unfiltered([1])
