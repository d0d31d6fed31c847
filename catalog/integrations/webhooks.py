"""Signed webhook deliveries: one row per event and endpoint, sent and retried by tasks.

Every delivery is a POST of JSON with these headers:

- `Inspired-Event`: the event name, e.g. `offer.price_changed`;
- `Inspired-Delivery`: the delivery's UUID, the same on every retry (deduplicate on it);
- `Inspired-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed
  with the endpoint's secret. The timestamp is inside the signed text, so a receiver that
  refuses timestamps older than a few minutes cannot be replayed an old delivery.

Deliveries go through the link checker's guard (catalog/linkhealth/fetcher.py): never to
private, loopback or metadata addresses, nor to ports other than 80 and 443.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from ..linkhealth.fetcher import FetchError, LinkRefused, post
from ..models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Inspired-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
RESPONSE_KEPT_CHARS = 2000


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the Inspired-Signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Return whether `header` signs `body` with `secret` within `tolerance` seconds."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def body_of(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at,
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def emit(event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event` for every active endpoint subscribed to it, sent after commit."""
    endpoints = WebhookEndpoint.objects.subscribed_to(event)
    if not endpoints:
        return []
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=data)
        for endpoint in endpoints
    ]
    from .tasks import deliver_webhook

    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk))
    return deliveries


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try: 30 s, 2 min, 8 min, 32 min, …"""
    return settings.CATALOG_WEBHOOK_BACKOFF_SECONDS * 4 ** (attempts - 1)


def attempt(delivery_id: int) -> float | None:
    """Try a delivery once; return the seconds to wait before the next try, or None.

    Idempotent: a delivery that succeeded, gave up or was skipped is left alone.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status not in {
            WebhookDelivery.Status.PENDING,
            WebhookDelivery.Status.RETRYING,
        }:
            return None
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            delivery.status = WebhookDelivery.Status.SKIPPED
            delivery.save(update_fields=["status", "updated_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])

    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "InspiredWebhooks/1.0",
        "Inspired-Event": delivery.event,
        "Inspired-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: sign(endpoint.secret, body, int(time.time())),
    }
    status, answer, error = None, "", ""
    try:
        status, answer = post(
            endpoint.url,
            body,
            headers,
            timeout=settings.CATALOG_WEBHOOK_TIMEOUT,
            trusted_hosts={host.lower() for host in settings.CATALOG_WEBHOOK_ALLOWED_HOSTS},
        )
    except LinkRefused as refused:
        error = f"Refused: {refused}"
    except FetchError as failed:
        error = str(failed)
    return record_attempt(delivery, status, answer, error)


@transaction.atomic
def record_attempt(delivery, status: int | None, answer: str, error: str) -> float | None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.response_status = status
    delivery.response_body = answer[:RESPONSE_KEPT_CHARS]
    delivery.error = error
    now = timezone.now()
    wait = None
    if status is not None and 200 <= status < 300:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        endpoint.consecutive_failures = 0
    elif delivery.attempts < settings.CATALOG_WEBHOOK_MAX_ATTEMPTS and not error.startswith(
        "Refused"
    ):
        wait = backoff(delivery.attempts)
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=wait)
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        endpoint.consecutive_failures += 1
        if endpoint.consecutive_failures >= settings.CATALOG_WEBHOOK_DISABLE_AFTER:
            endpoint.is_active = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = (
                f"{endpoint.consecutive_failures} deliveries in a row failed; "
                f"the last: {error or f'HTTP {status}'}"
            )[:200]
            logger.warning(
                "Webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason
            )
    delivery.save()
    endpoint.save(
        update_fields=[
            "consecutive_failures",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "updated_at",
        ]
    )
    return wait


def due_deliveries(now=None):
    """Deliveries waiting for a retry whose time has come (for a lost task's sweep)."""
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)


def send_test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `ping`-like delivery of the endpoint's first event with a sample payload."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=endpoint.events[0], payload={"test": True}
    )
    from .tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))
    return delivery
