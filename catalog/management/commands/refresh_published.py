"""Recompute every product's stored published flag from its videos."""

from django.core.management.base import BaseCommand

from catalog.models import Product


class Command(BaseCommand):
    help = (
        "Recompute Product.is_published (shown with, or seen in a scene of, a published "
        "video) for every product. The catalog keeps the flag itself; run this after "
        "writing videos, scenes or appearances with raw SQL, or to check that it holds."
    )

    def handle(self, *args, **options):
        changed = Product.objects.refresh_published()
        published = Product.objects.published().count()
        self.stdout.write(
            f"{changed} product flag{'s' if changed != 1 else ''} corrected; "
            f"{published} of {Product.objects.count()} products are published."
        )
