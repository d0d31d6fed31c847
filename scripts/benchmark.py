#!/usr/bin/env python
"""Measure the site's pages under gunicorn against whatever catalog is in the database.

Fill the database first, e.g. on MariaDB:

    export DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_scale
    DJANGO_DEBUG=1 .venv/bin/python manage.py migrate
    DJANGO_DEBUG=1 .venv/bin/python manage.py generate_catalog --size full
    .venv/bin/python scripts/benchmark.py            # or: make bench

Three servers run side by side under gunicorn with the project's gunicorn.conf.py
(scripts/bench_apps.py): the floors (a bare WSGI hello, and a bare WSGI application running
the API product list's own SQL through mysqlclient) and the site with debug off. Every page
is loaded by a few keep-alive client threads for a few seconds, the pages taking turns
within each round (interleaved), for several rounds; the table holds the medians over the
rounds of requests per second, p50 and p99 latency, the queries and SQL time per request
(counted in the server), and the ratio of each page's requests per second to its floor.
The API lists are then loaded once more at half their peak rate (paced, latency counted
from when each request was due) for their p99 at half of peak throughput, and every page
from a single connection for its p50 alone: the server time of one request that shares the
machine with no other.
Pages are measured uncached (the page cache skipped) unless their label says "cached";
with REDIS_URL set (the default here: Redis DB 5) the cache is Redis.
"""

import argparse
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inspired_site.settings_test")
# Measure what production runs: debug off, whatever the shell exported for manage.py.
os.environ["DJANGO_DEBUG"] = "0"

HOST = "127.0.0.1"
USERNAME = "benchmark-curator"
# A throwaway login for the local benchmark database; never a production account.
PASSWORD = "benchmark-curator-password"  # noqa: S105
QUERY_HEADER = "X-Bench-Queries"
SQL_HEADER = "X-Bench-Sql-Ms"
UNCACHED = {"X-Bench-Uncached": "1"}


@dataclass
class Page:
    label: str
    server: str  # "hello", "sql" or "site"
    path: str
    floor: str = ""  # label of the page whose requests/s this one is compared with
    headers: dict = field(default_factory=dict)
    as_curator: bool = False


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    queries: list[int]
    sql_ms: list[float]
    statuses: set[int]

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction):
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# The servers


def start_gunicorn(app: str, port: int, env: dict, workers: int, threads: int):
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--pythonpath",
        f"{ROOT / 'scripts'},{ROOT}",
        app,
    ]
    env = {
        **os.environ,
        **env,
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESSLOG": "",
        # Steady state: no worker restarts (gunicorn.conf.py's max_requests) mid-round.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed arguments
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {app} exited; see its log above.")
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return process
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"gunicorn for {app} did not listen on {HOST}:{port}.")


