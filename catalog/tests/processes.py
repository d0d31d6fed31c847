"""Run the project as operators do, in subprocesses: `python manage.py …`, a gunicorn web
node, a Celery worker.

They use the database that the test run created, whichever it is: `test_<name>` on MariaDB,
the test file on SQLite.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

BASE_DIR = ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
RESULT_BACKEND = os.environ.get("TEST_CELERY_RESULT_BACKEND", "redis://127.0.0.1:6379/3")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"mysql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"


def site_environment(**extra) -> dict:
    """The environment of a production-like process of the site (debug off) for this test."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inspired_site.settings_test",
        "DATABASE_URL": test_database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": RESULT_BACKEND,
        # Queues of this run only, so that other runs on the same broker take nothing.
        "CELERY_QUEUE_PREFIX": f"inspired-test-{uuid.uuid4().hex[:12]}",
        "CELERY_MAIL_RETRY_SECONDS": "0.5",
    }
    env.update(extra)
    return env


def client_app(env: dict):
    """A Celery client on the broker and result backend of `env`, as another service is."""
    from celery import Celery

    return Celery(
        "test-client",
        broker=env["CELERY_BROKER_URL"],
        backend=env["CELERY_RESULT_BACKEND"],
        set_as_current=False,
    )


def wait_for(predicate, *, timeout: float, what: str, process=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text() if log else ''}")
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout} s: {log.read_text() if log else ''}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_worker(env: dict, log: Path):
    """A Celery worker on every queue of `env`'s prefix, one task at a time."""
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own programs, fixed arguments)
            [
                BIN / "celery",
                "-A",
                "inspired_site",
                "worker",
                "--pool",
                "solo",
                "-l",
                "INFO",
                # A node name of its own: other workers may share the broker.
                "-n",
                f"{env['CELERY_QUEUE_PREFIX']}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: " ready." in log.read_text(),
            timeout=60,
            what="The Celery worker",
            process=process,
            log=log,
        )
        yield process
    finally:
        stop(process)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (an http URL of ours)
            return True
    except OSError:
        return False


@contextlib.contextmanager
def running_web(env: dict, log: Path, port: int | None = None):
    """A gunicorn web node on 127.0.0.1; yields its base URL."""
    port = port or free_port()
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own programs, fixed arguments)
            [
                BIN / "gunicorn",
                "inspired_site.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: answers(f"{base}/robots.txt"),
            timeout=60,
            what="gunicorn",
            process=process,
            log=log,
        )
        yield base
    finally:
        stop(process)


def site_env(**overrides) -> dict[str, str]:
    """The environment of a production process on the test database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CATALOG_", "REDIS_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="inspired_site.settings",
        DJANGO_SECRET_KEY="insecure-key-for-tests-only",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DATABASE_URL=test_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage(*args: str, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=site_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
