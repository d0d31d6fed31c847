"""Django's password hasher, run at low CPU priority, one hash at a time per process.

A PBKDF2 hash costs about a second of CPU by design, and it releases the GIL: a worker's
threads could each run one and take every core from the pages. Here each process hands its
hashes to one thread of its own whose nice value is raised, so a burst of sign-ins waits
its turn on that thread, and the scheduler serves page requests first while it works.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import hashers

# Raising a thread's nice value needs no privilege (lowering it again would).
HASHING_NICENESS = 10

_lock = threading.Lock()
_executor = None
_executor_pid = None


def _lower_priority():
    # Where threads have no priority of their own, hashes still go one at a time.
    with contextlib.suppress(OSError):
        thread = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, max(current, HASHING_NICENESS))


def hashing_thread() -> ThreadPoolExecutor:
    """The process's hashing thread (made anew in a forked worker)."""
    global _executor, _executor_pid
    with _lock:
        if _executor is None or _executor_pid != os.getpid():
            _executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="password-hashing", initializer=_lower_priority
            )
            _executor_pid = os.getpid()
        return _executor


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    # The same algorithm name: stored hashes stay valid, and no rehashing is triggered.
    def encode(self, password, salt, iterations=None):
        parent = super()
        return hashing_thread().submit(parent.encode, password, salt, iterations).result()
