"""The production application server: `gunicorn inspired_site.wsgi` reads this file.

Sized for a machine with 2 cores. One worker per core, each with threads: a thread that
waits on the database, a mail server or a password hash (PBKDF2 releases the GIL) leaves
the other threads of its worker serving pages, and inspired_site/hashers.py hashes one
password at a time per worker on a thread of low CPU priority, so a burst of sign-ins
cannot take both cores from the pages.
Every value can be overridden with GUNICORN_CMD_ARGS or the variables below.
"""

import gc
import os

wsgi_app = os.environ.get("GUNICORN_APP", "inspired_site.wsgi:application")
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A request still running after this long is a stuck worker: it is restarted. Longer than
# the slowest legitimate request (an admin import preview of 2,000 rows takes ~10 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Seconds an idle keep-alive connection stays open; a load balancer's idle timeout should be
# longer than this.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle each worker after this many requests (spread out, so they do not all restart at
# once): a slow leak in any library cannot grow without bound. Not much lower: a restart
# costs a second or two of CPU and the worker's local page cache, and a worker answering
# a thousand cached pages a second reaches this in a few minutes.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = max_requests // 10

# Only the proxies that Django trusts for X-Forwarded-For may set the forwarded scheme.
forwarded_allow_ips = os.environ.get("DJANGO_TRUSTED_PROXIES", "127.0.0.1,::1") or "127.0.0.1"

# GUNICORN_ACCESSLOG= (empty) leaves access logging to the proxy in front (and the benchmark).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def post_worker_init(worker):
    """Freeze the objects of the loaded application out of the garbage collector's sight.

    A full collection walks every object the worker holds, and holds the GIL while it
    does: with the 150,000 objects of Django, the site and its URLconf, each one paused
    every thread of the worker for 80-115 ms, several times a minute under load (the API's
    p99). Frozen, they are never walked again and a full collection takes 6-17 ms. They
    live as long as the worker anyway.
    """
    from django.apps import apps

    if apps.ready:  # the site (the benchmark's bare WSGI floors load no Django)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (the URLconf imports every view: load it)
    gc.freeze()