def log_in(port: int) -> str:
    """Sign in to the admin as the benchmark's curator; return the Cookie header."""
    cookies = {}

    def request(method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                cookies[name] = morsel.value
        connection.close()
        return response, content

    _, content = request("GET", "/admin/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
    body = urlencode(
        {"csrfmiddlewaretoken": token.decode(), "username": USERNAME, "password": PASSWORD}
    )
    response, _ = request(
        "POST",
        "/admin/login/",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": "/admin/"},
    )
    if response.status != 302:
        raise SystemExit(f"Could not log in as {USERNAME} (HTTP {response.status}).")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# The load


def load(
    port: int, page: Page, seconds: float, concurrency: int, cookie: str, rate: float = 0
) -> Run:
    """Request the page from `concurrency` keep-alive connections for `seconds`.

    Each connection sends its next request as soon as it has the answer, or, given a
    `rate` (requests per second in all), at fixed intervals: a paced load, whose latencies
    are those of a server that is busy but not saturated.
    """
    headers = {**page.headers}
    if page.as_curator:
        headers["Cookie"] = cookie
    latencies, queries, sql_ms, statuses = [], [], [], set()
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(offset):
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        mine, my_queries, my_sql, my_statuses = [], [], [], set()
        interval = concurrency / rate if rate else 0
        due = time.perf_counter() + offset * interval / concurrency
        while time.perf_counter() < stop:
            started = time.perf_counter()
            if interval:
                # Latency counts from when the request was due, so that a server that
                # falls behind is charged for the wait it caused.
                time.sleep(max(0.0, due - started))
                started = due
                due += interval
            try:
                connection.request("GET", page.path, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
                continue
            mine.append((time.perf_counter() - started) * 1000)
            my_statuses.add(response.status)
            if response.getheader(QUERY_HEADER) is not None:
                my_queries.append(int(response.getheader(QUERY_HEADER)))
                my_sql.append(float(response.getheader(SQL_HEADER)))
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
        connection.close()
        with lock:
            latencies.extend(mine)
            queries.extend(my_queries)
            sql_ms.extend(my_sql)
            statuses.update(my_statuses)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(len(latencies), time.perf_counter() - started, latencies, queries, sql_ms, statuses)


# What to measure


def middle(queryset):
    """Return a row from the middle of the table: a typical one, not the first made."""
    from django.db.models import Max, Min

    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return None
    return queryset.filter(pk__gte=(bounds["low"] + bounds["high"]) // 2).order_by("pk").first()


def prepare_curator() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from catalog.groups import CURATORS

    user, _ = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"email": "benchmark@inspired.test"}
    )
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=CURATORS))


