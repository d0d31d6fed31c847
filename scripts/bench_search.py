#!/usr/bin/env python
"""Time the shoppers' search page on the catalog in the database.

    export DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_scale
    DJANGO_DEBUG=1 .venv/bin/python manage.py generate_catalog --size full
    .venv/bin/python scripts/bench_search.py --rounds 15

Requests `/search/?q=…` for a set of queries (common and rare words, several words,
artists, video titles, an empty and a fruitless query) through Django's test client, in
process with debug off, interleaved over the rounds. Prints per query the server time
(p50, p90); the SQL time, timed by Django in rounds of their own; this process's CPU time
per request, the Python side, which other processes' load does not inflate; the SQL
queries and the products on the first page; and the machine's load and the catalog's
size. No HTTP server: the time is the site's own.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings_test")
os.environ["DJANGO_DEBUG"] = "0"

QUERIES = [
    "jacket",
    "jackets",
    "leather jackets",
    "black leather biker jacket",
    "black denim jacket",
    "shirt",
    "umbra",
    "juno thorne",
    "glass fire",
    "neon midnight",
    "",
    "zzzz nothing",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--query", action="append", help="a query to time (repeatable)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import (
        CaptureQueriesContext,
        setup_test_environment,
        teardown_test_environment,
    )
    from django.urls import reverse

    import storefront.caching
    import storefront.views
    from catalog.models import Offer, Product, Video

    def uncached(request):
        request._page_cache = (None, None)  # the page is neither read from nor kept in it
        return None

    # The search's own work is measured, not the page cache's.
    storefront.caching.cached_page = uncached
    storefront.views.cached_page = uncached
    queries = args.query or QUERIES
    client = Client()
    url = reverse("storefront:search")
    found, counts = {}, {}
    setup_test_environment()  # for response.context, in the untimed pass only
    for query in queries:  # warm up, count queries and results
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"q": query})
        assert response.status_code == 200, (query, response.status_code)
        counts[query] = len(captured)
        found[query] = len(response.context["products"])
    teardown_test_environment()
    times = {query: [] for query in queries}
    cpu = {query: [] for query in queries}
    sql = {query: [] for query in queries}
    for _ in range(args.rounds):
        for query in queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get(url, {"q": query})
            times[query].append((time.perf_counter() - started) * 1000)
            cpu[query].append((time.process_time() - cpu_started) * 1000)
        for query in queries:  # the SQL alone, timed by Django, in rounds of their own
            with CaptureQueriesContext(connection) as captured:
                client.get(url, {"q": query})
            sql[query].append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, fixed arguments)
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"commit {commit}, {connection.vendor}, {Video.objects.count():,} videos, "
        f"{Product.objects.count():,} products, {Offer.objects.count():,} offers; "
        f"load average {load} on {os.cpu_count()} CPUs; {args.rounds} rounds"
    )
    print()
    print(
        "| query | p50 ms | p90 ms | SQL ms (p50) | Python CPU ms (p50) | queries "
        "| products on page 1 |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for query in queries:
        values = sorted(times[query])
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(
            f"| {query or '(empty)'} | {statistics.median(values):.1f} | {p90:.1f} | "
            f"{statistics.median(sql[query]):.1f} | {statistics.median(cpu[query]):.1f} | "
            f"{counts[query]} | {found[query]} |"
        )


if __name__ == "__main__":
    main()
