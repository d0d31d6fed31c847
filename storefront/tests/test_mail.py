"""Mail never breaks sign-up or a password reset: a real SMTP server, down and then up."""

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.test import Client
from django.urls import reverse

import pytest
from aiosmtpd.controller import Controller

from catalog.tests.factories import UserFactory
from catalog.tests.processes import manage
from inspired_site import mail

# Transactions commit as on a live site, so mail waits for the real commit.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SMTP_PORT = 8291
PASSWORD = "correct horse battery staple"


class Inbox:
    """An aiosmtpd handler keeping what it receives; it can refuse the first recipients."""

    def __init__(self, refuse_first=0):
        self.messages = []
        self.refusals_left = refuse_first

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusals_left:
            self.refusals_left -= 1
            return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 Message accepted"


class SmtpServer:
    """Start and stop a real SMTP server on 127.0.0.1."""

    def __init__(self):
        self.controller = None
        self.inbox = Inbox()

    def start(self, refuse_first=0):
        self.inbox = Inbox(refuse_first)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=SMTP_PORT)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages


@pytest.fixture
def smtp(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": SMTP_PORT, "use_tls": False, "timeout": 2},
        }
    }
    settings.MAIL_RETRY_DELAYS = (0.05, 0.05)
    server = SmtpServer()  # down until a test starts it
    yield server
    server.stop()


def messages_on(response):
    return [str(message) for message in response.context["messages"]]


def test_sign_up_with_the_mail_server_down_creates_the_account_and_says_so(smtp, caplog):
    client = Client()

    with caplog.at_level(logging.ERROR, logger="inspired_site.mail"):
        response = client.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
            follow=True,
        )

    assert response.status_code == 200
    assert "_auth_user_id" in client.session
    shown = " ".join(messages_on(response))
    assert "could not send the confirmation email" in shown
    assert "Confirmation email sent" not in shown
    assert "not sent after 3 attempts" in caplog.text

    # Once the server is back, the person asks again from their email settings.
    smtp.start()
    again = client.post(
        reverse("account_email"), {"action_send": "", "email": "new@example.com"}, follow=True
    )

    assert again.status_code == 200
    [(recipients, content)] = smtp.messages
    assert recipients == ["new@example.com"]
    assert "/accounts/confirm-email/" in content


def test_password_reset_with_the_mail_server_down_says_so_and_works_once_it_is_up(smtp):
    member = UserFactory(email="mia@example.com")
    client = Client()

    response = client.post(reverse("account_reset_password"), {"email": member.email}, follow=True)

    assert response.status_code == 200
    assert any("could not send the password reset email" in m for m in messages_on(response))

    smtp.start()
    client.post(reverse("account_reset_password"), {"email": member.email})

    [(recipients, content)] = smtp.messages
    assert recipients == ["mia@example.com"]
    assert "/accounts/password/reset/key/" in content


def test_a_refused_attempt_is_retried(smtp):
    smtp.start(refuse_first=2)

    sent = mail.send(EmailMessage("Hello", "Body", "from@example.com", ["to@example.com"]))

    assert sent is True
    assert len(smtp.messages) == 1


def test_three_refusals_give_up_and_report_it(smtp, caplog):
    smtp.start(refuse_first=3)

    with caplog.at_level(logging.WARNING, logger="inspired_site.mail"):
        sent = mail.send(EmailMessage("Hello", "Body", "from@example.com", ["to@example.com"]))

    assert sent is False
    assert smtp.messages == []
    assert caplog.text.count("retrying") == 2
    assert "not sent after 3 attempts" in caplog.text


def test_mail_goes_only_once_the_transaction_commits(smtp):
    smtp.start()
    message = EmailMessage("Hello", "Body", "from@example.com", ["to@example.com"])

    with transaction.atomic():
        mail.send_after_commit(message)
        assert smtp.messages == []
    assert len(smtp.messages) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_after_commit(message)
        raise RuntimeError("rolled back")
    assert len(smtp.messages) == 1


# Production settings check the mail configuration at start-up


@pytest.mark.slow
def test_production_refuses_to_start_with_smtp_but_no_host():
    result = manage("check", DJANGO_EMAIL_BACKEND="", DJANGO_EMAIL_HOST="")

    assert result.returncode != 0
    assert "DJANGO_EMAIL_HOST must be set" in result.stderr


@pytest.mark.slow
def test_production_accepts_the_console_backend_when_chosen():
    console = "django.core.mail.backends.console.EmailBackend"
    result = manage("check", DJANGO_EMAIL_BACKEND=console, DJANGO_EMAIL_HOST="")

    assert result.returncode == 0, result.stderr
