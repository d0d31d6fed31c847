"""Share link checks between workers: claims on offers and politeness per retailer host.

Any number of workers on any number of machines take offers from the same queue. An
offer is checked by the worker that claims it, with one conditional UPDATE (a lease in
the offer's row), so two workers never check it at once, and a recorded check makes it no
longer due, so it is not checked twice. The pause between two requests to one host is
kept in the cache, which is Redis when REDIS_URL is set, and so shared by every worker.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import batched
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from ..models import Offer


def due_offer_chunks(
    checked_before: datetime, *, limit: int | None = None, chunk_size: int | None = None
) -> Iterator[list[int]]:
    """Yield the ids of the offers due for a check and claimed by nobody, in chunks."""
    now = timezone.now()
    due = Offer.objects.due_for_check(checked_before).not_leased(now).values_list("id", flat=True)
    if limit:
        due = due[:limit]
    yield from (list(chunk) for chunk in batched(due, chunk_size or 100))


def claim_offer(offer_id: int, checked_before: datetime, *, lease: timedelta) -> bool:
    """Claim one offer's check for `lease`; False if it is not due or another worker has it."""
    now = timezone.now()
    claimed = (
        Offer.objects.filter(pk=offer_id)
        .due_for_check(checked_before)
        .not_leased(now)
        .update(check_leased_until=now + lease)
    )
    return claimed == 1


def release_offer(offer_id: int) -> None:
    Offer.objects.filter(pk=offer_id).update(check_leased_until=None)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def take_host_turn(host: str, *, interval: int) -> bool:
    """Reserve the next request to `host`; False while another one is less than `interval` s old.

    `cache.add` writes only when the key is absent, atomically in Redis, so of two
    workers asking at once one gets the turn.
    """
    return cache.add(f"inspired:linkcheck:host:{host}", 1, timeout=max(1, interval))


def split_by_host_turn(offers: Iterable[Offer]) -> tuple[list[Offer], list[Offer]]:
    """Split offers into those whose host has a free turn now and those that must wait.

    At most one offer per host goes in the first list.
    """
    interval = settings.CATALOG_LINKCHECK_HOST_INTERVAL
    now_turns, later = [], []
    hosts_taken = set()
    for offer in offers:
        host = host_of(offer.url)
        if host not in hosts_taken and take_host_turn(host, interval=interval):
            hosts_taken.add(host)
            now_turns.append(offer)
        else:
            later.append(offer)
    return now_turns, later
