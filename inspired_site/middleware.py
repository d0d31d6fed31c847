"""Middleware every request goes through: the Permissions-Policy header, and whether the
request's reads may go to a read replica (inspired_site/db_router.py)."""

import time

from django.conf import settings
from django.db import DatabaseError

from . import db_router


class ReplicaReadsMiddleware:
    """Let safe requests read replicas; keep a visitor who just wrote on the primary.

    After a request that wrote (any method), the visitor gets a cookie holding the time
    until which their reads stay on the primary, so they see what they just did.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not db_router.replica_aliases():
            return self.get_response(request)
        tokens = [
            db_router.replica_reads_allowed.set(self.may_read_replicas(request)),
            db_router.wrote.set(False),
            db_router.replicas_used.set(()),
        ]
        try:
            response = self.get_response(request)
            if db_router.wrote.get() or request.method not in db_router.SAFE_METHODS:
                seconds = settings.DATABASE_READ_YOUR_WRITES_SECONDS
                response.set_cookie(
                    db_router.READ_YOUR_WRITES_COOKIE,
                    f"{time.time() + seconds:.3f}",
                    max_age=max(1, round(seconds)),
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
        finally:
            db_router.replicas_used.reset(tokens[2])
            db_router.wrote.reset(tokens[1])
            db_router.replica_reads_allowed.reset(tokens[0])

    @staticmethod
    def may_read_replicas(request) -> bool:
        if request.method not in db_router.SAFE_METHODS:
            return False
        if request.path.startswith("/admin/"):
            return False
        try:
            until = float(request.COOKIES.get(db_router.READ_YOUR_WRITES_COOKIE, "0"))
        except ValueError:
            until = 0
        return until < time.time()

    def process_exception(self, request, exception):
        """Answer a safe request again from the primary when a replica failed it."""
        used = db_router.replicas_used.get()
        if not isinstance(exception, DatabaseError) or not used:
            return None
        if request.method not in db_router.SAFE_METHODS:
            return None
        for alias in set(used):
            db_router.health.mark_down(alias)
        db_router.replica_reads_allowed.set(False)
        db_router.replicas_used.set(())
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY with every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
