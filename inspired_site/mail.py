"""Mail that cannot break the page that sends it.

`send_after_commit()` is how the site sends mail: it waits for the surrounding transaction,
so that a mail never talks about an account or a key that a rollback took back. With a task
broker (CELERY_BROKER_URL) it then hands the message to a worker (`storefront.tasks
.send_mail`, on the mail queue), which retries a refused or unreachable SMTP server with a
growing pause. Without one, or when the broker cannot be reached, `send()` delivers it in
the process: a few attempts with a pause between them, then a logged error, and the person
is told (`on_failure`).
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
        if queue(message):
            return
        if not send(message) and on_failure is not None:
            on_failure()

    transaction.on_commit(deliver)


def queue(message: EmailMessage) -> bool:
    """Hand `message` to a mail worker; False without a broker or when it is out of reach."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return False
    from storefront.tasks import as_task_data, send_mail

    try:
        send_mail.delay(as_task_data(message))
    except Exception as error:  # kombu raises its own and the socket's errors
        logger.warning("Mail not queued (%s); sending it from this process", error)
        return False
    return True
