"""Outages of the database and of Redis, with servers these tests start and stop themselves.

The database test runs the site as production does (gunicorn with the repository's
configuration) on a MariaDB of its own, stops that MariaDB, and starts it again. The Redis
test points the cache at a Redis of its own and kills it.
"""

import socket
import urllib.error
import urllib.request

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest
from rest_framework.test import APIClient

from catalog.tests.factories import ArtistFactory, UserFactory
from catalog.tests.processes import manage
from catalog.tests.test_api_fixtures import api_url

from .servers import Gunicorn, PrivateMariaDB, PrivateRedis

MARIADB_PORT = 3391
REDIS_PORT = 6391
GUNICORN_PORT = 8251
PASSWORD = "correct horse battery staple"


def fetch(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# The database


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    # Production serves the collected, hashed static files.
    collected = manage("collectstatic", "--no-input", "-v0", timeout=300)
    assert collected.returncode == 0, collected.stderr
    server = PrivateMariaDB(tmp_path_factory.mktemp("mariadb"), MARIADB_PORT)
    server.install()
    yield server
    server.stop()


@pytest.fixture
def site(mariadb, tmp_path):
    server = Gunicorn(
        GUNICORN_PORT,
        tmp_path / "gunicorn.log",
        DATABASE_URL=mariadb.url,
        DJANGO_OUTAGE_RETRY_AFTER=7,
    )
    server.start()
    yield server
    server.stop()


# Pages that read the catalog (the admin login form and the API root need no database).
PAGES = ["/", "/videos/", "/products/", "/api/v1/artists/", "/api/v1/products/"]


@pytest.mark.slow
def test_a_database_outage_answers_503_with_retry_after_and_recovers_by_itself(mariadb, site):
    for path in [*PAGES, "/readyz", "/healthz"]:
        status, _, _ = fetch(site.url + path)
        assert status == 200, path

    mariadb.stop()
    # A query string of its own keeps each request out of the page cache, which would
    # otherwise answer the pages fetched above from memory, database or not.
    outage = [
        (path, *fetch(f"{site.url}{path}{'&' if '?' in path else '?'}outage={n}"))
        for n in range(3)
        for path in PAGES
    ]
    ready = fetch(site.url + "/readyz")
    alive = fetch(site.url + "/healthz")
    mariadb.start()
    recovered = [fetch(site.url + path)[0] for path in PAGES]

    assert {status for _, status, _, _ in outage} == {503}
    for path, _, headers, body in outage:
        assert headers["Retry-After"] == "7", path
        if path.startswith("/api/"):
            assert headers["Content-Type"] == "application/json", path
            assert b"briefly unavailable" in body
        else:
            assert headers["Content-Type"].startswith("text/html"), path
            assert b"We will be back in a moment" in body
    assert ready[0] == 503
    assert b'"database": "database: OperationalError"' in ready[2]
    assert alive[0] == 200
    assert recovered == [200] * len(PAGES)


# Redis


@pytest.fixture
def redis_cache(settings):
    server = PrivateRedis(REDIS_PORT)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "inspired_site.cache.FailOpenRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "inspired-test",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "3/minute",
            "user": "100/minute",
            "login": "100/minute",
        },
    }
    yield server
    server.stop()
    cache.clear()


@pytest.mark.django_db
def test_throttles_count_in_redis_and_fail_open_when_it_is_gone(redis_cache):
    ArtistFactory()
    counted = [APIClient().get(api_url("artist-list")).status_code for _ in range(4)]

    redis_cache.stop()
    open_ = [APIClient().get(api_url("artist-list")).status_code for _ in range(10)]

    assert counted == [200, 200, 200, 429]
    assert open_ == [200] * 10


@pytest.mark.django_db
def test_sign_ins_and_sessions_survive_a_redis_outage(redis_cache):
    curator = UserFactory(curator=True, email="curator@example.com")
    shopper = UserFactory(email="mia@example.com")
    member = Client()
    member.post(reverse("account_login"), {"login": "mia@example.com", "password": PASSWORD})
    assert member.get(reverse("accounts:profile")).status_code == 200

    redis_cache.stop()
    still_signed_in = member.get(reverse("accounts:profile"))
    shopper_login = Client().post(
        reverse("account_login"), {"login": shopper.email, "password": PASSWORD}
    )
    token_login = APIClient().post(
        api_url("login"), {"username": curator.username, "password": PASSWORD}, format="json"
    )
    admin = Client()
    admin_login = admin.post(
        reverse("admin:login"), {"username": curator.username, "password": PASSWORD}
    )
    pages = [Client().get(path).status_code for path in ["/", "/videos/", "/products/"]]

    assert still_signed_in.status_code == 200
    assert shopper_login.status_code == 302
    assert token_login.status_code == 200
    assert admin_login.status_code == 302
    assert admin.get("/admin/").status_code == 200
    assert pages == [200, 200, 200]


@pytest.mark.django_db
def test_readiness_reports_the_cache_outage_and_its_end(redis_cache):
    assert Client().get("/readyz").status_code == 200

    redis_cache.stop()
    down = Client().get("/readyz")
    redis_cache.start()
    up = Client().get("/readyz")

    assert down.status_code == 503
    assert down.json()["checks"] == {
        "database": "ok",
        "cache": "cache: unreachable",
        "broker": "ok",  # no broker configured here: nothing to wait for
    }
    assert up.status_code == 200


@pytest.mark.django_db
def test_readiness_reports_a_task_broker_out_of_reach(settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"  # the machine's RabbitMQ
    assert Client().get("/readyz").json()["checks"]["broker"] == "ok"

    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed}//"
    down = Client().get("/readyz")

    assert down.status_code == 503
    assert down.json()["checks"]["broker"].startswith("broker: ")
