"""Password hashes run one at a time per process, on a thread of low CPU priority."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import hashers

from inspired_site.hashers import HASHING_NICENESS, PBKDF2PasswordHasher, hashing_thread


def where_am_i():
    return threading.current_thread().name, os.getpriority(
        os.PRIO_PROCESS, threading.get_native_id()
    )


def test_the_hashing_thread_runs_at_a_raised_nice_value():
    name, niceness = hashing_thread().submit(where_am_i).result()

    assert name.startswith("password-hashing")
    assert niceness >= HASHING_NICENESS


def test_hashes_are_djangos_own_and_check_against_them():
    ours = PBKDF2PasswordHasher().encode("secret", "salt1234", iterations=1000)
    django = hashers.PBKDF2PasswordHasher().encode("secret", "salt1234", iterations=1000)

    assert ours == django
    assert PBKDF2PasswordHasher().verify("secret", django)


def test_concurrent_sign_ins_hash_one_at_a_time():
    running, most = [0], [0]
    lock = threading.Lock()

    def hash_once(_):
        def measure():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            threading.Event().wait(0.02)
            with lock:
                running[0] -= 1

        hashing_thread().submit(measure).result()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(hash_once, range(12)))

    assert most[0] == 1
