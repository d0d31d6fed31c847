#!/usr/bin/env python
"""Measure the curators' click dashboard on a million recorded clicks.

    DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_bench_clicks DJANGO_DEBUG=1 \\
        .venv/bin/python scripts/bench_dashboard.py [--clicks 1000000] [--days 90]

Creates the database if it is missing, migrates it, fills it once with a synthetic catalog
and clicks spread over `--days` days (popular offers get most clicks, as in life), then
times: the first roll-up of every click, an incremental roll-up of 10,000 new clicks, the
dashboard page (30 days; filtered by artist; by retailer; 90 days), a CSV export, and for
comparison the same top-products question asked of the raw Click table.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalog import models  # noqa: E402
from catalog.analytics.rollup import refresh_click_rollup  # noqa: E402
from catalog.validators import gtin_check_digit  # noqa: E402
from scripts.benchdb import create_mysql_database  # noqa: E402


def ensure_database():
    if not create_mysql_database():
        sys.exit("Run this on MariaDB/MySQL: set DATABASE_URL=mysql://…")
    call_command("migrate", verbosity=0, skip_checks=True)


def upc(n: int) -> str:
    body = f"{n:011d}"
    return body + str(gtin_check_digit(body))


def fill_catalog(rng: random.Random):
    if models.Offer.objects.exists():
        return
    print("Creating the catalog…", flush=True)
    product_type = models.ProductType.objects.get(slug="shirt")
    style = models.ProductStyle.objects.get(slug="original")
    artists = models.Artist.objects.bulk_create(
        models.Artist(name=f"Bench artist {n}", slug=f"bench-artist-{n}") for n in range(300)
    )
    videos = models.Video.objects.bulk_create(
        models.Video(title=f"Bench video {n}", slug=f"bench-video-{n}", status="published")
        for n in range(3000)
    )
    through = models.Video.artists.through
    through.objects.bulk_create(
        through(video_id=video.pk, artist_id=artist.pk)
        for video in videos
        for artist in rng.sample(artists, rng.choice([1, 1, 1, 2]))
    )
    scenes = models.Scene.objects.bulk_create(
        models.Scene(
            video=video, start=timedelta(seconds=20 * n), end=timedelta(seconds=20 * n + 20)
        )
        for video in videos
        for n in range(5)
    )
    products = models.Product.objects.bulk_create(
        (
            models.Product(
                upc=upc(n + 1),
                brand=f"Brand {n % 400}",
                name=f"Item {n}",
                slug=f"bench-item-{n}",
                product_type=product_type,
                style=style,
            )
            for n in range(30_000)
        ),
        batch_size=5000,
    )
    retailers = models.Retailer.objects.bulk_create(
        models.Retailer(name=f"Bench retailer {n}", slug=f"bench-retailer-{n}") for n in range(60)
    )
    models.Offer.objects.bulk_create(
        (
            models.Offer(
                product=product,
                retailer=retailer,
                url=f"https://shop.example.com/{product.slug}",
                price=Decimal("19.99"),
            )
            for product in products
            for retailer in rng.sample(retailers, 2)
        ),
        batch_size=5000,
    )
    print(f"  {len(products)} products, {len(videos)} videos, {len(scenes)} scenes", flush=True)


def fill_clicks(total: int, days: int):
    """Insert clicks server-side: Python-built rows would take most of an hour."""
    have = models.Click.objects.count()
    if have >= total:
        return
    print(f"Creating {total - have} clicks…", flush=True)
    offers = models.Offer.objects.aggregate(low=Min("id"), high=Max("id"))
    videos = models.Video.objects.aggregate(low=Min("id"), count=Count("id"))
    first_scene = models.Scene.objects.aggregate(low=Min("id"))["low"]
    started = time.perf_counter()
    step = 100_000
    for start in range(have + 1, total + 1, step):
        stop = min(start + step - 1, total)
        with connection.cursor() as cursor:
            # MariaDB's SEQUENCE engine gives the row numbers. Clicks come in time order,
            # evenly over the period, as a live site records them. Offer popularity has a
            # long tail (the cube of a uniform number); each product is shown in one video;
            # one click in five comes from outside any video.
            cursor.execute(
                f"""
                INSERT INTO catalog_click (created_at, updated_at, offer_id, product_id,
                    retailer_id, video_id, scene_id, visitor_hash, target_url)
                SELECT stamp, stamp, o.id, o.product_id, o.retailer_id,
                    IF(s.seq %% 5 = 0, NULL, %(video_low)s + o.product_id %% %(video_count)s),
                    IF(s.seq %% 5 = 0, NULL,
                       %(scene_low)s + (o.product_id %% %(video_count)s) * 5 + s.seq %% 2),
                    MD5(s.seq), 'https://shop.example.com/x'
                FROM (
                    SELECT seq,
                        UTC_TIMESTAMP(6)
                            - INTERVAL FLOOR((%(total)s - seq) * %(seconds)s / %(total)s) SECOND
                            AS stamp,
                        %(offer_low)s
                            + FLOOR(POW(RAND(seq), 3) * (%(offer_high)s - %(offer_low)s + 1))
                            AS offer_id
                    FROM seq_{start}_to_{stop}
                ) AS s
                JOIN catalog_offer o ON o.id = s.offer_id
                """,  # noqa: S608 (the table name is built from two integers)
                {
                    "video_low": videos["low"],
                    "video_count": videos["count"],
                    "scene_low": first_scene,
                    "seconds": days * 86400,
                    "total": total,
                    "offer_low": offers["low"],
                    "offer_high": offers["high"],
                },
            )
        print(f"  {stop} clicks, {time.perf_counter() - started:.0f} s", flush=True)


def timed(label, function, repeat=5):
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    print(f"{label:<58} median {median * 1000:7.1f} ms  (best {min(runs) * 1000:.1f})")
    return median


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument(
        "--reuse-rollup",
        action="store_true",
        help="Keep the roll-ups of an earlier run instead of timing a new backfill.",
    )
    args = parser.parse_args()
    rng = random.Random(5)  # noqa: S311 (synthetic data, not security)

    ensure_database()
    fill_catalog(rng)
    fill_clicks(args.clicks, args.days)
    clicks = models.Click.objects.count()

    if not args.reuse_rollup:
        models.ClickDaily.objects.all().delete()
        models.ClickDailyTotal.objects.all().delete()
        models.ClickRollupState.objects.all().delete()
        started = time.perf_counter()
        rolled = refresh_click_rollup()
        first = time.perf_counter() - started
        print(f"First roll-up of {rolled} clicks: {first:.1f} s")
    rollup_rows = models.ClickDaily.objects.count()
    total_rows = models.ClickDailyTotal.objects.count()
    print(f"Roll-up rows: {rollup_rows} combinations, {total_rows} subject totals")

    offers = list(models.Offer.objects.values_list("id", "product_id", "retailer_id")[:500])
    models.Click.objects.bulk_create(
        models.Click(offer_id=o, product_id=p, retailer_id=r, target_url="https://x.example/")
        for o, p, r in rng.choices(offers, k=10_000)
    )
    models.Click.objects.filter(created_at__gte=timezone.now() - timedelta(minutes=5)).update(
        created_at=timezone.now() - timedelta(minutes=1)
    )
    started = time.perf_counter()
    rolled = refresh_click_rollup()
    elapsed = (time.perf_counter() - started) * 1000
    print(f"Incremental roll-up of {rolled} new clicks: {elapsed:.0f} ms")

    user, _ = get_user_model().objects.get_or_create(
        username="bench-dashboard", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = reverse("admin:catalog_click_dashboard")
    artist = models.Artist.objects.order_by("id").first()
    retailer = models.Retailer.objects.order_by("id").first()
    today = timezone.localdate()

    def page(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        return response

    print(
        f"\n{clicks} clicks over {args.days} days, {rollup_rows} roll-up rows, {connection.vendor}"
    )
    results = {
        "30 days": timed("Dashboard page, last 30 days", page),
        "artist": timed(
            "Dashboard page, last 30 days, one artist", lambda: page(artist=artist.pk)
        ),
        "retailer": timed(
            "Dashboard page, last 30 days, one retailer", lambda: page(retailer=retailer.pk)
        ),
        "90 days": timed(
            f"Dashboard page, last {args.days} days",
            lambda: page(start=(today - timedelta(days=args.days - 1)).isoformat()),
        ),
        "csv": timed(
            "CSV export of every product ranked, 30 days", lambda: page(export="products")
        ),
        "raw": timed(
            "Same top-10 products from raw Click rows (no roll-up)",
            lambda: list(
                models.Click.objects.filter(created_at__gte=timezone.now() - timedelta(days=30))
                .values("product")
                .annotate(clicks=Count("id"))
                .order_by("-clicks")[:10]
            ),
            repeat=3,
        ),
    }
    return results


if __name__ == "__main__":
    main()
