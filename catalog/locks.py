"""Named locks that hold across processes and machines, for jobs that must run one at a time."""

import contextlib
import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db import connection


class LockHeld(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def exclusive_run(name: str) -> Iterator[None]:
    """Hold a lock named `name` across processes and machines, or raise LockHeld.

    On MySQL and MariaDB it is the server's GET_LOCK, so two cron hosts sharing the
    database still run one at a time; elsewhere a file lock in the temp folder, which
    covers one host (SQLite is one host by nature).
    """
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", [name])
            (acquired,) = cursor.fetchone()
        if acquired != 1:
            raise LockHeld(name)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT RELEASE_LOCK(%s)", [name])
        return

    digest = hashlib.sha256(f"{connection.settings_dict['NAME']}:{name}".encode()).hexdigest()
    path = Path(tempfile.gettempdir()) / f"inspired-{digest[:16]}.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LockHeld(name) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
