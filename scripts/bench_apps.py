"""The WSGI applications `scripts/benchmark.py` runs under gunicorn.

- `hello`: a bare WSGI application answering a few bytes of JSON: the server's floor.
- `sql_floor`: a bare WSGI application that runs the SQL the API's product list runs
  (captured from Django by the benchmark into BENCH_SQL_FILE) with mysqlclient, and answers
  the rows as JSON: what the product list would cost without Django.
- `site`: the site itself, plus a Django `JsonResponse` hello at /__bench/hello/ that goes
  through the full middleware, with every response carrying the number of SQL queries it
  ran and their time. A request with the header X-Bench-Uncached skips the page cache.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERY_HEADER = "X-Bench-Queries"
SQL_HEADER = "X-Bench-Sql-Ms"
HELLO = json.dumps({"hello": "world"}).encode()


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [HELLO]


_local = threading.local()


def _sql_connection():
    """One mysqlclient connection per thread, from DATABASE_URL."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        from urllib.parse import urlparse

        import MySQLdb

        url = urlparse(os.environ["DATABASE_URL"])
        connection = MySQLdb.connect(
            host=url.hostname or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=url.path.lstrip("/"),
            charset="utf8mb4",
        )
        connection.autocommit(True)
        _local.connection = connection
    return connection


def sql_floor(environ, start_response):
    statements = json.loads(Path(os.environ["BENCH_SQL_FILE"]).read_text())
    cursor = _sql_connection().cursor()
    result = []
    for sql in statements:
        cursor.execute(sql)
        columns = [column[0] for column in cursor.description]
        result.append([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
    body = json.dumps(result, default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def _site():
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.http import JsonResponse
    from django.urls import path

    import inspired_site.urls
    import storefront.views

    def django_hello(request):
        return JsonResponse({"hello": "world"})

    inspired_site.urls.urlpatterns.insert(0, path("__bench/hello/", django_hello))
    # Older versions of the site (measured for comparison) have no page cache.
    import storefront.caching

    cached_page = getattr(storefront.caching, "cached_page", lambda request: None)

    def maybe_cached_page(request):
        if "HTTP_X_BENCH_UNCACHED" in request.META:
            request._page_cache = (None, None)  # neither served from nor stored in it
            return None
        return cached_page(request)

    # The middleware's lookup (and, in older versions of the site, the views' own).
    storefront.caching.cached_page = maybe_cached_page
    storefront.views.cached_page = maybe_cached_page
    application = get_wsgi_application()

    def counted(environ, start_response):
        counts = {"queries": 0, "seconds": 0.0}

        def count(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                counts["queries"] += 1
                counts["seconds"] += time.perf_counter() - started

        def start_counted_response(status, headers, exc_info=None):
            headers = [
                *headers,
                (QUERY_HEADER, str(counts["queries"])),
                (SQL_HEADER, f"{counts['seconds'] * 1000:.2f}"),
            ]
            return start_response(status, headers, exc_info)

        with connection.execute_wrapper(count):
            return application(environ, start_counted_response)

    return counted


if os.environ.get("BENCH_APP") == "site":
    site = _site()
