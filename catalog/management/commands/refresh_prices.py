"""Recompute every product's stored from price from its offers."""

from django.core.management.base import BaseCommand

from catalog.models import Product


class Command(BaseCommand):
    help = (
        "Recompute Product.from_price, from_currency and price_rank (the cheapest buyable "
        "offer, in the site's currency where there is one) for every product. The catalog "
        "keeps them itself; run this after writing offers with raw SQL, after changing "
        "CATALOG_CURRENCY or CATALOG_OFFER_MAX_FAILED_CHECKS, or to check that they hold."
    )

    def handle(self, *args, **options):
        changed = Product.objects.refresh_prices()
        priced = Product.objects.exclude(price_rank=Product.PriceRank.NONE).count()
        self.stdout.write(
            f"{changed} from price{'s' if changed != 1 else ''} corrected; "
            f"{priced} of {Product.objects.count()} products have a buyable offer."
        )
