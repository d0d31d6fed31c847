"""Account flows through allauth: sign up, sign in, sign out, passwords, email, profile."""

import os
import re
import subprocess
import sys

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from catalog.tests.factories import ArtistFactory, UserFactory
from storefront import services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_commit")]

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a fresh and longer passphrase"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth rate-limits by IP in the cache; one test's requests must not throttle the next.
    cache.clear()


@pytest.fixture
def member(db):
    user = UserFactory(email="mia@example.com")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def signed_in(client):
    return SESSION_KEY in client.session


# Sign up


def test_sign_up_with_email_and_password_creates_and_signs_in_the_person():
    client = Client()

    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")
    user = get_user_model().objects.get(email="new@example.com")
    assert user.check_password(PASSWORD)
    assert signed_in(client)
    assert EmailAddress.objects.filter(user=user, email="new@example.com", primary=True).exists()


def test_sign_up_sends_a_verification_email_but_does_not_require_it():
    client = Client()

    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert signed_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_the_verification_link_verifies_the_address():
    client = Client()
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    path = re.search(r"(/accounts/confirm-email/[^/\s]+/)", mail.outbox[0].body).group(1)

    page = client.get(path)
    confirmed = client.post(path)

    assert page.status_code == 200
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified


def test_sign_up_refuses_an_email_already_in_use(member):
    response = Client().post(
        reverse("account_signup"),
        {"email": "MIA@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.content.decode()
    assert get_user_model().objects.filter(email__iexact="mia@example.com").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "password1": PASSWORD, "password2": PASSWORD}, "valid email"),
        ({"email": "a@example.com", "password1": "123", "password2": "123"}, "too short"),
        (
            {"email": "a@example.com", "password1": PASSWORD, "password2": NEW_PASSWORD},
            "same password",
        ),
        ({}, "This field is required."),
    ],
)
def test_sign_up_reports_bad_input_as_form_errors(data, message):
    response = Client().post(reverse("account_signup"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.exists()


def test_sign_up_page_uses_the_site_layout():
    response = Client().get(reverse("account_signup"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>" in body and "· Inspired</title>" in body
    assert 'name="email"' in body
    assert 'name="password1"' in body
    assert 'name="username"' not in body


# Sign in and out


def test_sign_in_with_email(member):
    client = Client()

    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")
    assert client.session[SESSION_KEY] == str(member.pk)


def test_sign_in_follows_a_same_site_next_only(member):
    client = Client()

    safe = client.post(
        reverse("account_login") + "?next=/accounts/saved/",
        {"login": member.email, "password": PASSWORD},
    )
    client.logout()
    hostile = client.post(
        reverse("account_login") + "?next=https://evil.example/",
        {"login": member.email, "password": PASSWORD},
    )

    assert safe["Location"] == "/accounts/saved/"
    assert hostile["Location"] == reverse("storefront:home")


def test_sign_in_with_a_wrong_password_is_a_form_error(member):
    client = Client()

    response = client.post(reverse("account_login"), {"login": member.email, "password": "nope"})

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert not signed_in(client)


def test_sign_out_needs_a_post(member):
    client = Client()
    client.force_login(member)

    confirm = client.get(reverse("account_logout"))
    assert confirm.status_code == 200
    assert signed_in(client)

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront:home")
    assert not signed_in(client)


def test_sign_out_enforces_csrf(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 403
    assert signed_in(client)


# Passwords


def test_change_password(member):
    client = Client()
    client.force_login(member)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # Changing the password keeps this session signed in.
    assert signed_in(client)


def test_change_password_refuses_a_wrong_current_password(member):
    client = Client()
    client.force_login(member)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Please type your current password." in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_change_password_requires_sign_in():
    response = Client().get(reverse("account_change_password"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_password_reset_mails_a_link_that_sets_a_new_password(member):
    client = Client()

    response = client.post(reverse("account_reset_password"), {"email": member.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert message.subject == "[Inspired] Password Reset Email"
    assert "Hello from Inspired!" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body)
    assert link, message.body

    # allauth moves the key from the URL into the session, then shows the form.
    opened = client.get(link.group(1), follow=True)
    assert opened.status_code == 200
    form_url = opened.redirect_chain[-1][0]
    set_password = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert set_password.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert Client().login(username=member.username, password=NEW_PASSWORD)


def test_password_reset_link_works_once(member):
    client = Client()
    client.post(reverse("account_reset_password"), {"email": member.email})
    path = re.search(r"(/accounts/password/reset/key/\S+)", mail.outbox[0].body).group(1)
    opened = client.get(path, follow=True)
    client.post(
        opened.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    again = Client().get(path, follow=True)

    assert "Bad Token" in again.content.decode()


def test_password_reset_for_an_unknown_email_reveals_nothing(member):
    client = Client()

    known = client.post(reverse("account_reset_password"), {"email": member.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [[member.email], ["nobody@example.com"]]
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


# Email settings and the profile


def test_add_an_email_address(member):
    client = Client()
    client.force_login(member)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "mia.work@example.com"}
    )

    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=member, email="mia.work@example.com").exists()
    assert mail.outbox[-1].to == ["mia.work@example.com"]


def test_email_page_uses_the_site_layout(member):
    client = Client()
    client.force_login(member)

    response = client.get(reverse("account_email"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "· Inspired</title>" in body
    assert member.email in body


def test_profile_requires_sign_in():
    response = Client().get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/accounts/profile/"


def test_profile_shows_email_settings_password_settings_and_lists(member):
    client = Client()
    client.force_login(member)
    services.follow_artist(user=member, artist=ArtistFactory())

    response = client.get(reverse("accounts:profile"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "mia@example.com (primary) · verified" in body
    assert reverse("account_email") in body
    assert reverse("account_change_password") in body
    assert "1 artist" in body
    assert "0 products" in body


# Session, user, email addresses, the saved count, the following count.
PROFILE_QUERIES = 5


def test_profile_runs_a_fixed_number_of_queries(member, django_assert_num_queries):
    client = Client()
    client.force_login(member)
    EmailAddress.objects.create(user=member, email="second@example.com")

    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get(reverse("accounts:profile"))

    assert response.status_code == 200


def test_header_offers_sign_in_to_visitors_and_account_pages_to_members(member):
    client = Client()
    anonymous = client.get(reverse("accounts:saved-list"), follow=True).content.decode()
    client.force_login(member)
    signed = client.get(reverse("accounts:profile")).content.decode()

    assert reverse("account_signup") in anonymous
    assert reverse("accounts:saved-list") in signed
    assert reverse("accounts:following-list") in signed
    assert f'action="{reverse("account_logout")}"' in signed


# Social sign-in


def installed_apps_with(env):
    """Import the settings in a fresh interpreter with `env` and list the provider apps."""
    code = (
        "import inspired_site.settings as s; "
        "print(','.join(a for a in s.INSTALLED_APPS if '.providers.' in a))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FACEBOOK_", "GOOGLE_"))}
    result = subprocess.run(  # noqa: S603 (our own interpreter, a constant script)
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_DEBUG": "1", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_social_sign_in_is_off_without_credentials():
    assert installed_apps_with({}) == ""


def test_facebook_and_google_switch_on_when_both_of_their_credentials_are_set():
    only_facebook = installed_apps_with(
        {"FACEBOOK_CLIENT_ID": "1", "FACEBOOK_CLIENT_SECRET": "s", "GOOGLE_CLIENT_ID": "2"}
    )
    both = installed_apps_with(
        {
            "FACEBOOK_CLIENT_ID": "1",
            "FACEBOOK_CLIENT_SECRET": "s",
            "GOOGLE_CLIENT_ID": "2",
            "GOOGLE_CLIENT_SECRET": "t",
        }
    )

    assert only_facebook == "allauth.socialaccount.providers.facebook"
    assert both == (
        "allauth.socialaccount.providers.facebook,allauth.socialaccount.providers.google"
    )
