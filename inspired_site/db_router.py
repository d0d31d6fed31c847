"""Reads on read replicas, writes on the primary, and each visitor reads their own writes.

Only web requests read from replicas, and only those the middleware allows: a GET or HEAD
outside the admin, from a visitor who has not written in the last
DATABASE_READ_YOUR_WRITES_SECONDS. Everything else (the admin, API writes, Celery tasks,
management commands, reads inside a transaction) reads the primary. A replica that lags
more than DATABASE_REPLICA_MAX_LAG_SECONDS, has stopped replicating or cannot be reached
is left out until a later check finds it healthy again; a safe request that fails on a
replica is answered again from the primary.
"""

import contextvars
import logging
import random
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
READ_YOUR_WRITES_COOKIE = "inspired_primary_until"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Per request (and per thread or task): may reads use a replica, did this request write,
# which replicas did it read from.
replica_reads_allowed = contextvars.ContextVar("replica_reads_allowed", default=False)
wrote = contextvars.ContextVar("wrote", default=False)
replicas_used = contextvars.ContextVar("replicas_used", default=())


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class ReplicaHealth:
    """What this process last learnt of each replica: (checked at, healthy)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.state: dict[str, tuple[float, bool]] = {}

    def healthy(self, alias: str) -> bool:
        now = time.monotonic()
        checked_at, healthy = self.state.get(alias, (None, False))
        if checked_at is not None and now - checked_at < settings.DATABASE_REPLICA_CHECK_SECONDS:
            return healthy
        healthy = self.check(alias)
        with self.lock:
            self.state[alias] = (now, healthy)
        return healthy

    def mark_down(self, alias: str) -> None:
        with self.lock:
            self.state[alias] = (time.monotonic(), False)

    @staticmethod
    def check(alias: str) -> bool:
        """True if the replica answers and is at most DATABASE_REPLICA_MAX_LAG_SECONDS behind."""
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW REPLICA STATUS")
                row = cursor.fetchone()
                columns = [column[0] for column in cursor.description or []]
        except DatabaseError as error:
            logger.warning("Replica %s is unreachable: %s", alias, error)
            connection.close_if_unusable_or_obsolete()
            return False
        if row is None:
            # Not replicating at all (a test database, a promoted replica): not a replica.
            return False
        status = dict(zip(columns, row, strict=True))
        # MariaDB and MySQL before 8.0.22 say Master, later MySQL says Source.
        lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
        if lag is None or lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
            logger.warning(
                "Replica %s is behind (%s s) or stopped; reading the primary", alias, lag
            )
            return False
        return True


health = ReplicaHealth()


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_reads_allowed.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        candidates = [alias for alias in replica_aliases() if health.healthy(alias)]
        if not candidates:
            return PRIMARY
        alias = random.choice(candidates)  # noqa: S311 (load spreading, not security)
        replicas_used.set((*replicas_used.get(), alias))
        return alias

    def db_for_write(self, model, **hints):
        wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas get the schema from the primary's binary log.
        return db == PRIMARY
