"""gunicorn's settings for the site, in production and in the benchmark (`make bench`).

    .venv/bin/gunicorn            # reads this file from the working directory

Sized for a small machine running the database too: one worker process per CPU, each with
a few threads (gthread), so that a worker waiting on MariaDB or Redis still serves another
request, and keep-alive so that a browser or a load balancer reuses its connection. Every
value can be overridden from the environment (GUNICORN_*), e.g. GUNICORN_WORKERS=4.
"""

import multiprocessing
import os

wsgi_app = os.environ.get("GUNICORN_APP", "inspired_site.wsgi:application")
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Seconds an idle keep-alive connection stays open; a load balancer's own idle timeout
# should be longer than this.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A request still running after this long is a bug: the worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then, so that a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Requests are logged by the proxy in front; errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
