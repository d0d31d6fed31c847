"""Shoppers' forms beyond sign-in: alerts and the display currency."""

from decimal import Decimal

from django import forms
from django.conf import settings

from catalog.models import ProductAlert


class AlertForm(forms.Form):
    kind = forms.ChoiceField(choices=ProductAlert.Kind.choices)
    target_price = forms.DecimalField(
        label="Price", required=False, min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    currency = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = sorted({settings.CATALOG_CURRENCY, *settings.CATALOG_DISPLAY_CURRENCIES})
        self.fields["currency"].choices = [("", "")] + [(code, code) for code in codes]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ProductAlert.Kind.PRICE_BELOW and not cleaned.get(
            "target_price"
        ):
            self.add_error("target_price", "Say below which price to tell you.")
        return cleaned


class CurrencyForm(forms.Form):
    currency = forms.ChoiceField(choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        codes = sorted({settings.CATALOG_CURRENCY, *settings.CATALOG_DISPLAY_CURRENCIES})
        self.fields["currency"].choices = [(code, code) for code in codes]
