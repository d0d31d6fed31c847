"""Integrators' webhook endpoints and the log of every delivery made to them."""

import ipaddress
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from ..validators import validate_http_url
from .base import URL_MAX_LENGTH, TimeStampedModel, TimeStampedQuerySet


class WebhookEvent(models.TextChoices):
    VIDEO_PUBLISHED = "video.published", "Video published"
    LOOK_PUBLISHED = "look.published", "Look published"
    LOOK_CHANGED = "look.changed", "Look changed"
    OFFER_PRICE_CHANGED = "offer.price_changed", "Offer price changed"
    OFFER_BACK_IN_STOCK = "offer.back_in_stock", "Offer back in stock"
    OFFER_LINK_BROKEN = "offer.link_broken", "Offer link broken"


def generate_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_events(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = sorted({str(event) for event in value} - set(WebhookEvent.values))
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(unknown)}.")


class WebhookEndpointQuerySet(TimeStampedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def subscribed_to(self, event: str):
        """Return the active endpoints that want `event` (filtered in Python: a short table)."""
        return [endpoint for endpoint in self.active() if event in endpoint.events]


class WebhookEndpoint(TimeStampedModel):
    """A URL of an integrator's that receives signed JSON for the events it chose."""

    url = models.URLField("URL", max_length=URL_MAX_LENGTH, validators=[validate_http_url])
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(
        default=list,
        validators=[validate_events],
        help_text="Events sent to this URL: " + ", ".join(WebhookEvent.values) + ".",
    )
    secret = models.CharField(
        max_length=80,
        default=generate_webhook_secret,
        editable=False,
        help_text="Signs every delivery (HMAC-SHA256); the receiver keeps a copy.",
    )
    is_active = models.BooleanField("active", default=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, editable=False, help_text="Deliveries that gave up in a row."
    )
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["url", "id"]

    def __str__(self):
        return self.description or self.url

    def clean(self):
        """Refuse an address that no delivery would ever be sent to (checked again on
        every delivery, after DNS, by the link checker's guard)."""
        from ..linkhealth.fetcher import refuse_address

        host = (urlsplit(self.url).hostname or "").lower()
        if host in {h.lower() for h in settings.CATALOG_WEBHOOK_ALLOWED_HOSTS}:
            return
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            reason = "a local name" if host == "localhost" or host.endswith(".local") else None
        else:
            reason = refuse_address(address)
        if reason:
            raise ValidationError({"url": f"Webhooks are not sent to {reason}."})


class WebhookDelivery(TimeStampedModel):
    """One event sent (or being sent) to one endpoint, with what the endpoint answered."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Waiting to retry"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"
        SKIPPED = "skipped", "Skipped (endpoint disabled)"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    event = models.CharField(max_length=40, choices=WebhookEvent)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="catalog_whdelivery_endpoint"),
            models.Index(fields=["status", "next_attempt_at"], name="catalog_whdelivery_due"),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.status})"
