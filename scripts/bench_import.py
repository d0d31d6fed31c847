"""Measure `import_feed` on a million offers; run by hand, not in the test suite.

    DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_bench_import \
        .venv/bin/python scripts/bench_import.py [--offers 1000000] [--retailers 200]

It migrates that database, bulk-creates products (offers / retailers of them) and the
retailers if they are not there yet, writes a CSV feed with an offer of every product at
every retailer, then times three runs of the command: the first import (all created),
the same file again (all unchanged) and a file with every tenth price changed.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "mysql://root:@127.0.0.1:3306/inspired_bench_import")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from catalog.models import Offer, Product, ProductStyle, ProductType, Retailer  # noqa: E402
from catalog.validators import gtin_check_digit  # noqa: E402
from scripts.benchdb import create_mysql_database  # noqa: E402


def upc(n: int) -> str:
    body = f"{n:011d}"
    return body + str(gtin_check_digit(body))


def ensure_catalog(products: int, retailers: int) -> None:
    have = Product.objects.count()
    if have < products:
        product_type, style = ProductType.objects.first(), ProductStyle.objects.first()
        batch = []
        for n in range(have + 1, products + 1):
            batch.append(
                Product(
                    upc=upc(n),
                    brand="Bench",
                    name=f"Item {n}",
                    slug=f"bench-item-{n}",
                    product_type=product_type,
                    style=style,
                )
            )
            if len(batch) == 10_000:
                Product.objects.bulk_create(batch)
                batch = []
        Product.objects.bulk_create(batch)
    Retailer.objects.bulk_create(
        [
            Retailer(name=f"Bench Retailer {n}", slug=f"bench-retailer-{n}")
            for n in range(retailers)
        ],
        ignore_conflicts=True,
    )


def write_feed(path: Path, products: int, retailers: int, price_bump: bool) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["upc", "retailer", "url", "price", "currency", "availability"])
        for n in range(1, products + 1):
            code = upc(n)
            for r in range(retailers):
                cents = 1000 + (n * 7 + r) % 9000
                if price_bump and n % 10 == 0:
                    cents += 1
                writer.writerow(
                    [
                        code,
                        f"Bench Retailer {r}",
                        f"https://r{r}.example.com/p/{code}",
                        f"{cents // 100}.{cents % 100:02d}",
                        "USD",
                        "in_stock",
                    ]
                )


def timed_import(path: Path, batch_size: int) -> float:
    started = time.monotonic()
    call_command("import_feed", str(path), "--batch-size", str(batch_size), "--no-progress")
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=1_000_000)
    parser.add_argument("--retailers", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="Keep the offers of an earlier run.")
    args = parser.parse_args()
    # Every product has an offer at `per_product` retailers: 200k products x 5 for 1M.
    per_product = 5
    products = args.offers // per_product

    create_mysql_database()
    call_command("migrate", verbosity=0)
    server = connection.mysql_server_info if connection.vendor == "mysql" else ""
    print(f"database: {connection.vendor} {server}")
    started = time.monotonic()
    ensure_catalog(products, args.retailers)
    print(
        f"catalog: {Product.objects.count()} products, {Retailer.objects.count()} retailers "
        f"({time.monotonic() - started:.0f} s)"
    )
    if not args.keep:
        Offer.objects.filter(retailer__slug__startswith="bench-retailer-").delete()

    with tempfile.TemporaryDirectory() as folder:
        feed = Path(folder) / "offers.csv"
        started = time.monotonic()
        write_feed(feed, products, per_product, price_bump=False)
        size, seconds = feed.stat().st_size / 1e6, time.monotonic() - started
        print(f"feed: {size:.0f} MB written in {seconds:.0f} s")
        first = timed_import(feed, args.batch_size)
        again = timed_import(feed, args.batch_size)
        write_feed(feed, products, per_product, price_bump=True)
        changed = timed_import(feed, args.batch_size)
    print(
        f"first import: {first:.0f} s; same file again: {again:.0f} s; "
        f"10% of prices changed: {changed:.0f} s; offers now {Offer.objects.count()}"
    )


if __name__ == "__main__":
    main()
