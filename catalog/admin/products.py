"""Admins of product types and styles, products and their pictures."""

from django.contrib import admin
from django.db.models import Count

from ..ingest.resources import (
    ProductResource,
)
from ..models import (
    Offer,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
)
from .base import (
    TIMESTAMPS,
    TIMESTAMPS_FIELDSET,
    CatalogImportExportMixin,
    HistoryAdmin,
    LargeTableAdmin,
    recent_clicks_display,
    thumbnail,
)


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "product_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(product_count=Count("products"))

    @admin.display(description="products", ordering="product_count")
    def product_count(self, obj):
        return obj.product_count


@admin.register(ProductStyle)
class ProductStyleAdmin(ProductTypeAdmin):
    list_display = ["name", "slug", "position", "product_count"]
    list_editable = ["position"]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]
    ordering = ["position"]

    @admin.display(description="")
    def preview(self, obj):
        return thumbnail(obj.image, obj.alt_text)


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    fields = ["retailer", "url", "price", "currency", "availability", "last_checked_at"]
    autocomplete_fields = ["retailer"]
    ordering = ["price"]


@admin.register(Product)
class ProductAdmin(CatalogImportExportMixin, HistoryAdmin, LargeTableAdmin):
    ordering = ["brand", "name", "id"]
    resource_classes = [ProductResource]
    list_display = ["picture", "name", "brand", "upc", "product_type", "style", "updated_at"]
    list_display_links = ["picture", "name"]
    list_filter = ["product_type", "style"]
    search_fields = ["upc", "name", "brand", "slug"]
    prepopulated_fields = {"slug": ["brand", "name"]}
    autocomplete_fields = ["product_type", "style"]
    readonly_fields = ["clicks_last_30_days", *TIMESTAMPS]
    inlines = [ProductImageInline, OfferInline]
    clicks_last_30_days = recent_clicks_display("product")
    fieldsets = [
        (None, {"fields": ["upc", "brand", "name", "slug", "product_type", "style"]}),
        ("Description", {"fields": ["description"]}),
        ("Shoppers", {"fields": ["clicks_last_30_days"]}),
        TIMESTAMPS_FIELDSET,
    ]

    def get_queryset(self, request):
        # The change list prefetches the type and style (see PrefetchingChangeList).
        return super().get_queryset(request).prefetch_related("images")

    @admin.display(description="")
    def picture(self, obj):
        # Uses the prefetched images: no query per row.
        images = list(obj.images.all())
        return thumbnail(images[0].image, images[0].alt_text) if images else "—"


@admin.register(ProductImage)
class ProductImageAdmin(LargeTableAdmin):
    ordering = ["product_id", "position"]
    list_display = ["preview", "alt_text", "product", "position"]
    list_select_related = ["product"]
    search_fields = ["alt_text", "product__name", "product__upc"]
    autocomplete_fields = ["product"]
    readonly_fields = TIMESTAMPS

    @admin.display(description="")
    def preview(self, obj):
        return thumbnail(obj.image, obj.alt_text)
