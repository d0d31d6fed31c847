#!/usr/bin/env python
"""Measure the latency and query counts of the site's pages against the catalog in the DB.

Fill the database first, e.g. on MariaDB:

    export DATABASE_URL=mysql://root:@127.0.0.1:3306/inspired_scale
    .venv/bin/python manage.py migrate
    DJANGO_DEBUG=1 .venv/bin/python manage.py generate_catalog --size full
    .venv/bin/python scripts/benchmark.py --requests 20

The script starts the site on 127.0.0.1 in a child process, with debug off (the settings of
`inspired_site.settings_test`: production settings without HTTPS redirects or the static
manifest, so that no collectstatic is needed), and requests each page in turn over HTTP:
the admin's change lists and change forms as a curator, the storefront and the API as an
anonymous visitor. Each response carries the number of SQL queries the server ran for it,
counted by a WSGI wrapper in the child; nothing in the site is changed for the benchmark.
"""

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
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
SLOW_MS = 300
REQUEST_TIMEOUT = 60
QUERY_HEADER = "X-Benchmark-Queries"
TIME_HEADER = "X-Benchmark-Server-Ms"

# Names the issue asks about; those not built yet are reported and skipped.
EXPECTED = [
    "storefront:home",
    "storefront:video-list",
    "storefront:video-detail",
    "storefront:product-list",
    "storefront:product-detail",
    "storefront:artist-list",
    "storefront:artist-detail",
    "storefront:retailer-detail",
    "storefront:search",
    "api:video-list",
    "api:video-detail",
    "api:product-list",
    "api:product-detail",
    "api:offer-list",
]
# Routes that write, sign in or out, or stream the whole catalog, left out on purpose.
EXCLUDED = re.compile(r"(^|:)(go|login|logout|logout-all|api-root)$|auth|account|signup|password")


# The server side: the site's WSGI application with a query counter around it.


def serve(port: int) -> None:
    import django

    django.setup()
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    application = get_wsgi_application()

    def counted(environ, start_response):
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()

        def start_counted_response(status, headers, exc_info=None):
            # Django starts the response once the view and middleware are done.
            elapsed = (time.perf_counter() - started) * 1000
            headers = [*headers, (QUERY_HEADER, str(queries)), (TIME_HEADER, f"{elapsed:.1f}")]
            return start_response(status, headers, exc_info)

        with connection.execute_wrapper(count):
            return application(environ, start_counted_response)

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    # One thread, like a sync worker: requests come one at a time and reuse its connection.
    server = WSGIServer((HOST, port), QuietHandler)
    server.set_app(counted)
    server.serve_forever()


# The client side.


@dataclass
class Page:
    group: str
    label: str
    path: str
    as_curator: bool = False


@dataclass
class Result:
    page: Page
    statuses: set[int] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)
    size: int = 0
    timed_out: bool = False

    def percentile(self, values, fraction):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    @property
    def p50(self):
        return statistics.median(self.latencies) if self.latencies else float("inf")

    @property
    def p95(self):
        return self.percentile(self.latencies, 0.95) if self.latencies else float("inf")


class Client:
    """http.client with a cookie jar that sends Secure cookies over plain HTTP to 127.0.0.1."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content, elapsed

    def log_in(self, username, password):
        _, content, _ = self.request("GET", "/admin/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.decode(),
                "username": username,
                "password": password,
                "next": "/admin/",
            }
        )
        response, _, _ = self.request(
            "POST",
            "/admin/login/",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status != 302:
            raise SystemExit(f"Could not log in as {username} (HTTP {response.status}).")


def wait_for_port(port: int, process, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("The server exited; see its log above.")
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"The server did not listen on {HOST}:{port} within {timeout:.0f} s.")


def start_server(port: int):
    server = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, __file__, "--serve", str(port)], cwd=ROOT
    )
    wait_for_port(port, server)
    return server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


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


def middle(queryset):
    """Return a row from the middle of the table: a typical one, not the first made."""
    from django.db.models import Max, Min

    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return None
    return queryset.filter(pk__gte=(bounds["low"] + bounds["high"]) // 2).order_by("pk").first()


def sample_objects():
    from catalog.models import Artist, Offer, Product, Retailer, Scene, Video

    video = middle(Video.objects.published())
    scene = middle(Scene.objects.filter(video__status=Video.Status.PUBLISHED))
    product = middle(Product.objects.published())
    return {
        "video": video,
        "scene": scene,
        "product": product,
        "artist": middle(Artist.objects.filter(videos__status=Video.Status.PUBLISHED)),
        "retailer": middle(Retailer.objects.all()),
        "offer": middle(Offer.objects.buyable()),
    }


def kwargs_for(name: str, params: list[str], samples: dict):
    """Fill a route's parameters from the sample row its name is about."""
    basename = name.split(":")[-1].rsplit("-", 1)[0].replace("-", "")
    obj = samples.get(basename)
    if basename == "videosource" and samples["video"] is not None:
        obj = samples["video"].sources.first()
    elif basename in {"castmember", "appearance"} and samples["scene"] is not None:
        related = "cast_members" if basename == "castmember" else "appearances"
        obj = getattr(samples["scene"], related).first()
    elif basename == "productimage" and samples["product"] is not None:
        obj = samples["product"].images.first()
    elif basename == "producttype" and samples["product"] is not None:
        obj = samples["product"].product_type
    elif basename == "productstyle" and samples["product"] is not None:
        obj = samples["product"].style
    kwargs = {}
    for param in params:
        if obj is None or not hasattr(obj, "pk" if param == "pk" else param):
            return None
        kwargs[param] = getattr(obj, "pk" if param == "pk" else param)
    return kwargs


