"""Mail handed to a worker after commit, retried while the SMTP server refuses it."""

from django.core.mail import EmailMultiAlternatives
from django.db import transaction

import pytest

from catalog.tests.smtp_server import running_smtp
from inspired_site.mail import send_after_commit
from storefront.tasks import as_task_data, send_mail


@pytest.fixture
def smtp(settings):
    with running_smtp(refuse=2) as server:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "127.0.0.1",
                    "port": server.server_address[1],
                    "use_tls": False,
                },
            }
        }
        yield server


def message():
    email = EmailMultiAlternatives(
        "Reset your password", "Follow the link.", "hello@inspired.test", ["shopper@example.com"]
    )
    email.attach_alternative("<p>Follow the link.</p>", "text/html")
    return email


def test_the_mail_task_sends_the_message_with_its_alternatives(smtp):
    smtp.refuse = 0
    assert send_mail.apply(args=[as_task_data(message())]).get() == 1
    assert "Subject: Reset your password" in smtp.messages[0]
    assert "text/html" in smtp.messages[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_leaves_only_when_the_transaction_commits(smtp):
    smtp.refuse = 0
    with pytest.raises(RuntimeError), transaction.atomic():
        send_after_commit(message())
        raise RuntimeError("the sign-up failed")
    assert smtp.messages == []

    with transaction.atomic():
        send_after_commit(message())
        assert smtp.messages == []
    assert len(smtp.messages) == 1
