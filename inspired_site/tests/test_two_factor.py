"""Two-factor sign-in (TOTP) for curators, and the setting that requires it for the admin."""

import time

from django.test import Client
from django.urls import reverse

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

from catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def curator(db):
    return UserFactory(curator=True, username="curator", email="curator@example.com")


@pytest.fixture
def secret(curator):
    value = generate_totp_secret()
    TOTP.activate(curator, value)
    return value


@pytest.fixture
def required(settings):
    settings.STAFF_REQUIRE_MFA = True


def sign_in(client, next_url="/admin/"):
    return client.post(
        f"{reverse('account_login')}?next={next_url}",
        {"login": "curator@example.com", "password": PASSWORD},
    )


def test_a_curator_with_an_authenticator_is_asked_for_its_code(curator, secret):
    client = Client()

    first = sign_in(client)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    done = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_hands_over_to_two_factor_sign_in_when_required(required):
    response = Client().get(f"{reverse('admin:login')}?next=/admin/catalog/product/")

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('account_login')}?next=%2Fadmin%2Fcatalog%2Fproduct%2F"
    )


def test_the_admin_password_form_cannot_skip_the_second_factor_when_required(
    required, curator, secret
):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "curator", "password": PASSWORD})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_without_an_authenticator_are_sent_to_set_one_up(required, curator):
    client = Client()
    client.force_login(curator)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_a_session_signed_in_without_the_second_factor_is_signed_out(required, curator, secret):
    client = Client()
    # The browsable API's login form takes a password only.
    client.post("/api/auth/login/", {"username": "curator", "password": PASSWORD})
    assert "_auth_user_id" in client.session

    response = client.get("/admin/catalog/product/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_staff_signed_in_with_both_factors_use_the_admin(required, curator, secret):
    client = Client()
    sign_in(client)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/catalog/product/").status_code == 200


def test_without_the_requirement_the_admin_login_takes_a_password(curator):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "curator", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_shoppers_are_never_asked_for_a_second_factor(required):
    shopper = UserFactory(email="mia@example.com")
    client = Client()

    response = client.post(
        reverse("account_login"), {"login": "mia@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(shopper.pk)
