"""Link health in the admin: the needs-attention filter, the last check and price
history on an offer, and the checks and price changes themselves, read-only."""

from django.contrib import admin
from django.template.loader import render_to_string

from ..models import (
    OfferCheck,
    PriceHistory,
)
from .base import (
    CurrencyInUseFilter,
    ReadOnlyAdmin,
)


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "needs_attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention"), ("no", "Healthy")]

    def queryset(self, request, queryset):
        # The rule lives on the QuerySet, which the storefront's hiding uses as well.
        if self.value() == "yes":
            return queryset.needs_attention()
        if self.value() == "no":
            return queryset.without_attention()
        return queryset


PRICE_HISTORY_SHOWN = 20


@admin.display(description="last check")
def last_check_display(self, obj):
    check = obj.checks.order_by("-checked_at", "-id").first() if obj.pk else None
    if check is None:
        return "Not checked yet."
    return render_to_string("admin/catalog/offer/last_check.html", {"check": check})


@admin.display(description="price history")
def price_history_display(self, obj):
    entries = (
        list(obj.price_history.select_related("offer_check")[:PRICE_HISTORY_SHOWN])
        if obj.pk
        else []
    )
    if not entries:
        return "No price changes recorded."
    return render_to_string(
        "admin/catalog/offer/price_history.html",
        {"entries": entries, "shown": PRICE_HISTORY_SHOWN},
    )


@admin.register(OfferCheck)
class OfferCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "offer", "status", "http_status", "final_url", "duration"]
    list_filter = ["status", "offer__retailer"]
    list_select_related = ["offer__product", "offer__retailer"]
    search_fields = ["offer__product__name", "offer__product__upc", "final_url"]
    date_hierarchy = "checked_at"


@admin.register(PriceHistory)
class PriceHistoryAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "offer", "price", "currency", "availability", "offer_check"]
    list_filter = [CurrencyInUseFilter, "availability", "offer__retailer"]
    list_select_related = ["offer__product", "offer__retailer", "offer_check"]
    search_fields = ["offer__product__name", "offer__product__upc"]
    date_hierarchy = "recorded_at"
