"""Admins of retailers and their offers."""

from django.contrib import admin

from ..ingest.resources import (
    OfferResource,
    RetailerResource,
)
from ..models import (
    Offer,
    Retailer,
)
from .base import (
    TIMESTAMPS,
    CatalogImportExportMixin,
    CurrencyInUseFilter,
    HistoryAdmin,
    ProductSearchAdmin,
    thumbnail,
)
from .linkhealth import NeedsAttentionFilter, last_check_display, price_history_display


@admin.register(Retailer)
class RetailerAdmin(CatalogImportExportMixin, admin.ModelAdmin):
    resource_classes = [RetailerResource]
    list_display = ["picture", "name", "homepage_url", "link_template", "updated_at"]
    list_display_links = ["picture", "name"]
    search_fields = ["name", "slug", "homepage_url"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = TIMESTAMPS

    @admin.display(description="")
    def picture(self, obj):
        return thumbnail(obj.logo, obj.name)


@admin.register(Offer)
class OfferAdmin(CatalogImportExportMixin, HistoryAdmin, ProductSearchAdmin):
    ordering = ["product_id", "retailer_id"]
    resource_classes = [OfferResource]
    list_display = [
        "product",
        "retailer",
        "price",
        "currency",
        "availability",
        "link_status",
        "last_checked_at",
    ]
    list_filter = [
        NeedsAttentionFilter,
        "availability",
        "link_status",
        CurrencyInUseFilter,
        "retailer",
    ]
    list_select_related = ["product", "retailer"]
    search_help_text = f"{ProductSearchAdmin.search_help_text} Or an offer's whole URL."
    autocomplete_fields = ["product", "retailer"]
    readonly_fields = [
        "link_status",
        "failed_checks",
        "last_check",
        "price_history_table",
        *TIMESTAMPS,
    ]
    last_check = last_check_display
    price_history_table = price_history_display

    def get_search_results(self, request, queryset, search_term):
        if search_term.strip().startswith(("http://", "https://")):
            return queryset.filter(url=search_term.strip()), False
        return super().get_search_results(request, queryset, search_term)