def named_routes(namespace: str) -> dict[str, list[str]]:
    """Return {'ns:name': [parameters]} for every named route of a namespace."""
    from django.urls import get_resolver

    resolver = get_resolver()
    if namespace not in resolver.namespace_dict:
        return {}
    _, sub = resolver.namespace_dict[namespace]
    routes = {}
    for key, values in sub.reverse_dict.lists():
        if not isinstance(key, str):
            continue
        variants = [possibility[0][1] for possibility, *_ in values]
        params = min(variants, key=lambda p: ("format" in p, len(p)))
        if "format" not in params:
            routes[f"{namespace}:{key}"] = params
    return routes


def catalog_pages(samples, notes):
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    pages = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.model_name):
        opts = model._meta
        if opts.app_label != "catalog":
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        pages.append(Page("admin list", str(opts.verbose_name_plural), url, as_curator=True))
    for name in ("video", "scene", "product"):
        if samples[name] is None:
            notes.append(f"admin change form of a {name}: skipped, no published {name}.")
            continue
        url = reverse(f"admin:catalog_{name}_change", args=[samples[name].pk])
        pages.append(Page("admin form", f"{name} change form", url, as_curator=True))
    # What curators do on the big tables: search, filter, look up in an autocomplete.
    product = samples["product"]
    if product is not None:
        word = product.name.split()[0]
        pages.append(
            Page(
                "admin list",
                f"products searched for {word!r}",
                reverse("admin:catalog_product_changelist") + "?" + urlencode({"q": word}),
                as_curator=True,
            )
        )
        query = {
            "app_label": "catalog",
            "model_name": "appearance",
            "field_name": "product",
            "term": word,
        }
        pages.append(
            Page(
                "admin list",
                f"product autocomplete {word!r}",
                reverse("admin:autocomplete") + "?" + urlencode(query),
                as_curator=True,
            )
        )
    if samples["retailer"] is not None:
        url = reverse("admin:catalog_offer_changelist")
        pages.append(
            Page(
                "admin list",
                "offers of one retailer",
                url + "?" + urlencode({"retailer__id__exact": samples["retailer"].pk}),
                as_curator=True,
            )
        )

    routes = {**named_routes("storefront"), **named_routes("api")}
    for name in EXPECTED:
        if name not in routes:
            notes.append(f"{name}: skipped, no such URL name yet.")
    for name, params in sorted(routes.items()):
        if EXCLUDED.search(name):
            notes.append(f"{name}: skipped on purpose (it writes, signs in or needs a form).")
            continue
        kwargs = kwargs_for(name, params, samples)
        if kwargs is None:
            notes.append(f"{name}: skipped, no sample row for {params}.")
            continue
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            notes.append(f"{name}: skipped, cannot be reversed with {kwargs}.")
            continue
        group = "api" if name.startswith("api:") else "storefront"
        pages.append(Page(group, name, url))
        if name.endswith("-list"):
            pages.append(Page(group, f"{name} page 2", url + "?page=2"))
    if "storefront:search" in routes and product is not None:
        word = product.name.split()[-1]
        url = reverse("storefront:search") + "?" + urlencode({"q": word})
        pages.append(Page("storefront", f"storefront:search {word!r}", url))
    return pages


