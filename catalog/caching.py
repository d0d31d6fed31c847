"""The catalog's version: one stamp that changes whenever something shoppers see changes.

Cached pages and fragments put it in their keys (versioned keys), so a change makes every
one of them miss at once without a list of keys to delete; the old entries expire on
their own. The receivers in `signals.py` bump it after every catalog write that commits
(curators' saves and deletes in the admin, the API, imports, link checks); bulk writers
that skip save() bump it themselves.

The stamp is the time of the change in microseconds, so it also serves as the pages'
Last-Modified. It lives in the default cache: with Redis every worker sees the same
stamp; with the local-memory cache each process keeps its own.
"""

import time
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:version"


def _now() -> int:
    return time.time_ns() // 1000


def catalog_version() -> int:
    """Return the current stamp, starting one if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _now(), timeout=None)
        version = cache.get(VERSION_KEY) or _now()
    return version


def catalog_changed_at(version: int) -> datetime:
    return datetime.fromtimestamp(version / 1_000_000, tz=UTC)


def bump_catalog_version() -> None:
    """Make every cached page stale, now and again once the current transaction commits.

    Again after the commit: a page rebuilt between the first bump and the commit would
    have cached the old rows under the new stamp.
    """

    def bump():
        cache.set(VERSION_KEY, _now(), timeout=None)

    bump()
    transaction.on_commit(bump)
