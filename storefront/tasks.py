"""Mail sent by a worker, with retries; inspired_site.mail.send_after_commit() queues it."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from celery import shared_task


@shared_task(bind=True, max_retries=10)
def send_mail(self, message: dict) -> int:
    """Send one message given as `as_task_data()` gives it; return the count sent (0 or 1).

    A refused or unreachable server is tried again after CELERY_MAIL_RETRY_SECONDS,
    doubling each time up to ten minutes.
    """
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message.get("from_email"),
        to=message["to"],
        cc=message.get("cc", []),
        bcc=message.get("bcc", []),
        reply_to=message.get("reply_to", []),
        headers=message.get("headers", {}),
    )
    for content, mimetype in message.get("alternatives", []):
        email.attach_alternative(content, mimetype)
    try:
        return email.send()
    except (smtplib.SMTPException, OSError) as error:
        delay = min(600, settings.CELERY_MAIL_RETRY_SECONDS * 2**self.request.retries)
        raise self.retry(exc=error, countdown=delay) from error


def as_task_data(email: EmailMultiAlternatives) -> dict:
    """Return a message as JSON-safe data for `send_mail` (attachments are not carried)."""
    return {
        "subject": str(email.subject),
        "body": str(email.body),
        "from_email": email.from_email,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "headers": dict(email.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(email, "alternatives", [])
        ],
    }
