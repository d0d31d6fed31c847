"""Shoppers' price-drop and back-in-stock alerts, what they sent, and the weekly digest."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from ..currencies import CURRENCY_CHOICES
from .base import TimeStampedModel, TimeStampedQuerySet
from .offers import Offer
from .products import Product


class ProductAlertQuerySet(TimeStampedQuerySet):
    def by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).order_by("-created_at", "-id")

    def active(self):
        return self.filter(is_active=True)

    def for_listing(self):
        return self.select_related("product")


class ProductAlert(TimeStampedModel):
    """Tell a shopper when any retailer's offer of a product drops below a price or is back.

    `armed` is the hysteresis: an alert fires only while armed, which it stops being when
    it fires; it is armed again only once the condition is clearly false (the best price
    back above the target by CATALOG_ALERT_REARM_MARGIN, or nothing in stock), so a price
    that flaps around the target sends one mail, not one per flap.
    """

    class Kind(models.TextChoices):
        PRICE_BELOW = "price_below", "Price drops below"
        BACK_IN_STOCK = "back_in_stock", "Back in stock"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_alerts"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=14, choices=Kind)
    target_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    is_active = models.BooleanField("active", default=True)
    armed = models.BooleanField(default=True, editable=False)
    last_fired_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductAlertQuerySet.as_manager()

    class Meta:
        verbose_name = "product alert"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product", "kind"],
                name="catalog_productalert_unique_kind",
                violation_error_message="You already have this alert for this product.",
            ),
            models.CheckConstraint(
                condition=Q(kind="back_in_stock") | Q(target_price__isnull=False),
                name="catalog_productalert_price_has_target",
                violation_error_message="A price alert needs a price.",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "is_active"], name="catalog_alert_product_active"),
            models.Index(fields=["user", "-created_at"], name="catalog_alert_user_created"),
        ]

    def __str__(self):
        if self.kind == self.Kind.PRICE_BELOW:
            return f"{self.product} below {self.target_price} {self.currency}"
        return f"{self.product} back in stock"


class AlertNotification(TimeStampedModel):
    """One mail an alert sent: which offer, and the price or availability before and after."""

    alert = models.ForeignKey(ProductAlert, on_delete=models.CASCADE, related_name="notifications")
    offer = models.ForeignKey(Offer, on_delete=models.SET_NULL, null=True, related_name="+")
    old_price = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    new_price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    old_availability = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.alert} at {self.created_at:%Y-%m-%d %H:%M}"


class DigestSubscription(TimeStampedModel):
    """A shopper's opt-in to the weekly mail of their followed artists' new videos."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscription"
    )
    weekly_digest = models.BooleanField(default=False)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Digest of {self.user_id}: {'on' if self.weekly_digest else 'off'}"
