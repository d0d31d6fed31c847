"""Build the merchant feeds now, so that no shopper's request has to."""

from django.core.management.base import BaseCommand

from catalog.integrations import feeds


class Command(BaseCommand):
    help = (
        "Write /feeds/products.xml and /feeds/products.tsv into CATALOG_FEED_DIR. The site "
        "builds a stale feed on request; run this from cron to keep them warm."
    )

    def handle(self, *args, **options):
        for fmt in feeds.FORMATS:
            path = feeds.build(fmt)
            self.stdout.write(f"{path} written ({path.stat().st_size} bytes).")
