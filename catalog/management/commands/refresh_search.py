"""Rebuild the shoppers' search: every stored search text, product search term and the
engine's index."""

from django.core.management.base import BaseCommand

from catalog import search


class Command(BaseCommand):
    help = (
        "Recompute the stored search text of every artist, video and product, rewrite the "
        "products' search terms and repair the database's full-text index (MariaDB "
        "FULLTEXT, SQLite FTS5). The catalog keeps them itself; run this after writing "
        "catalog rows with raw SQL, or to check them."
    )

    def handle(self, *args, **options):
        changed = search.rebuild()
        counts = ", ".join(f"{n} {model}{'s' if n != 1 else ''}" for model, n in changed.items())
        self.stdout.write(f"Search texts corrected: {counts}. The search index is complete.")
