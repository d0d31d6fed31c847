from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from catalog.linkhealth.fetcher import CheckResult
from catalog.linkhealth.recording import record_check_result
from catalog.models import Offer, OfferCheck, PriceHistory
from catalog.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

Status = Offer.LinkStatus


def ok(**kwargs):
    return CheckResult(
        status=Status.OK,
        http_status=200,
        final_url="https://shop.example.com/p/1",
        duration=timedelta(milliseconds=120),
        **kwargs,
    )


def broken():
    return CheckResult(status=Status.BROKEN, http_status=404, error_message="HTTP 404.")


def test_a_check_is_recorded_with_what_it_saw():
    offer = OfferFactory(price=Decimal("20.00"))
    at = timezone.now()
    check = record_check_result(offer=offer, result=ok(), checked_at=at)
    assert (check.offer, check.status, check.http_status, check.checked_at) == (
        offer,
        Status.OK,
        200,
        at,
    )
    assert check.final_url == "https://shop.example.com/p/1"
    assert check.duration == timedelta(milliseconds=120)
    offer.refresh_from_db()
    assert (offer.link_status, offer.failed_checks, offer.last_checked_at) == (Status.OK, 0, at)


def test_a_new_price_updates_the_offer_and_the_history():
    offer = OfferFactory(price=Decimal("20.00"), currency="USD")
    at = timezone.now()
    check = record_check_result(
        offer=offer,
        result=ok(price=Decimal("17.50"), currency="EUR", availability="in_stock"),
        checked_at=at,
    )
    offer.refresh_from_db()
    assert (offer.price, offer.currency) == (Decimal("17.50"), "EUR")
    history = list(offer.price_history.order_by("recorded_at"))
    assert [(h.price, h.currency, h.offer_check) for h in history] == [
        (Decimal("20.00"), "USD", None),
        (Decimal("17.50"), "EUR", check),
    ]
    assert history[1].recorded_at == at


def test_an_unchanged_price_adds_no_history():
    offer = OfferFactory(price=Decimal("20.00"), currency="USD")
    record_check_result(offer=offer, result=ok(price=Decimal("20.00"), currency="USD"))
    record_check_result(offer=offer, result=ok())
    assert PriceHistory.objects.filter(offer=offer).count() == 0
    assert OfferCheck.objects.filter(offer=offer).count() == 2


def test_each_price_change_adds_one_history_row():
    offer = OfferFactory(price=Decimal("20.00"))
    for price in ["18.00", "18.00", "16.00"]:
        record_check_result(offer=offer, result=ok(price=Decimal(price)))
    prices = list(
        offer.price_history.order_by("recorded_at", "id").values_list("price", flat=True)
    )
    assert prices == [Decimal("20.00"), Decimal("18.00"), Decimal("16.00")]


def test_out_of_stock_changes_availability_and_history_but_not_the_failure_streak():
    offer = OfferFactory(price=Decimal("20.00"))
    result = CheckResult(status=Status.OUT_OF_STOCK, http_status=200, availability="out_of_stock")
    record_check_result(offer=offer, result=result)
    offer.refresh_from_db()
    assert (offer.availability, offer.link_status, offer.failed_checks) == (
        "out_of_stock",
        Status.OUT_OF_STOCK,
        0,
    )
    assert offer.price_history.latest().availability == "out_of_stock"
    assert not Offer.objects.buyable().filter(pk=offer.pk).exists()


def test_an_offer_failing_n_checks_in_a_row_is_hidden_until_it_passes(settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 3
    offer = OfferFactory()
    for expected in [1, 2]:
        record_check_result(offer=offer, result=broken())
        offer.refresh_from_db()
        assert offer.failed_checks == expected
        assert Offer.objects.buyable().filter(pk=offer.pk).exists()
    record_check_result(offer=offer, result=broken())
    assert not Offer.objects.healthy().filter(pk=offer.pk).exists()
    assert Offer.objects.needs_attention().filter(pk=offer.pk).exists()

    record_check_result(offer=offer, result=ok())
    offer.refresh_from_db()
    assert offer.failed_checks == 0
    assert Offer.objects.buyable().filter(pk=offer.pk).exists()
    assert not Offer.objects.needs_attention().filter(pk=offer.pk).exists()


def test_gone_counts_as_a_failure():
    offer = OfferFactory()
    record_check_result(offer=offer, result=CheckResult(status=Status.GONE, http_status=200))
    offer.refresh_from_db()
    assert (offer.link_status, offer.failed_checks) == (Status.GONE, 1)


def test_a_result_the_database_refuses_writes_nothing():
    offer = OfferFactory(price=Decimal("20.00"))
    with pytest.raises(IntegrityError):
        record_check_result(offer=offer, result=ok(price=Decimal("-1.00")))
    offer.refresh_from_db()
    assert offer.price == Decimal("20.00")
    assert offer.last_checked_at is None
    assert not OfferCheck.objects.exists()
    assert not PriceHistory.objects.exists()


# What curators see in the admin


def test_the_attention_filter_lists_only_failing_offers(curator_client):
    failing = OfferFactory()
    healthy = OfferFactory()
    record_check_result(offer=failing, result=broken())
    record_check_result(offer=healthy, result=ok())
    url = reverse("admin:catalog_offer_changelist")
    response = curator_client.get(url, {"needs_attention": "yes"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [failing]
    response = curator_client.get(url, {"needs_attention": "no"})
    assert list(response.context["cl"].result_list) == [healthy]


def test_the_admin_index_counts_offers_needing_attention(curator_client):
    for offer in OfferFactory.create_batch(3):
        record_check_result(offer=offer, result=broken())
    OfferFactory()
    html = curator_client.get(reverse("admin:index")).content.decode()
    link = reverse("admin:catalog_offer_changelist") + "?needs_attention=yes"
    assert f'href="{link}"' in html
    assert '<td class="attention-count">3</td>' in html


def test_the_offer_page_shows_the_last_check_and_the_price_history(curator_client):
    offer = OfferFactory(price=Decimal("20.00"), currency="USD")
    record_check_result(offer=offer, result=ok(price=Decimal("18.00")))
    record_check_result(
        offer=offer,
        result=CheckResult(
            status=Status.BROKEN, http_status=500, error_message="The page answered HTTP 500."
        ),
    )
    response = curator_client.get(reverse("admin:catalog_offer_change", args=[offer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="status-broken">Broken</td>' in html
    assert "The page answered HTTP 500." in html
    assert "<td>18.00 USD</td>" in html
    assert "<td>20.00 USD</td>" in html
    assert "Curated value" in html


def make_checked_offers(count):
    for offer in OfferFactory.create_batch(count):
        record_check_result(offer=offer, result=ok(price=offer.price + 1))


@pytest.mark.parametrize("name", ["offercheck", "pricehistory"])
def test_check_and_history_lists_take_fixed_queries(curator_client, name):
    url = reverse(f"admin:catalog_{name}_changelist")
    make_checked_offers(2)
    with CaptureQueriesContext(connection) as few:
        assert curator_client.get(url).status_code == 200
    make_checked_offers(10)
    with CaptureQueriesContext(connection) as many:
        response = curator_client.get(url)
    assert len(response.context["cl"].result_list) > 10
    assert len(many) == len(few)


def test_curators_can_read_but_not_write_checks_and_history(curator):
    for name in ["offercheck", "pricehistory", "clickdaily"]:
        assert curator.has_perm(f"catalog.view_{name}")
        assert not curator.has_perm(f"catalog.change_{name}")
        assert not curator.has_perm(f"catalog.add_{name}")
        assert not curator.has_perm(f"catalog.delete_{name}")
