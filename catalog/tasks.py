"""Background tasks: thin adapters over the services, each safe to run twice.

Queues (inspired_site/celery.py): link checks on `linkcheck`, feed imports on `imports`,
click roll-ups on `rollups`. Beat sends `enqueue_link_checks` and `rollup_clicks` on the
schedule in settings.CELERY_BEAT_SCHEDULE.
"""

import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from celery import shared_task

from .analytics.rollup import refresh_click_rollup
from .ingest.jobs import run_import_job
from .linkhealth.fetcher import check_url
from .linkhealth.recording import record_check_result
from .linkhealth.scheduling import (
    claim_offer,
    due_offer_chunks,
    release_offer,
    split_by_host_turn,
)
from .locks import LockHeld, exclusive_run
from .models import Offer

# Database hiccups (a failover, a dropped connection) are worth another try.
RETRY_ON = (OperationalError, ConnectionError, TimeoutError)
RETRY = {
    "autoretry_for": RETRY_ON,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def enqueue_link_checks(limit: int | None = None, stale_after_hours: int | None = None) -> int:
    """Send the offers due for a check to the link checkers, a chunk per task."""
    hours = stale_after_hours or settings.CATALOG_LINKCHECK_STALE_AFTER_HOURS
    checked_before = timezone.now() - timedelta(hours=hours)
    sent = 0
    for chunk in due_offer_chunks(
        checked_before, limit=limit, chunk_size=settings.CATALOG_LINKCHECK_CHUNK_SIZE
    ):
        check_offers.delay(chunk, checked_before.isoformat())
        sent += len(chunk)
    return sent


@shared_task(bind=True, **RETRY)
def check_offers(self, offer_ids: list[int], checked_before: str, read_prices: bool = True):
    """Check the offers among `offer_ids` that this worker claims; return their statuses.

    An offer another worker holds, or checked since it was sent, is skipped. An offer whose
    retailer host was visited less than CATALOG_LINKCHECK_HOST_INTERVAL seconds ago is sent
    again, alone with the others of its kind, after that pause.
    """
    before = datetime.fromisoformat(checked_before)
    lease = timedelta(seconds=settings.CATALOG_LINKCHECK_LEASE_SECONDS)
    summary = Counter()
    pending = list(Offer.objects.only("id", "url").in_bulk(offer_ids).values())
    while pending:
        ready, pending = split_by_host_turn(pending)
        if not ready and self.request.is_eager:
            # In-process (no broker): wait for the next turn instead.
            time.sleep(settings.CATALOG_LINKCHECK_HOST_INTERVAL)
            continue
        if not ready:
            # Every host left has had a visit just now; hand the rest to a later task.
            check_offers.apply_async(
                ([offer.pk for offer in pending], checked_before, read_prices),
                countdown=settings.CATALOG_LINKCHECK_HOST_INTERVAL,
            )
            summary["deferred"] += len(pending)
            break
        for offer in ready:
            if not claim_offer(offer.pk, before, lease=lease):
                summary["skipped"] += 1
                continue
            try:
                result = check_url(offer.url, read_prices=read_prices)
                record_check_result(offer=offer, result=result)
                summary[result.status] += 1
            except Offer.DoesNotExist:
                summary["skipped"] += 1
            finally:
                release_offer(offer.pk)
    return dict(summary)


@shared_task(**RETRY)
def import_feed(job_id: int) -> dict | None:
    """Import an uploaded feed (an ImportJob); return its report."""
    job = run_import_job(job_id)
    if job is None:
        return None
    return {"status": job.status, **{k: job.report.get(k) for k in ("created", "updated")}}


@shared_task(**RETRY)
def rollup_clicks() -> int:
    """Fold new clicks into the dashboard's roll-ups; a run already going makes this one 0."""
    try:
        with exclusive_run("inspired.rollup_clicks"):
            return refresh_click_rollup()
    except LockHeld:
        return 0
