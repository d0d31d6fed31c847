import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

import pytest

from catalog.locks import LockHeld, exclusive_run
from catalog.management.commands import check_offers
from catalog.management.commands.check_offers import LOCK_NAME
from catalog.models import Offer, OfferCheck
from catalog.tests.factories import OfferFactory
from catalog.tests.shop_server import running_shop

pytestmark = pytest.mark.django_db

Status = Offer.LinkStatus


@pytest.fixture
def shop(settings):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_LINKCHECK_READ_TIMEOUT = 0.5
    settings.CATALOG_LINKCHECK_MAX_BODY_BYTES = 100_000
    with running_shop() as (base_url, requests):
        yield base_url, requests


def run(*args):
    out = StringIO()
    call_command("check_offers", *args, "--verbosity", "0", stdout=out)
    return out.getvalue()


def test_the_command_checks_each_offer_and_prints_a_summary(shop):
    base, _ = shop
    paths = {
        "ok": "/p/ok",
        "missing": "/p/missing",
        "chain": "/p/chain-1",
        "home": "/p/discontinued",
        "sold_out": "/p/sold-out",
        "new_price": "/p/new-price",
    }
    offers = {
        name: OfferFactory(url=f"{base}{path}", price=Decimal("25.00"))
        for name, path in paths.items()
    }
    output = run("--concurrency", "3")

    statuses = {name: Offer.objects.get(pk=offer.pk).link_status for name, offer in offers.items()}
    assert statuses == {
        "ok": Status.OK,
        "missing": Status.BROKEN,
        "chain": Status.REDIRECTED,
        "home": Status.GONE,
        "sold_out": Status.OUT_OF_STOCK,
        "new_price": Status.OK,
    }
    repriced = Offer.objects.get(pk=offers["new_price"].pk)
    assert (repriced.price, repriced.currency) == (Decimal("17.50"), "EUR")
    assert repriced.price_history.latest().offer_check.status == Status.OK
    assert OfferCheck.objects.count() == 6
    assert output.splitlines() == [
        "Checked 6 offers.",
        "  Broken: 1",
        "  Gone to a home or category page: 1",
        "  OK: 2",
        "  Out of stock: 1",
        "  Redirected to another product page: 1",
    ]


def test_recently_checked_offers_wait_and_limit_bounds_the_run(shop):
    base, _ = shop
    fresh = OfferFactory(url=f"{base}/p/ok", last_checked_at=timezone.now())
    stale = OfferFactory(url=f"{base}/p/ok", last_checked_at=timezone.now() - timedelta(hours=30))
    never = [OfferFactory(url=f"{base}/p/ok") for _ in range(3)]

    assert run("--stale-after", "24", "--limit", "2") == "Checked 2 offers.\n  OK: 2\n"
    assert set(OfferCheck.objects.values_list("offer", flat=True)) == {
        never[0].pk,
        never[1].pk,
    }
    run("--stale-after", "24")
    checked = set(OfferCheck.objects.values_list("offer", flat=True))
    assert stale.pk in checked
    assert fresh.pk not in checked
    assert len(checked) == 4


def test_a_second_run_refuses_to_start_while_one_holds_the_lock(shop):
    base, requests = shop
    OfferFactory(url=f"{base}/p/ok")
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        # Another thread has its own database connection, like another cron run.
        try:
            with exclusive_run(LOCK_NAME):
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=hold_the_lock)
    other.start()
    try:
        assert holding.wait(10)
        with pytest.raises(CommandError, match="Another check_offers run is in progress"):
            run()
        assert not OfferCheck.objects.exists()
        assert requests == []
    finally:
        release.set()
        other.join()
    assert run() == "Checked 1 offer.\n  OK: 1\n"


def lock_from_another_thread():
    outcome = []

    def attempt():
        try:
            with exclusive_run(LOCK_NAME):
                outcome.append("acquired")
        except LockHeld:
            outcome.append("held")
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return outcome[0]


def test_the_lock_is_exclusive_and_released_after_a_run():
    with exclusive_run(LOCK_NAME):
        assert lock_from_another_thread() == "held"
    assert lock_from_another_thread() == "acquired"


@pytest.mark.parametrize("args", [["--limit", "0"], ["--concurrency", "-2"], ["--limit", "x"]])
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        call_command("check_offers", *args)


def test_an_offer_deleted_during_the_run_is_skipped(shop, monkeypatch):
    base, _ = shop
    doomed, kept = OfferFactory(url=f"{base}/p/ok"), OfferFactory(url=f"{base}/p/ok")
    real_record = check_offers.record_check_result

    def curator_deletes_first(*, offer, result):
        # The curator's delete lands between the fetch and the write.
        if offer.pk == doomed.pk:
            Offer.objects.filter(pk=doomed.pk).delete()
        return real_record(offer=offer, result=result)

    monkeypatch.setattr(check_offers, "record_check_result", curator_deletes_first)
    assert run("--concurrency", "1") == "Checked 1 offer.\n  OK: 1\n"
    assert list(OfferCheck.objects.values_list("offer", flat=True)) == [kept.pk]


def test_more_offers_than_one_slice_are_all_checked_once(shop):
    base, _ = shop
    # One page at a time submits slices of 20: 45 offers take three slices.
    offers = [OfferFactory(url=f"{base}/p/ok?n={n}") for n in range(45)]
    output = run("--concurrency", "1")
    assert "Checked 45 offers." in output
    assert OfferCheck.objects.count() == 45
    assert set(OfferCheck.objects.values_list("offer", flat=True)) == {o.pk for o in offers}