def measure(client, page, requests, warmup, budget) -> Result:
    result = Result(page)
    started = time.monotonic()
    for number in range(warmup + requests):
        try:
            response, content, elapsed = client.request("GET", page.path)
        except TimeoutError:
            result.timed_out = True
            break
        if response.status == 405:
            result.statuses.add(405)
            break
        if number < warmup:
            continue
        result.statuses.add(response.status)
        result.latencies.append(elapsed)
        result.server_ms.append(float(response.headers.get(TIME_HEADER, "nan")))
        result.queries.add(int(response.headers.get(QUERY_HEADER, "-1")))
        result.size = len(content)
        if time.monotonic() - started > budget and len(result.latencies) >= 3:
            break
    return result


def table(results, markdown: bool) -> str:
    header = ["group", "page", "status", "n", "p50 ms", "p95 ms", "server p50", "queries", "KB"]
    rows = []
    for r in results:
        if r.timed_out and not r.latencies:
            status = f"timeout > {REQUEST_TIMEOUT} s"
            rows.append([r.page.group, r.page.label, status, "0", "-", "-", "-", "-", "-"])
            continue
        queries = "/".join(str(q) for q in sorted(r.queries))
        flag = " SLOW" if r.p50 > SLOW_MS else ""
        rows.append(
            [
                r.page.group,
                r.page.label,
                "/".join(str(s) for s in sorted(r.statuses)),
                str(len(r.latencies)),
                f"{r.p50:.0f}{flag}",
                f"{r.p95:.0f}",
                f"{statistics.median(r.server_ms):.0f}" if r.server_ms else "-",
                queries,
                f"{r.size / 1024:.0f}",
            ]
        )
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    )


def catalog_summary() -> str:
    from catalog.models import Artist, Offer, Product, Scene, Video

    counts = {
        "artists": Artist.objects.count(),
        "videos": Video.objects.count(),
        "scenes": Scene.objects.count(),
        "products": Product.objects.count(),
        "offers": Offer.objects.count(),
    }
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests first")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds per page before stopping early"
    )
    parser.add_argument("--only", help="measure only pages whose label contains this")
    parser.add_argument(
        "--group", choices=["admin", "storefront", "api"], help="measure only these pages"
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--port", type=int, help="port for the server (default: a free one)")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    import django

    django.setup()
    from django.db import connection

    prepare_curator()
    samples = sample_objects()
    notes: list[str] = []
    pages = catalog_pages(samples, notes)
    if args.only:
        pages = [page for page in pages if args.only in page.label]
    if args.group:
        pages = [page for page in pages if page.group.startswith(args.group)]
    print(
        f"Catalog: {catalog_summary()} on {connection.vendor} ({connection.settings_dict['NAME']})"
    )
    connection.close()

    port = args.port or free_port()
    server = start_server(port)
    try:
        anonymous, curator = Client(port), Client(port)
        curator.log_in(USERNAME, PASSWORD)
        results = []
        for page in pages:
            client = curator if page.as_curator else anonymous
            result = measure(client, page, args.requests, args.warmup, args.budget)
            if result.statuses == {405}:
                notes.append(f"{page.label}: skipped, it does not answer GET.")
                continue
            results.append(result)
            if result.timed_out:
                # The server is still busy with the abandoned request: wait for it.
                server.terminate()
                server.wait(timeout=10)
                server = start_server(port)
                anonymous, curator = Client(port), Client(port)
                curator.log_in(USERNAME, PASSWORD)
            print(
                f"  {page.label}: HTTP {sorted(result.statuses)}, p50 {result.p50:.0f} ms, "
                f"p95 {result.p95:.0f} ms, {sorted(result.queries)} queries",
                file=sys.stderr,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(table(results, args.markdown))
    for note in notes:
        print(f"note: {note}")
    slow = [r for r in results if r.p50 > SLOW_MS or r.timed_out]
    for r in slow:
        timing = f"timed out after {REQUEST_TIMEOUT} s" if r.timed_out else f"p50 {r.p50:.0f} ms"
        print(f"slow: {r.page.label} ({r.page.path}) {timing}")
    errors = [r for r in results if any(status >= 500 for status in r.statuses)]
    for r in errors:
        print(f"error: {r.page.label} ({r.page.path}) answered {sorted(r.statuses)}")


if __name__ == "__main__":
    main()