def product_list_sql() -> list[str]:
    """The SQL the API's product list runs, as the database received it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST="localhost").get("/api/v1/products/")
    if response.status_code != 200:
        raise SystemExit(f"The API product list answered {response.status_code}.")
    return [query["sql"] for query in queries]


def pages() -> list[Page]:
    from django.urls import NoReverseMatch, reverse

    from catalog.models import Artist, Product, ProductType, Retailer, Video
    from storefront.views import CountedPaginator

    video = middle(Video.objects.published())
    product = middle(Product.objects.published())
    artist = middle(Artist.objects.filter(videos__status=Video.Status.PUBLISHED).distinct())
    retailer = middle(Retailer.objects.all())
    kind = ProductType.objects.order_by("pk").first()
    if None in (video, product, artist, retailer, kind):
        raise SystemExit("The catalog is empty: generate one first (see the docstring).")
    browse = reverse("storefront:product-list")
    # Half-way through the list, or its last page when paging stops short of that.
    reachable = -(-CountedPaginator.MAX_PAGED // 24)
    last = max(1, min(Product.objects.published().count() // 24 // 2, reachable))
    hello = "Django hello"
    site = [
        ("API products", "/api/v1/products/", "raw WSGI + product list SQL"),
        ("API offers", "/api/v1/offers/", "raw WSGI + product list SQL"),
        ("API video products", f"/api/v1/videos/{video.pk}/products/", hello),
        ("home", reverse("storefront:home"), hello),
        ("video page", video.get_absolute_url(), hello),
        ("product page", product.get_absolute_url(), hello),
        ("artist page", artist.get_absolute_url(), hello),
        ("retailer page", retailer.get_absolute_url(), hello),
        ("browse with facets", browse, hello),
        ("browse by price", f"{browse}?sort=price", hello),
        (f"browse by price desc, page {last}", f"{browse}?sort=-price&page={last}", hello),
        (
            "browse type + price range + in stock",
            f"{browse}?{urlencode({'type': kind.slug, 'min_price': 50, 'max_price': 150})}"
            "&in_stock=true&sort=price",
            hello,
        ),
        ('search "shirt"', f"{reverse('storefront:search')}?q=shirt", hello),
        (
            'search "black denim jacket"',
            f"{reverse('storefront:search')}?q=black+denim+jacket",
            hello,
        ),
        ("sitemap index", reverse("storefront:sitemap"), hello),
    ]
    try:
        for label, section in [("sitemap products 1", "products"), ("video sitemap 1", "video")]:
            path = reverse("storefront:sitemap-section", args=[section, 1])
            site.append((label, path, hello))
    except NoReverseMatch:
        pass  # a version of the site with one sitemap.xml
    result = [
        Page("raw WSGI hello", "hello", "/"),
        Page("raw WSGI + product list SQL", "sql", "/", floor="raw WSGI hello"),
        Page(hello, "site", "/__bench/hello/", floor="raw WSGI hello"),
    ]
    for label, path, floor in site:
        result.append(Page(label, "site", path, floor=floor, headers=UNCACHED))
    for label, path in [
        ("home, cached", reverse("storefront:home")),
        ("video page, cached", video.get_absolute_url()),
        ("browse by price, cached", f"{browse}?sort=price"),
    ]:
        result.append(Page(label, "site", path, floor=hello))
    for model in ("product", "offer", "scene", "appearance"):
        path = reverse(f"admin:catalog_{model}_changelist")
        result.append(Page(f"admin {model}s", "site", path, floor=hello, as_curator=True))
    return result


def catalog_summary() -> str:
    from catalog.models import Artist, Offer, Product, Scene, Video

    counts = {
        "artists": Artist.objects.count(),
        "videos": Video.objects.count(),
        "scenes": Scene.objects.count(),
        "products": Product.objects.count(),
        "published products": Product.objects.published().count(),
        "offers": Offer.objects.count(),
    }
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else model
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s*(\d+)", meminfo.read_text())
        memory = f", {int(found.group(1)) / 1024 / 1024:.0f} GB RAM" if found else ""
    return f"{os.cpu_count()} × {model}{memory}, {platform.platform()}"


def commit() -> str:
    def git(*args):
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked=no") else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{dirty}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


# The report


def summarise(page: Page, runs: list[Run]) -> dict:
    def median(values):
        values = [v for v in values if v == v]
        return statistics.median(values) if values else float("nan")

    return {
        "rate": median([run.rate for run in runs]),
        "p50": median([run.percentile(0.5) for run in runs]),
        "p99": median([run.percentile(0.99) for run in runs]),
        "queries": sorted({q for run in runs for q in run.queries}),
        "sql": median([statistics.mean(run.sql_ms) for run in runs if run.sql_ms]),
        "statuses": sorted({s for run in runs for s in run.statuses}),
    }


def table(pages: list[Page], summary: dict[str, dict]) -> str:
    header = [
        "request",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99 ms at ½ peak",
        "p50 ms alone",
        "queries",
        "SQL ms",
        "× floor",
        "status",
    ]
    rows = []
    for page in pages:
        row = summary[page.label]
        floor = summary.get(page.floor)
        ratio = f"{row['rate'] / floor['rate']:.2f} × {page.floor}" if floor else "–"
        queries = "/".join(str(q) for q in row["queries"]) or "–"
        sql = f"{row['sql']:.1f}" if row["sql"] == row["sql"] else "–"
        rows.append(
            [
                page.label,
                f"{row['rate']:,.0f}",
                f"{row['p50']:.1f}",
                f"{row['p99']:.1f}",
                f"{row['p99_half']:.1f}" if "p99_half" in row else "–",
                f"{row['p50_alone']:.1f}" if "p50_alone" in row else "–",
                queries,
                sql,
                ratio,
                "/".join(str(s) for s in row["statuses"]),
            ]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--seconds", type=float, default=4.0, help="load per page per round")
    parser.add_argument("--concurrency", type=int, default=4, help="client connections")
    parser.add_argument(
        "--solo-seconds", type=float, default=2.0, help="each page alone, one connection"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8401, help="first of three ports")
    parser.add_argument("--only", help="measure the floors and pages whose label has this")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
    # The API's throttles would answer 429 to the load; they still run, with a high rate.
    for scope in ("ANON", "USER"):
        os.environ[f"DJANGO_API_THROTTLE_{scope}"] = "1000000/second"

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection

    prepare_curator()
    all_pages = pages()
    if args.only:
        all_pages = [p for p in all_pages if p.server != "site" or args.only in p.label]
        all_pages.insert(2, Page("Django hello", "site", "/__bench/hello/", "raw WSGI hello"))
        all_pages = list({p.label: p for p in all_pages}.values())
    sql_file = Path(tempfile.mkstemp(prefix="bench-sql-", suffix=".json")[1])
    sql_file.write_text(json.dumps(product_list_sql()))
    catalog = catalog_summary()
    database = f"{connection.vendor} {connection.settings_dict['NAME']}"
    connection.close()
    cache.clear()

    started_load = load_average()
    ports = {"hello": args.port, "sql": args.port + 1, "site": args.port + 2}
    env = {"BENCH_SQL_FILE": str(sql_file)}
    servers = [
        start_gunicorn("bench_apps:hello", ports["hello"], env, args.workers, args.threads),
        start_gunicorn("bench_apps:sql_floor", ports["sql"], env, args.workers, args.threads),
        start_gunicorn(
            "bench_apps:site",
            ports["site"],
            {**env, "BENCH_APP": "site"},
            args.workers,
            args.threads,
        ),
    ]
    try:
        cookie = log_in(ports["site"])
        for page in all_pages:  # warm up: connections, caches, the first compilation
            load(ports[page.server], page, 0.5, args.concurrency, cookie)
        runs: dict[str, list[Run]] = {page.label: [] for page in all_pages}
        for number in range(1, args.rounds + 1):
            for page in all_pages:
                run = load(ports[page.server], page, args.seconds, args.concurrency, cookie)
                runs[page.label].append(run)
                print(
                    f"round {number}: {page.label}: {run.rate:,.0f} req/s, "
                    f"p50 {run.percentile(0.5):.1f} ms, statuses {sorted(run.statuses)}",
                    file=sys.stderr,
                )
        # The API lists again, paced at half the peak just measured: the latency that
        # integrators see from a busy server that keeps up.
        half_peak = {}
        for page in all_pages:
            if not page.label.startswith("API"):
                continue
            peak = statistics.median(run.rate for run in runs[page.label])
            run = load(
                ports[page.server], page, args.seconds * 2, args.concurrency, cookie, peak / 2
            )
            half_peak[page.label] = run.percentile(0.99)
            print(
                f"{page.label} at {peak / 2:,.0f} req/s (half of peak): {run.rate:,.0f} req/s, "
                f"p99 {half_peak[page.label]:.1f} ms",
                file=sys.stderr,
            )
        # Every page once more from a single connection: its server time, not shared with
        # other requests (the targets' "server time p50").
        alone = {}
        for page in all_pages:
            run = load(ports[page.server], page, args.solo_seconds, 1, cookie)
            alone[page.label] = run.percentile(0.5)
            print(f"{page.label} alone: p50 {alone[page.label]:.1f} ms", file=sys.stderr)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        sql_file.unlink(missing_ok=True)

    summary = {page.label: summarise(page, runs[page.label]) for page in all_pages}
    for label, p99 in half_peak.items():
        summary[label]["p99_half"] = p99
    for label, p50 in alone.items():
        summary[label]["p50_alone"] = p50
    command = " ".join(["scripts/benchmark.py", *sys.argv[1:]])
    print(f"- commit: {commit()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- machine: {machine()}")
    print(f"- load average before: {started_load}; after: {load_average()}")
    print(f"- catalog: {catalog} ({database})")
    print(
        f"- gunicorn: {args.workers} workers × {args.threads} threads (gthread); "
        f"{args.concurrency} client connections, {args.rounds} rounds × {args.seconds:g} s "
        f"per request; cache: {os.environ.get('REDIS_URL') or 'local memory'}"
    )
    print(f"- command: `{command}`")
    print()
    print(table(all_pages, summary))


if __name__ == "__main__":
    main()
