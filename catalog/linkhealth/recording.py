"""Keep offers honest: record what the link checker found on the offer and its history."""

from django.db import transaction
from django.utils import timezone

from ..models import Offer, OfferCheck, PriceHistory
from .fetcher import CheckResult

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
