"""Answers for load balancers and for outages.

`/healthz` says the process is alive (no database, no cache: restarting it would not help
while they are down). `/readyz` says whether it can serve: each function in READINESS_CHECKS
returns an error message or None, so adding a check (the task broker's) is one function
and one line. `server_error` is the site's handler500: an error that means the database
cannot be reached answers 503 with Retry-After instead of 500, JSON under /api/ and a page
elsewhere; the next request tries the database afresh, so the site recovers by itself.
"""

import logging
import sys
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"database: {error.__class__.__name__}"
    return None


def check_cache() -> str | None:
    # A round trip: django-redis with IGNORE_EXCEPTIONS hides errors from get() and set(),
    # so a lost Redis shows as a value that does not come back.
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        value = cache.get(key)
        cache.delete(key)
    except Exception as error:
        return f"cache: {error.__class__.__name__}"
    return None if value == "ok" else "cache: unreachable"


def check_broker() -> str | None:
    """Whether the task broker takes connections; nothing to check without one."""
    if not settings.CELERY_BROKER_URL:
        return None
    from .celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # kombu raises its own and the socket's errors
        return f"broker: {error.__class__.__name__}"
    return None


READINESS_CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    started = time.monotonic()
    failures = {name: message for name, check in READINESS_CHECKS.items() if (message := check())}
    body = {
        "status": "unavailable" if failures else "ok",
        "checks": {name: failures.get(name, "ok") for name in READINESS_CHECKS},
        "seconds": round(time.monotonic() - started, 3),
    }
    return JsonResponse(body, status=503 if failures else 200)


def is_database_outage(error: BaseException | None) -> bool:
    """Tell whether `error` means the database cannot be reached (not a bad query)."""
    return isinstance(error, OperationalError | InterfaceError)


def service_unavailable(request) -> HttpResponse:
    retry_after = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The service is briefly unavailable; try again shortly."}, status=503
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: 503 while the database is out of reach, the plain 500 page otherwise."""
    if is_database_outage(sys.exc_info()[1]):
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
