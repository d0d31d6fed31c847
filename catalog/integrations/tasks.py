"""Celery tasks: thin, idempotent adapters over the integration services.

Without a broker (CELERY_BROKER_URL empty) they run in the process that sends them.
"""

from celery import shared_task

from . import alerts, fx, webhooks


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    """Try one delivery; on failure send itself again after the back-off."""
    wait = webhooks.attempt(delivery_id)
    if wait is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=wait)


@shared_task(ignore_result=True)
def retry_due_webhooks() -> int:
    """Send the retries whose time has come, for tasks a broker or worker lost."""
    due = list(webhooks.due_deliveries())
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(ignore_result=True)
def evaluate_alerts(product_id: int, offer_id: int | None = None, before: dict | None = None):
    """Check a product's active alerts after one of its offers changed; mail those that fire."""
    return alerts.evaluate_product(product_id, changed_offer_id=offer_id, before=before)


@shared_task(ignore_result=True)
def send_artist_digests() -> int:
    return alerts.send_due_digests()


@shared_task(ignore_result=True)
def update_fx_rates() -> int:
    return fx.update_rates()
