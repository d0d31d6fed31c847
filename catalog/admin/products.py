"""Admins of product types and styles, products and their pictures."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.text import capfirst

from ..ingest.resources import (
    ProductResource,
)
from ..models import (
    Offer,
    Product,
    ProductImage,
    ProductSearchTerm,
    ProductStyle,
    ProductType,
    Video,
)
from ..services import set_video_status
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


class ProductActionForm(ActionForm):
    """The action bar's extra choices: the type or style the "Set …" actions give."""

    product_type = forms.ModelChoiceField(
        ProductType.objects.all(), required=False, empty_label="type…", label="Type"
    )
    style = forms.ModelChoiceField(
        ProductStyle.objects.all(), required=False, empty_label="style…", label="Style"
    )


@admin.register(Product)
class ProductAdmin(CatalogImportExportMixin, HistoryAdmin, LargeTableAdmin):
    ordering = ["brand", "name", "id"]
    resource_classes = [ProductResource]
    list_display = [
        "picture",
        "name",
        "brand",
        "upc",
        "product_type",
        "style",
        "is_published",
        "updated_at",
    ]
    list_display_links = ["picture", "name"]
    list_filter = ["is_published", "product_type", "style"]
    search_fields = ["upc", "name", "brand", "slug"]
    prepopulated_fields = {"slug": ["brand", "name"]}
    autocomplete_fields = ["product_type", "style"]
    readonly_fields = ["clicks_last_30_days", *TIMESTAMPS]
    inlines = [ProductImageInline, OfferInline]
    clicks_last_30_days = recent_clicks_display("product")
    action_form = ProductActionForm
    actions = ["set_type", "set_style", "publish_videos", "unpublish_videos"]
    fieldsets = [
        (None, {"fields": ["upc", "brand", "name", "slug", "product_type", "style"]}),
        ("Description", {"fields": ["description"]}),
        ("Shoppers", {"fields": ["clicks_last_30_days"]}),
        TIMESTAMPS_FIELDSET,
    ]

    def get_queryset(self, request):
        # The change list prefetches the type and style (see PrefetchingChangeList).
        return super().get_queryset(request).prefetch_related("images")

    def get_deleted_objects(self, objs, request):
        """List what curators made, not the search terms the catalog derives from it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        derived = ProductSearchTerm._meta
        counts.pop(derived.verbose_name_plural, None)
        prefix = f"{capfirst(derived.verbose_name)}: "

        def kept(items):
            return [
                kept(item) if isinstance(item, list) else item
                for item in items
                if isinstance(item, list) or not str(item).startswith(prefix)
            ]

        return kept(deleted), counts, perms_needed, protected

    def _chosen(self, request, field, noun):
        try:
            value = self.action_form.base_fields[field].clean(request.POST.get(field))
        except ValidationError:
            value = None
        if value is None:
            self.message_user(
                request, f"Choose a {noun} next to the action first.", messages.WARNING
            )
        return value

    @admin.action(description="Set the type chosen next to the action", permissions=["change"])
    def set_type(self, request, queryset):
        if product_type := self._chosen(request, "product_type", "type"):
            count = queryset.update(product_type=product_type)
            self.message_user(request, f"{count} products are now of type {product_type}.")

    @admin.action(description="Set the style chosen next to the action", permissions=["change"])
    def set_style(self, request, queryset):
        if style := self._chosen(request, "style", "style"):
            count = queryset.update(style=style)
            self.message_user(request, f"{count} products are now in the style {style}.")

    @admin.action(
        description="Publish the draft videos the selected products are in",
        permissions=["change"],
    )
    def publish_videos(self, request, queryset):
        videos = Video.objects.showing_any(queryset).filter(status=Video.Status.DRAFT)
        count = set_video_status(videos=videos, status=Video.Status.PUBLISHED)
        self.message_user(request, f"{count} videos published; their products are public.")

    @admin.action(
        description="Unpublish the videos the selected products are in",
        permissions=["change"],
    )
    def unpublish_videos(self, request, queryset):
        videos = Video.objects.showing_any(queryset).filter(status=Video.Status.PUBLISHED)
        count = set_video_status(videos=videos, status=Video.Status.DRAFT)
        self.message_user(request, f"{count} videos unpublished.")

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
