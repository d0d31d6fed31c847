"""The shopper's display currency: chosen in the footer, remembered in a cookie.

Offers keep their own currency; pages show each price as the retailer states it and,
when the shopper chose another currency and a rate is known, an approximation beside it
("≈ €93, rate of 3 Dec"). With no rates stored, nothing is converted.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.integrations.fx import latest_rates

from .forms import CurrencyForm

COOKIE = "display_currency"
COOKIE_AGE = 365 * 86_400
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def currency_codes() -> list[str]:
    return sorted({settings.CATALOG_CURRENCY, *settings.CATALOG_DISPLAY_CURRENCIES})


def display_currency(request) -> str:
    """The shopper's chosen currency, or "" for none (prices as the retailers state them)."""
    value = request.COOKIES.get(COOKIE, "")
    return value if value in currency_codes() else ""


def format_amount(amount: Decimal, code: str) -> str:
    places = Decimal("1") if amount >= 20 else Decimal("0.01")
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    symbol = SYMBOLS.get(code)
    return f"{symbol}{rounded}" if symbol else f"{rounded} {code}"


def converted_label(amount, source: str, target: str, table) -> str:
    """Return "≈ €93, rate of 3 Dec", or "" when there is nothing to convert."""
    if not target or target == source or not table:
        return ""
    value = table.convert(amount, source, target)
    if value is None:
        return ""
    return f"≈ {format_amount(value, target)}, rate of {table.day.day} {table.day:%b}"


def context(request):
    """Template context: display_currency, site_currency, currency_codes, fx_rates (lazy)."""
    return {
        "display_currency": display_currency(request),
        "site_currency": settings.CATALOG_CURRENCY,
        "currency_codes": currency_codes(),
        "fx_rates": SimpleLazyObject(latest_rates),
    }


@never_cache
@require_safe
def choose_currency(request):
    """/currency/?currency=EUR&next=/products/: remember the choice and go back.

    A GET form, so that pages carry no CSRF cookie and anonymous ones stay cacheable.
    """
    form = CurrencyForm(request.GET)
    target = request.GET.get("next", "")
    if not (
        target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if form.is_valid():
        code = form.cleaned_data["currency"]
        if code == settings.CATALOG_CURRENCY:
            response.delete_cookie(COOKIE)
        else:
            response.set_cookie(
                COOKIE, code, max_age=COOKIE_AGE, samesite="Lax", secure=request.is_secure()
            )
    return response
