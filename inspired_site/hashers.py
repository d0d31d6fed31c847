"""Django's password hasher, bounded per process.

A PBKDF2 hash costs about a second of CPU by design. It releases the GIL, so a worker's
threads could run one hash each and take every core from the pages; the semaphore lets
each process hash HASHES_AT_ONCE passwords at a time, and the other sign-ins wait their
turn while pages go on being served.
"""

import threading

from django.contrib.auth import hashers

HASHES_AT_ONCE = 1
_slots = threading.BoundedSemaphore(HASHES_AT_ONCE)


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    # The same algorithm name: stored hashes stay valid, and no rehashing is triggered.
    def encode(self, password, salt, iterations=None):
        with _slots:
            return super().encode(password, salt, iterations)
