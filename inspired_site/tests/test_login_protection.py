"""Password guessing is cut short on every sign-in surface, before any password is hashed."""

from django.contrib.auth import hashers
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

import pytest
from axes.models import AccessAttempt

from catalog.tests.factories import UserFactory
from inspired_site.proxies import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HASHES = []


class CountingHasher(hashers.MD5PasswordHasher):
    """The tests' fast hasher, counting every hash it computes."""

    algorithm = "counted_md5"

    def encode(self, password, salt):
        HASHES.append(1)
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def _counted_hashes(settings):
    settings.PASSWORD_HASHERS = ["inspired_site.tests.test_login_protection.CountingHasher"]
    settings.AXES_FAILURE_LIMIT = 5
    HASHES.clear()
    cache.clear()


@pytest.fixture
def no_throttle(settings):
    """Take the token login's and allauth's request rates out of the way of the lockout."""
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": False, "login": False}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "1000/minute",
            "user": "1000/minute",
            "login": "1000/minute",
        },
    }


@pytest.fixture
def curator(db):
    return UserFactory(curator=True, username="curator", email="curator@example.com")


def admin_login(client, user, password):
    return client.post(reverse("admin:login"), {"username": user.username, "password": password})


def browsable_api_login(client, user, password):
    return client.post("/api/auth/login/", {"username": user.username, "password": password})


def token_login(client, user, password):
    return client.post(
        reverse("api:login"),
        {"username": user.username, "password": password},
        content_type="application/json",
    )


def allauth_login(client, user, password):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


SURFACES = {
    "admin": admin_login,
    "browsable API": browsable_api_login,
    "token": token_login,
    "allauth": allauth_login,
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_thirty_wrong_passwords_lock_the_account_on_every_surface(surface, curator, no_throttle):
    login = SURFACES[surface]
    client = Client()

    statuses = [login(client, curator, f"wrong-{n}").status_code for n in range(5)]
    hashes_until_locked = len(HASHES)
    statuses += [login(client, curator, f"wrong-{n}").status_code for n in range(5, 30)]
    right_password = login(client, curator, PASSWORD)

    # The fifth failure locks; every attempt after it is refused before any hashing.
    assert 429 not in statuses[:4]
    assert statuses[4:] == [429] * 26
    assert right_password.status_code == 429
    assert int(right_password["Retry-After"]) == 15 * 60
    assert hashes_until_locked > 0
    assert len(HASHES) == hashes_until_locked


def test_the_lockout_answers_json_under_the_api_and_a_page_elsewhere(curator, no_throttle):
    for _ in range(5):
        token_login(Client(), curator, "wrong")
        admin_login(Client(), curator, "wrong")

    api = token_login(Client(), curator, PASSWORD)
    page = admin_login(Client(), curator, PASSWORD)

    assert api.status_code == page.status_code == 429
    assert "Too many failed sign-ins" in api.json()["detail"]
    assert page["Content-Type"].startswith("text/html")
    assert b"Too many sign-in attempts" in page.content


def test_the_lockout_is_for_the_account_from_that_address_only(curator):
    for _ in range(5):
        admin_login(Client(REMOTE_ADDR="203.0.113.9"), curator, "wrong")

    elsewhere = admin_login(Client(REMOTE_ADDR="198.51.100.7"), curator, PASSWORD)
    other_account = UserFactory(staff=True)
    same_address = admin_login(Client(REMOTE_ADDR="203.0.113.9"), other_account, PASSWORD)

    assert elsewhere.status_code == 302
    assert same_address.status_code == 302


def test_a_success_before_the_limit_clears_the_count(curator):
    for _ in range(4):
        admin_login(Client(), curator, "wrong")
    assert admin_login(Client(), curator, PASSWORD).status_code == 302

    for _ in range(4):
        admin_login(Client(), curator, "wrong")

    assert admin_login(Client(), curator, PASSWORD).status_code == 302


def test_failures_are_kept_in_the_database_that_every_worker_shares(curator):
    admin_login(Client(), curator, "wrong")
    allauth_login(Client(), curator, "wrong")

    attempts = AccessAttempt.objects.filter(ip_address="127.0.0.1")
    assert sorted(attempts.values_list("username", flat=True)) == [
        "curator",
        "curator@example.com",
    ]


# Client addresses: X-Forwarded-For only through trusted proxies


def request_from(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []

    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]

    # The client sent "6.6.6.6" itself; the load balancer (192.0.2.1) and the proxy
    # (10.0.0.5) each appended the address they saw.
    request = request_from("10.0.0.5", "6.6.6.6, 198.51.100.20, 192.0.2.1")

    assert client_ip(request) == "198.51.100.20"
    assert client_ip(request_from("10.0.0.5", "garbage")) == "10.0.0.5"
    assert client_ip(request_from("203.0.113.9", "10.0.0.1")) == "203.0.113.9"


def test_a_fresh_forwarded_header_per_attempt_escapes_neither_lockout_nor_throttle(
    curator, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "100/minute",
            "user": "100/minute",
            "login": "5/minute",
        },
    }
    statuses = []
    for n in range(7):
        client = Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        # A different account each time: only the throttle can stop these.
        other = UserFactory()
        statuses.append(token_login(client, other, "wrong").status_code)

    assert statuses[:5] == [400] * 5
    assert statuses[5:] == [429, 429]


def test_behind_a_trusted_proxy_clients_are_told_apart(curator, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    for _ in range(5):
        admin_login(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"), curator, "wrong")

    locked = admin_login(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"), curator, PASSWORD)
    other_client = admin_login(Client(HTTP_X_FORWARDED_FOR="198.51.100.7"), curator, PASSWORD)

    assert locked.status_code == 429
    assert other_client.status_code == 302
