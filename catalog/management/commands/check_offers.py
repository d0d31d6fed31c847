"""Check offers' links and prices; safe to run from cron (one run at a time)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tqdm import tqdm

from catalog.linkhealth.fetcher import check_url
from catalog.linkhealth.recording import record_check_result
from catalog.locks import LockHeld, exclusive_run
from catalog.models import Offer

LOCK_NAME = "inspired.check_offers"


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Visit the offers not checked recently, oldest first: record each link's status "
        "(ok, redirected, broken, gone, out of stock) and the price the page states."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=positive_int, default=None, help="Check at most this many offers."
        )
        parser.add_argument(
            "--stale-after",
            type=positive_int,
            default=None,
            metavar="HOURS",
            help="Check offers last checked more than HOURS ago "
            "(default: CATALOG_LINKCHECK_STALE_AFTER_HOURS).",
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            default=None,
            help="Pages fetched at once (default: CATALOG_LINKCHECK_CONCURRENCY).",
        )
        parser.add_argument(
            "--no-prices",
            action="store_true",
            help="Only check that links work (HEAD); do not read prices from the pages.",
        )

    def handle(self, *args, limit, stale_after, concurrency, no_prices, **options):
        stale_after = stale_after or settings.CATALOG_LINKCHECK_STALE_AFTER_HOURS
        concurrency = concurrency or settings.CATALOG_LINKCHECK_CONCURRENCY
        try:
            with exclusive_run(LOCK_NAME):
                summary = self.check_due_offers(
                    checked_before=timezone.now() - timedelta(hours=stale_after),
                    limit=limit,
                    concurrency=concurrency,
                    read_prices=not no_prices,
                    show_progress=options["verbosity"] > 0,
                )
        except LockHeld as error:
            raise CommandError("Another check_offers run is in progress; not starting.") from error

        total = sum(summary.values())
        labels = dict(Offer.LinkStatus.choices)
        lines = [f"Checked {total} offer{'s' if total != 1 else ''}."]
        lines += [f"  {labels[status]}: {count}" for status, count in sorted(summary.items())]
        self.stdout.write("\n".join(lines))

    # Not `check`: that name is BaseCommand's system-check hook, which runs before handle().
    def check_due_offers(self, *, checked_before, limit, concurrency, read_prices, show_progress):
        due = Offer.objects.due_for_check(checked_before)
        if limit:
            due = due[:limit]
        # Ids only (tens of MB for a million offers); the URLs load a slice at a time.
        offer_ids = list(due.values_list("id", flat=True))
        summary = Counter()
        # Threads only fetch; every database write happens here, on the command's own
        # connection, so the pool needs no connections of its own.
        with (
            ThreadPoolExecutor(max_workers=concurrency) as pool,
            tqdm(total=len(offer_ids), unit="offer", disable=not show_progress) as progress,
        ):
            # Submit in slices so that a million offers do not become a million futures.
            step = concurrency * 20
            for start in range(0, len(offer_ids), step):
                slice_ids = offer_ids[start : start + step]
                offers = Offer.objects.only("id", "url").in_bulk(slice_ids)
                # An offer deleted since the ids were read is simply not there.
                progress.update(len(slice_ids) - len(offers))
                futures = {
                    pool.submit(check_url, offer.url, read_prices=read_prices): offer
                    for offer in offers.values()
                }
                for future in as_completed(futures):
                    result = future.result()
                    progress.update()
                    try:
                        record_check_result(offer=futures[future], result=result)
                    except Offer.DoesNotExist:
                        # A curator deleted it while its page was being fetched.
                        continue
                    summary[result.status] += 1
        return summary
