"""Token hygiene, private answers for authenticated clients, and bodies that answer 4xx."""

from django.test import Client
from django.urls import reverse

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from .factories import ArtistFactory, UserFactory
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another horse battery staple"


def obtain_token(user) -> str:
    response = APIClient().post(
        api_url("login"), {"username": user.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def token_client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


# Tokens die with the password they were obtained with


def test_changing_the_password_revokes_every_token(curator):
    tokens = [obtain_token(curator), obtain_token(curator)]
    client = Client()
    client.force_login(curator)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not AuthToken.objects.filter(user=curator).exists()
    for token in tokens:
        assert token_client(token).get(api_url("artist-list")).status_code == 401


def test_a_password_set_anywhere_revokes_the_tokens(curator):
    token = obtain_token(curator)

    curator.set_password(NEW_PASSWORD)
    curator.save()

    assert token_client(token).get(api_url("artist-list")).status_code == 401


def test_other_changes_to_the_account_keep_the_tokens(curator):
    token = obtain_token(curator)

    curator.first_name = "Ada"
    curator.save()
    Client().login(username=curator.username, password=PASSWORD)  # updates last_login

    assert token_client(token).get(api_url("artist-list")).status_code == 200


def test_another_persons_password_change_keeps_my_tokens(curator):
    token = obtain_token(curator)
    other = UserFactory(curator=True)

    other.set_password(NEW_PASSWORD)
    other.save()

    assert token_client(token).get(api_url("artist-list")).status_code == 200


# Answers for authenticated clients are private; every answer varies on credentials


def test_an_authenticated_list_is_private_and_varies_on_authorization(curator):
    ArtistFactory()
    response = token_client(obtain_token(curator)).get(api_url("artist-list"))

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert {"Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_signed_in_session_gets_private_answers_too(curator):
    client = APIClient()
    client.force_login(curator)

    response = client.get(api_url("video-list"))

    assert "private" in response["Cache-Control"]


def test_an_anonymous_list_varies_on_authorization_but_may_be_cached():
    response = APIClient().get(api_url("artist-list"))

    assert "Authorization" in response["Vary"]
    assert "private" not in response.get("Cache-Control", "")


def test_the_token_itself_is_never_stored_by_a_cache(curator):
    response = APIClient().post(
        api_url("login"), {"username": curator.username, "password": PASSWORD}, format="json"
    )

    assert response["Cache-Control"] == "no-store"


# Bodies too deep or too large


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_json_is_a_400_even_anonymously(depth):
    response = APIClient().post(api_url("login"), nested(depth), content_type="application/json")

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_deeply_nested_json_in_a_write_is_a_400(curator):
    body = '{"name": "X", "slug": "x", "extra": ' + nested(50_000) + "}"
    response = token_client(obtain_token(curator)).post(
        api_url("artist-list"), body, content_type="application/json"
    )

    assert response.status_code == 400


def test_json_nested_within_the_limit_is_read():
    body = '{"username": "nobody", "password": "x", "extra": ' + nested(20) + "}"
    response = APIClient().post(api_url("login"), body, content_type="application/json")

    assert response.status_code == 400
    assert "nested" not in response.content.decode()


def test_a_body_over_the_limit_is_a_413_even_anonymously(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"username": "' + "x" * 20_000 + '", "password": "x"}'

    response = APIClient().post(api_url("login"), body, content_type="application/json")

    assert response.status_code == 413


def test_a_form_body_over_the_limit_is_refused_on_the_sign_in_pages(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = Client(raise_request_exception=False)

    for path in [reverse("admin:login"), reverse("account_login"), "/api/auth/login/"]:
        response = client.post(path, {"username": "x" * 20_000, "password": "x"})
        assert response.status_code in {400, 413}, path
