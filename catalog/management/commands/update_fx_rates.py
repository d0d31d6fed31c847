"""Fetch the ECB's daily reference rates and store them with their date."""

from django.core.management.base import BaseCommand, CommandError

from catalog.integrations import fx


class Command(BaseCommand):
    help = (
        "Read the ECB's daily exchange reference rates (CATALOG_FX_RATES_URL, or --url) "
        "and store them with their date. Shoppers' display prices convert with the newest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", help="Read the rates from this URL instead.")

    def handle(self, *args, url=None, **options):
        try:
            stored = fx.update_rates(url)
        except fx.RatesUnavailable as error:
            raise CommandError(str(error)) from error
        table = fx.latest_rates()
        self.stdout.write(f"{stored} exchange rates stored; the newest are of {table.day}.")
