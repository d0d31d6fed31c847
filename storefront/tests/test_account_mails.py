"""Sign-up and password-reset mails name the site from settings (SITE_NAME, SITE_DOMAIN)."""

from django.contrib.sites.models import Site
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress

from catalog.tests.factories import UserFactory

# Mails leave after the request's transaction commits, as on the live site.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_commit")]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _placeholder_site(settings):
    cache.clear()
    # What the sites framework leaves behind on a database it set up itself.
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": "example.com", "name": "example.com"}
    )
    Site.objects.clear_cache()
    settings.SITE_NAME = "Inspired Shop"
    settings.SITE_DOMAIN = "shop.inspired.test"


def assert_names_the_site(message):
    text = message.subject + message.body
    assert "example.com" not in text
    assert message.subject.startswith("[Inspired Shop] ")
    assert "Hello from Inspired Shop!" in message.body
    assert "shop.inspired.test" in message.body


def test_the_sign_up_mail_names_the_site_from_settings():
    Client().post(
        reverse("account_signup"),
        {"email": "new@mail.test", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    assert_names_the_site(message)


def test_the_password_reset_mail_names_the_site_from_settings():
    user = UserFactory(email="mia@mail.test")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)

    Client().post(reverse("account_reset_password"), {"email": user.email})

    (message,) = mail.outbox
    assert_names_the_site(message)


def test_without_a_domain_the_mail_names_the_requests_host(settings):
    settings.SITE_DOMAIN = ""
    Client().post(
        reverse("account_signup"),
        {"email": "new@mail.test", "password1": PASSWORD, "password2": PASSWORD},
    )

    (message,) = mail.outbox
    assert "example.com" not in message.subject + message.body
    assert "testserver" in message.body
