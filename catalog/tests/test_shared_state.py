"""State that several web nodes share: sessions and the cache in Redis when REDIS_URL is set."""

import os
import subprocess
import sys

from django.test import Client

import pytest
import redis

from catalog.tests.processes import BASE_DIR

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


def settings_with(**env) -> dict:
    """Read a few settings as a process started with `env` sees them."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_ENGINE, s.CACHES['default']['BACKEND']]))"
    )
    completed = subprocess.run(  # noqa: S603 (our own settings, fixed arguments)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "inspired_site.settings_test", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_without_redis_sessions_are_in_the_database():
    assert settings_with(REDIS_URL="") == (
        '["django.contrib.sessions.backends.db", "django.core.cache.backends.locmem.LocMemCache"]'
    )


def test_with_redis_sessions_and_cache_are_shared_through_it():
    assert settings_with(REDIS_URL=REDIS_URL) == (
        '["django.contrib.sessions.backends.cached_db", "inspired_site.cache.FailOpenRedisCache"]'
    )


@pytest.mark.django_db
def test_a_signed_in_session_is_found_in_redis_by_another_node(client, curator, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"inspired-test-{os.getpid()}",
        }
    }
    client.force_login(curator)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    server = redis.Redis.from_url(REDIS_URL)
    stored = server.keys(f"inspired-test-{os.getpid()}:*{key}")
    try:
        assert len(stored) == 1
        # Another node (a fresh client with the same cookie) is signed in too.
        other = Client()
        other.cookies[settings.SESSION_COOKIE_NAME] = key
        assert other.get("/admin/").status_code == 200
    finally:
        server.delete(*stored)
