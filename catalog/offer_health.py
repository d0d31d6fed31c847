"""Keep offers honest: record what the link checker found and run one checker at a time."""

import contextlib
import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .linkcheck import CheckResult
from .models import Offer, OfferCheck, PriceHistory

# A smallint column: stop counting long before it overflows; the offer is hidden long since.
MAX_FAILED_CHECKS_COUNTED = 10_000


@transaction.atomic
def record_check_result(*, offer: Offer, result: CheckResult, checked_at=None) -> OfferCheck:
    """Store a link check and bring the offer up to date with what the page said.

    Writes the OfferCheck, updates the offer's link status, failure streak, price,
    currency and availability, and adds a PriceHistory row whenever one of those three
    changed, all or nothing.
    """
    checked_at = checked_at or timezone.now()
    # Lock the row so that a curator's save in the admin cannot interleave with ours.
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    check = OfferCheck.objects.create(
        offer=offer,
        checked_at=checked_at,
        status=result.status,
        http_status=result.http_status,
        final_url=result.final_url[:2048],
        error_message=result.error_message,
        duration=result.duration,
        price=result.price,
        currency=result.currency,
        availability=result.availability,
    )

    before = (offer.price, offer.currency, offer.availability)
    if result.price is not None:
        offer.price = result.price
        # A page that states a price but no currency is taken to mean the offer's own.
        offer.currency = result.currency or offer.currency
    if result.availability:
        offer.availability = result.availability
    elif result.status == Offer.LinkStatus.OUT_OF_STOCK:
        offer.availability = Offer.Availability.OUT_OF_STOCK
    after = (offer.price, offer.currency, offer.availability)

    if after != before:
        if not offer.price_history.exists():
            # Keep the curated values as the first entry, so the history shows the change.
            PriceHistory.objects.create(
                offer=offer,
                price=before[0],
                currency=before[1],
                availability=before[2],
                recorded_at=offer.updated_at,
            )
        PriceHistory.objects.create(
            offer=offer,
            price=offer.price,
            currency=offer.currency,
            availability=offer.availability,
            recorded_at=checked_at,
            offer_check=check,
        )

    if result.failed:
        offer.failed_checks = min(offer.failed_checks + 1, MAX_FAILED_CHECKS_COUNTED)
    else:
        offer.failed_checks = 0
    offer.link_status = result.status
    offer.last_checked_at = checked_at
    offer.save(
        update_fields=[
            "price",
            "currency",
            "availability",
            "link_status",
            "failed_checks",
            "last_checked_at",
            "updated_at",
        ]
    )
    return check


class LockHeld(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def exclusive_run(name: str) -> Iterator[None]:
    """Hold a lock named `name` across processes and machines, or raise LockHeld.

    On MySQL and MariaDB it is the server's GET_LOCK, so two cron hosts sharing the
    database still run one at a time; elsewhere a file lock in the temp folder, which
    covers one host (SQLite is one host by nature).
    """
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise LockHeld(name)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
        return

    digest = hashlib.sha256(f"{connection.settings_dict['NAME']}:{name}".encode()).hexdigest()
    path = Path(tempfile.gettempdir()) / f"inspired-{digest[:16]}.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LockHeld(name) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
