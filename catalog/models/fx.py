"""Exchange rates: the ECB's daily reference rates, one row per currency and day."""

from decimal import Decimal

from django.db import models

from ..currencies import CURRENCY_CHOICES
from .base import TimeStampedModel, TimeStampedQuerySet

BASE_CURRENCY = "EUR"  # the ECB quotes every rate as units of the currency per euro


class ExchangeRateQuerySet(TimeStampedQuerySet):
    def latest_table(self):
        """Return (date, {currency: units per euro}) of the newest day, or (None, {})."""
        latest = self.order_by("-date").values_list("date", flat=True).first()
        if latest is None:
            return None, {}
        rates = dict(self.filter(date=latest).values_list("currency", "rate"))
        rates[BASE_CURRENCY] = Decimal(1)
        return latest, rates


class ExchangeRate(TimeStampedModel):
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    date = models.DateField(help_text="The day the ECB published this reference rate.")
    rate = models.DecimalField(
        max_digits=18, decimal_places=6, help_text="Units of the currency per euro."
    )

    objects = ExchangeRateQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "date"], name="catalog_exchangerate_unique_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="catalog_fx_rate_gt_0"),
        ]
        indexes = [models.Index(fields=["date"], name="catalog_exchangerate_date")]

    def __str__(self):
        return f"1 EUR = {self.rate} {self.currency} on {self.date}"
