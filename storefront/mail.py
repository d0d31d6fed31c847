"""Mail that cannot break the page that sends it.

`send()` is the one function that delivers a message: a few attempts with a pause between
them, then a logged error and False. A task queue can later run it as a task as it is.
`send_after_commit()` waits for the surrounding transaction, so that a mail never talks
about an account or a key that a rollback took back, and tells the person when their mail
could not go.
"""

import logging
import smtplib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)

# What a mail server that is down, unreachable or refusing us raises.
DELIVERY_ERRORS = (OSError, smtplib.SMTPException)


def send(message: EmailMessage) -> bool:
    """Deliver `message`, retrying after settings.MAIL_RETRY_DELAYS; True once it went."""
    delays = [*settings.MAIL_RETRY_DELAYS, None]
    for attempt, delay in enumerate(delays, start=1):
        try:
            message.send()
        except DELIVERY_ERRORS as error:
            if delay is None:
                logger.error(
                    "Mail %r to %s not sent after %d attempts: %s",
                    message.subject,
                    ", ".join(message.to),
                    attempt,
                    error,
                )
                return False
            logger.warning("Mail attempt %d failed (%s); retrying in %ss", attempt, error, delay)
            time.sleep(delay)
        else:
            return True
    return False


def send_after_commit(message: EmailMessage, on_failure: Callable[[], None] | None = None):
    """Send `message` once the current transaction commits (at once outside one)."""

    def deliver():
        if not send(message) and on_failure is not None:
            on_failure()

    transaction.on_commit(deliver)
