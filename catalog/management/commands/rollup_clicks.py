"""Fold new clicks into the dashboard's daily roll-ups; safe to run from cron."""

from django.core.management.base import BaseCommand

from tqdm import tqdm

from catalog.analytics.rollup import pending_click_range, refresh_click_rollup


class Command(BaseCommand):
    help = (
        "Fold the clicks recorded since the last run into the click dashboard's daily "
        "roll-ups. The dashboard folds a few itself on each view; run this from cron, and "
        "once after a large backlog (a first deployment, an import of old clicks)."
    )

    def handle(self, *args, **options):
        start, end = pending_click_range()
        if end is None:
            self.stdout.write("The click roll-ups are up to date.")
            return
        # Runs at the same time are safe: each chunk claims its ids first, and a run
        # that loses the claim stops.
        with tqdm(
            total=end - start, unit="id", unit_scale=True, disable=options["verbosity"] < 1
        ) as progress:
            folded = refresh_click_rollup(on_chunk=lambda ids, clicks: progress.update(ids))
        self.stdout.write(
            self.style.SUCCESS(f"Rolled up {folded} click{'s' if folded != 1 else ''}.")
        )
