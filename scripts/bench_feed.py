#!/usr/bin/env python
"""Measure the merchant feed on 200,000 published products with two offers each.

    DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_bench_feed DJANGO_DEBUG=1 \\
        .venv/bin/python scripts/bench_feed.py [--products 200000]

Creates the database if it is missing, migrates it, fills it once (bulk inserts: products,
one picture each, two offers each, one published video showing them), then times building
the XML and the TSV feed, and reports the files' sizes, the rows written and the peak
memory of the process.
"""

import argparse
import os
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from catalog import models  # noqa: E402
from catalog.integrations import feeds  # noqa: E402
from catalog.validators import gtin_check_digit  # noqa: E402
from scripts.benchdb import create_mysql_database  # noqa: E402

BATCH = 5000


def upc(n: int) -> str:
    body = f"{n:011d}"
    return body + str(gtin_check_digit(body))


def fill(count: int) -> None:
    if models.Product.objects.count() >= count:
        return
    print(f"Creating {count} products…", flush=True)
    kind = models.ProductType.objects.get(slug="shirt")
    style = models.ProductStyle.objects.get(slug="original")
    shops = [
        models.Retailer.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Bench {n}"})[
            0
        ]
        for n in range(2)
    ]
    video, _ = models.Video.objects.get_or_create(
        slug="bench-feed",
        defaults={"title": "Bench feed", "status": models.Video.Status.PUBLISHED},
    )
    for start in range(0, count, BATCH):
        products = models.Product.objects.bulk_create(
            models.Product(
                upc=upc(900_000_000 + n),
                brand="Bench",
                name=f"Shirt {n}",
                slug=f"bench-shirt-{n}",
                description="A shirt for the benchmark.",
                product_type=kind,
                style=style,
                is_published=True,
            )
            for n in range(start, min(start + BATCH, count))
        )
        models.ProductImage.objects.bulk_create(
            models.ProductImage(product=p, image=f"products/{p.slug}.jpg", alt_text=p.name)
            for p in products
        )
        models.Offer.objects.bulk_create(
            models.Offer(
                product=p,
                retailer=shop,
                url=f"https://{shop.slug}.example.com/{p.slug}",
                price=Decimal("49.00"),
                currency="USD",
                availability=models.Offer.Availability.IN_STOCK,
            )
            for p in products
            for shop in shops
        )
        models.VideoProduct.objects.bulk_create(
            models.VideoProduct(video=video, product=p) for p in products
        )
        print(f"  {start + len(products)}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=200_000)
    args = parser.parse_args()
    if not create_mysql_database():
        sys.exit("Run this on MariaDB/MySQL: set DATABASE_URL=mysql://…")
    call_command("migrate", verbosity=0, skip_checks=True)
    fill(args.products)
    timings = {}
    for fmt in ("xml", "tsv"):
        started = time.perf_counter()
        feeds.build(fmt)
        timings[fmt] = time.perf_counter() - started
    # Measured before the rows are counted below, which reads the files.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for fmt, seconds in timings.items():
        path = feeds.feed_path(fmt)
        with path.open() as lines:
            if fmt == "xml":
                rows = sum(line.startswith("<item>") for line in lines)
            else:
                rows = sum(1 for _ in lines) - 1
        print(
            f"{fmt}: {rows} rows in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s), {path.stat().st_size / 1e6:.1f} MB"
        )
    print(f"peak memory of the process while building: {peak:.0f} MB")


if __name__ == "__main__":
    main()
