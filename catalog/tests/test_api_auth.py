"""API tokens, throttling and CORS."""

from datetime import timedelta

from django.contrib.admin.sites import site
from django.contrib.auth.models import Permission
from django.utils import timezone

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from .factories import ArtistFactory, UserFactory
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def login(client, user, password=PASSWORD):
    return client.post(
        api_url("login"), {"username": user.username, "password": password}, format="json"
    )


def test_login_issues_a_token_that_authorises_writes(api_client, curator):
    response = login(api_client, curator)
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expiry"]
    writer = APIClient()
    writer.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = writer.post(api_url("artist-list"), {"name": "Moby", "slug": "moby"}, format="json")
    assert created.status_code == 201


def test_tokens_are_stored_hashed_and_never_shown_again(api_client, curator):
    token = login(api_client, curator).json()["token"]
    stored = AuthToken.objects.get(user=curator)
    assert token not in (stored.digest, stored.token_key)
    assert len(stored.digest) == 128  # a SHA-512 hex digest
    # Nothing in the API lists tokens.
    root = api_client.get("/api/v1/").json()
    assert not any("token" in name for name in root)


def test_tokens_expire(api_client, curator):
    token = login(api_client, curator).json()["token"]
    stored = AuthToken.objects.get(user=curator)
    assert stored.expiry > timezone.now() + timedelta(days=29)
    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(api_url("artist-list"), {"name": "X", "slug": "x"}, format="json")
    assert response.status_code == 401


def test_logout_revokes_the_token(api_client, curator):
    token = login(api_client, curator).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(api_url("logout")).status_code == 204
    response = client.post(api_url("artist-list"), {"name": "X", "slug": "x"}, format="json")
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=curator).exists()


def test_logout_all_revokes_every_token_of_the_user(api_client, curator):
    tokens = [login(api_client, curator).json()["token"] for _ in range(2)]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert client.post(api_url("logout-all")).status_code == 204
    assert not AuthToken.objects.filter(user=curator).exists()


def test_wrong_password_is_a_400_without_a_token(api_client, curator):
    response = login(api_client, curator, password="wrong")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with these credentials."]}
    assert not AuthToken.objects.exists()


def test_login_needs_both_fields(api_client, db):
    response = api_client.post(api_url("login"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_shoppers_cannot_obtain_tokens(api_client, plain_user):
    response = login(api_client, plain_user)

    assert response.status_code == 403
    assert "staff and integrators" in response.json()["detail"]
    assert not AuthToken.objects.filter(user=plain_user).exists()


def test_a_token_of_a_read_only_integrator_reads_but_cannot_write(api_client, plain_user):
    plain_user.user_permissions.add(Permission.objects.get(codename="view_artist"))
    token = login(api_client, plain_user).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(api_url("artist-list")).status_code == 200
    response = client.post(api_url("artist-list"), {"name": "X", "slug": "x"}, format="json")
    assert response.status_code == 403


def test_tokens_are_managed_in_the_admin(client, staff_user):
    assert AuthToken in site._registry
    client.force_login(staff_user)
    assert client.get("/admin/knox/authtoken/").status_code == 200


def test_anonymous_clients_are_throttled_with_retry_after(api_client, db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "100/minute", "login": "5/minute"},
    }
    ArtistFactory()
    responses = [api_client.get(api_url("artist-list")) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert 0 < int(responses[2]["Retry-After"]) <= 60


def test_authenticated_clients_have_their_own_rate(api_client, plain_user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "3/minute", "login": "5/minute"},
    }
    api_client.force_authenticate(plain_user)
    codes = [api_client.get(api_url("artist-list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_anonymous_clients_are_held_to_the_anonymous_rate_alone(api_client, db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "1/minute", "login": "5/minute"},
    }
    ArtistFactory()
    codes = [api_client.get(api_url("artist-list")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_login_is_throttled_against_password_guessing(api_client, curator, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "100/minute",
            "user": "100/minute",
            "login": "2/minute",
        },
    }
    codes = [login(api_client, curator, password="guess").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_cors_allows_only_the_listed_origins(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.com"]
    allowed = client.get(api_url("artist-list"), HTTP_ORIGIN="https://partner.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://partner.example.com"
    other = client.get(api_url("artist-list"), HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_cors_preflight_for_a_token_write(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.com"]
    response = client.options(
        api_url("artist-list"),
        HTTP_ORIGIN="https://partner.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type",
    )
    assert response.status_code == 200
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_cors_headers_stay_off_the_storefront(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.com"]
    response = client.get("/", HTTP_ORIGIN="https://partner.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_users_cannot_be_listed_or_fetched(api_client, db):
    UserFactory()
    assert api_client.get("/api/v1/users/").status_code == 404
