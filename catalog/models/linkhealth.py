"""What the link checker saw on each visit of an offer, and the offers' price history."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..currencies import CURRENCY_CHOICES
from .base import URL_MAX_LENGTH, TimeStampedModel
from .offers import Offer


class OfferCheck(TimeStampedModel):
    """One visit of an offer's link by the checker, and what it found."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Offer.LinkStatus)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    final_url = models.URLField("final URL", max_length=URL_MAX_LENGTH, blank=True)
    error_message = models.TextField(blank=True)
    duration = models.DurationField(null=True, blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="As read on the page."
    )
    currency = models.CharField(max_length=3, blank=True)
    availability = models.CharField(max_length=12, choices=Offer.Availability, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"
        indexes = [
            models.Index(fields=["offer", "-checked_at"], name="catalog_offercheck_offer"),
            models.Index(fields=["status", "-checked_at"], name="catalog_offercheck_status"),
        ]

    def __str__(self):
        return f"{self.get_status_display()} at {self.checked_at:%Y-%m-%d %H:%M}"


class PriceHistory(TimeStampedModel):
    """An offer's price, currency and availability from `recorded_at` on."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_history")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    availability = models.CharField(max_length=12, choices=Offer.Availability)
    recorded_at = models.DateTimeField(default=timezone.now)
    offer_check = models.ForeignKey(
        OfferCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="price_changes",
        help_text="The link check that saw this price; empty for changes made by hand.",
    )

    class Meta:
        verbose_name_plural = "price history"
        ordering = ["-recorded_at", "-id"]
        get_latest_by = "recorded_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="catalog_pricehistory_price_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["offer", "-recorded_at"], name="catalog_pricehistory_offer"),
        ]

    def __str__(self):
        return f"{self.price} {self.currency} on {self.recorded_at:%Y-%m-%d}"
