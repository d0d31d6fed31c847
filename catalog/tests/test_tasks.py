"""Background tasks in-process (no broker, as `make run` has them): what each one does."""

import time
from datetime import timedelta

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest

from catalog import tasks
from catalog.ingest.jobs import run_import_job
from catalog.linkhealth.scheduling import claim_offer, take_host_turn
from catalog.models import Click, ClickRollupState, ImportJob, Offer, OfferCheck, Retailer
from catalog.tests.factories import ClickFactory, OfferFactory, RetailerFactory
from catalog.tests.shop_server import running_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(settings):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_LINKCHECK_HOST_INTERVAL = 1
    cache.clear()
    with running_shop() as (base_url, requests):
        yield base_url, requests


def test_enqueued_checks_visit_each_due_offer_once(shop, settings):
    base, requests = shop
    settings.CATALOG_LINKCHECK_CHUNK_SIZE = 2
    offers = [OfferFactory(url=f"{base}{path}") for path in ["/p/ok", "/p/new-price", "/"]]
    fresh = OfferFactory(url=f"{base}/p/ok?fresh", last_checked_at=timezone.now())

    assert tasks.enqueue_link_checks.delay().get() == 3

    assert OfferCheck.objects.filter(offer__in=offers).count() == 3
    assert not OfferCheck.objects.filter(offer=fresh).exists()
    assert sorted(r[1] for r in requests if r[0] == "GET") == ["/", "/p/new-price", "/p/ok"]
    assert set(Offer.objects.values_list("check_leased_until", flat=True)) == {None}
    # Nothing is due any more: a second tick sends nothing and checks nothing.
    assert tasks.enqueue_link_checks.delay().get() == 0
    assert OfferCheck.objects.count() == 3


def test_an_offer_claimed_by_another_worker_is_not_checked(shop):
    base, requests = shop
    offer = OfferFactory(url=f"{base}/p/ok")
    before = timezone.now()
    assert claim_offer(offer.pk, before, lease=timedelta(minutes=10))
    # A second worker given the same offer cannot claim it.
    assert not claim_offer(offer.pk, before, lease=timedelta(minutes=10))

    summary = tasks.check_offers.delay([offer.pk], before.isoformat()).get()

    assert summary == {"skipped": 1}
    assert requests == []
    assert not OfferCheck.objects.exists()


def test_an_expired_claim_is_taken_over(shop):
    base, _ = shop
    offer = OfferFactory(url=f"{base}/p/ok")
    Offer.objects.filter(pk=offer.pk).update(
        check_leased_until=timezone.now() - timedelta(seconds=1)
    )
    summary = tasks.check_offers.delay([offer.pk], timezone.now().isoformat()).get()
    assert summary == {"ok": 1}


def test_an_offer_checked_since_it_was_sent_is_skipped(shop):
    base, requests = shop
    sent_at = timezone.now()
    offer = OfferFactory(url=f"{base}/p/ok", last_checked_at=sent_at + timedelta(seconds=1))
    assert tasks.check_offers.delay([offer.pk], sent_at.isoformat()).get() == {"skipped": 1}
    assert requests == []


def test_one_host_is_visited_at_most_once_per_interval(shop):
    base, _ = shop
    offers = [OfferFactory(url=f"{base}{path}") for path in ["/p/ok", "/p/new-price"]]
    started = time.monotonic()
    summary = tasks.check_offers.delay([o.pk for o in offers], timezone.now().isoformat()).get()
    assert summary == {"ok": 2}
    assert time.monotonic() - started >= 1


def test_a_host_turn_is_shared_through_the_cache(settings):
    cache.clear()
    assert take_host_turn("shop.example", interval=1)
    assert not take_host_turn("shop.example", interval=1)
    assert take_host_turn("other.example", interval=1)
    time.sleep(1.1)
    assert take_host_turn("shop.example", interval=1)


def retailer_csv(count: int) -> bytes:
    rows = ["name,slug,website"] + [
        f"Shop {n},shop-{n},https://shop-{n}.example.com/" for n in range(count)
    ]
    return ("\n".join(rows) + "\n").encode()


def test_an_admin_upload_past_the_preview_limit_is_imported_by_a_worker(
    client, curator, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_ADMIN_IMPORT_MAX_ROWS = 5
    client.force_login(curator)
    upload = SimpleUploadedFile("retailers.csv", retailer_csv(12), content_type="text/csv")

    # The job goes to the worker once the upload's transaction has committed.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("admin:catalog_importjob_add"), {"kind": "retailers", "file": upload}
        )
        assert ImportJob.objects.get().status == ImportJob.Status.QUEUED
    assert [cb for cb in callbacks if "enqueue_import" in cb.__qualname__]

    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.processed_rows) == (12, 12)
    assert job.report["created"] == 12
    assert job.created_by == curator
    assert job.file.name.startswith("imports/") and job.file.name.endswith("/retailers.csv")
    assert len(job.file.name.split("/")[1]) == 32  # a folder nobody can guess
    assert Retailer.objects.filter(slug__startswith="shop-").count() == 12
    page = client.get(reverse("admin:catalog_importjob_change", args=[job.pk]))
    assert "12 created, 0 updated, 0 unchanged, 0 rejected." in page.text
    assert "12 of 12 rows (100%)" in page.text


def test_an_upload_of_another_kind_of_file_is_refused(client, curator):
    client.force_login(curator)
    upload = SimpleUploadedFile("retailers.txt", b"name\nShop\n")
    response = client.post(
        reverse("admin:catalog_importjob_add"), {"kind": "retailers", "file": upload}
    )
    assert response.status_code == 200
    assert "Upload a .csv, .xlsx, .json, .jsonl or .ndjson file." in response.text
    assert not ImportJob.objects.exists()


def test_a_job_reports_rejected_rows_and_runs_once(settings):
    RetailerFactory(slug="taken", name="Taken")
    job = ImportJob.objects.create(
        kind="retailers",
        file=SimpleUploadedFile("r.csv", b"name,slug,website\nA,a,https://a.example/\n,,x\n"),
    )
    done = run_import_job(job.pk)
    assert done.status == ImportJob.Status.DONE
    assert (done.report["created"], done.report["rejected"]) == (1, 1)
    assert done.report["rejected_rows"][0]["row"] == 2
    # A redelivered task finds the job done and leaves it alone.
    assert run_import_job(job.pk) is None


def test_a_stalled_job_is_taken_over_and_changes_nothing_twice():
    job = ImportJob.objects.create(
        kind="retailers", file=SimpleUploadedFile("r.csv", b"name,slug\nA,a\n")
    )
    run_import_job(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, updated_at=timezone.now() - timedelta(hours=1)
    )
    again = run_import_job(job.pk)
    assert (again.status, again.report["created"], again.report["unchanged"]) == ("done", 0, 1)
    assert Retailer.objects.filter(slug="a").count() == 1


def test_the_rollup_task_folds_settled_clicks_once():
    old = timezone.now() - timedelta(minutes=10)
    clicks = ClickFactory.create_batch(3)
    Click.objects.update(created_at=old)
    assert tasks.rollup_clicks.delay().get() == 3
    assert tasks.rollup_clicks.delay().get() == 0
    assert ClickRollupState.objects.get().last_click_id == clicks[-1].pk
