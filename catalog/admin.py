from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX

from .admin_paginator import EstimatedCountPaginator
from .dashboard import click_dashboard
from .forms import CappedImportForm
from .models import (
    Appearance,
    Artist,
    CastMember,
    Click,
    Offer,
    OfferCheck,
    PriceHistory,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
    format_timecode,
)
from .resources import (
    ArtistResource,
    OfferResource,
    ProductResource,
    RetailerResource,
    SceneResource,
    VideoResource,
)
from .services import set_video_status

TIMESTAMPS = ["created_at", "updated_at"]
TIMESTAMPS_FIELDSET = ("Record", {"classes": ["collapse"], "fields": TIMESTAMPS})


# Link health and click analytics: pieces shared by the admins below.


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "needs_attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention"), ("no", "Healthy")]

    def queryset(self, request, queryset):
        # The rule lives on the QuerySet, which the storefront's hiding uses as well.
        attention = Offer.objects.needs_attention()
        if self.value() == "yes":
            return queryset & attention
        if self.value() == "no":
            return queryset.exclude(pk__in=attention.values("pk"))
        return queryset


def recent_clicks_display(relation):
    """Return a read-only admin field counting the object's clicks of the last 30 days."""

    @admin.display(description="clicks in the last 30 days")
    def clicks_last_30_days(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        since = timezone.now() - timedelta(days=30)
        return Click.objects.filter(**{relation: obj}, created_at__gte=since).count()

    return clicks_last_30_days


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


def thumbnail(image_field, alt, size=48):
    if not image_field:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" class="inspired-thumb">',
        image_field.url,
        alt,
        size,
        size,
    )


class CatalogImportExportMixin(ImportExportMixin):
    """Import with a preview and one transaction; export what the change list shows.

    The confirm step re-reads the stored upload. A file whose preview had invalid rows is
    never offered for confirmation, but a crafted POST or a row that turned invalid since
    the preview must still write nothing, so the confirmed import rolls back on any
    invalid row and shows the rows again instead of claiming success.
    """

    formats = [CSV, XLSX, JSON]
    import_form_class = CappedImportForm

    def has_import_permission(self, request):
        # Importing both creates and changes rows.
        return super().has_import_permission(request) and self.has_add_permission(request)

    def process_dataset(self, dataset, form, request, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # The confirmation names the upload stored by the preview, which is removed
            # once imported: a second confirmation or a made-up name finds nothing.
            return self.import_failed(request, "The uploaded file is gone; upload it again.")

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            return self.import_failed(
                request, "Nothing was imported: the file has rows with errors.", result
            )
        return super().process_result(result, request)

    def import_failed(self, request, message, result=None):
        """Show the import form again, with the rows that failed, as a 400."""
        context = self.admin_site.each_context(request)
        context.update(
            title="Import",
            opts=self.model._meta,
            form=self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            ),
            result=result,
            import_error_display=self.import_error_display,
        )
        messages.error(request, message)
        return TemplateResponse(request, [self.import_template_name], context, status=400)


class PrefetchingChangeList(ChangeList):
    """Load `list_select_related` with prefetches instead of joins.

    With the joins, MariaDB starts from the joined table and sorts every row before the
    LIMIT: 26 s for the appearances and over a minute for the offers on the scale catalog
    (docs/benchmarks.md). Without them the page is one read of an index plus one small
    query per relation.
    """

    def apply_select_related(self, qs):
        related = self.list_select_related
        if not isinstance(related, list | tuple):
            # True or False: the admin would join the relations shown in list_display.
            related = [
                field.name
                for field in self.lookup_opts.fields
                if field.many_to_one and field.name in self.list_display
            ]
        return qs.prefetch_related(*related)


class LargeTableAdmin(admin.ModelAdmin):
    """Change lists that stay fast on tables of millions of rows.

    Their `ordering` names columns (`video_id`, not `video`) in the order of a unique
    index: ordering by a relation would sort by the related model's ordering, a join and a
    sort of the whole table for every page.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return PrefetchingChangeList


# Reference data


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


# People and videos


@admin.register(Artist)
class ArtistAdmin(CatalogImportExportMixin, admin.ModelAdmin):
    resource_classes = [ArtistResource]
    list_display = ["picture", "name", "first_name", "last_name", "updated_at"]
    list_display_links = ["picture", "name"]
    search_fields = ["name", "first_name", "last_name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = TIMESTAMPS
    fieldsets = [
        (None, {"fields": ["name", "slug", "first_name", "last_name", "image", "bio"]}),
        TIMESTAMPS_FIELDSET,
    ]

    @admin.display(description="")
    def picture(self, obj):
        return thumbnail(obj.image, obj.name)


class VideoSourceInline(admin.TabularInline):
    model = VideoSource
    extra = 0
    fields = ["provider", "external_id", "url", "file", "offset", "is_primary"]


class SceneInline(admin.TabularInline):
    model = Scene
    extra = 0
    fields = ["start", "end", "title"]
    show_change_link = True
    ordering = ["start"]


class VideoProductInline(admin.TabularInline):
    model = VideoProduct
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Video)
class VideoAdmin(CatalogImportExportMixin, LargeTableAdmin):
    resource_classes = [VideoResource]
    list_display = [
        "picture",
        "title",
        "artist_names",
        "status",
        "is_featured",
        "release_date",
        "updated_at",
    ]
    list_display_links = ["picture", "title"]
    list_filter = ["status", "is_featured", "release_date"]
    search_fields = ["title", "slug", "artists__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["artists"]
    readonly_fields = ["clicks_last_30_days", *TIMESTAMPS]
    date_hierarchy = "release_date"
    clicks_last_30_days = recent_clicks_display("video")
    inlines = [VideoSourceInline, SceneInline, VideoProductInline]
    actions = ["publish", "unpublish", "feature", "unfeature"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "artists", "status", "is_featured"]}),
        ("Details", {"fields": ["description", "thumbnail", "duration", "release_date"]}),
        ("Shoppers", {"fields": ["clicks_last_30_days"]}),
        TIMESTAMPS_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).for_listing()

    @admin.display(description="")
    def picture(self, obj):
        return thumbnail(obj.thumbnail, obj.title)

    @admin.display(description="artists")
    def artist_names(self, obj):
        return ", ".join(artist.name for artist in obj.artists.all())

    def _report(self, request, count, verb):
        noun = "video" if count == 1 else "videos"
        self.message_user(request, f"{count} {noun} {verb}.")

    @admin.action(description="Publish selected videos", permissions=["change"])
    def publish(self, request, queryset):
        count = set_video_status(videos=queryset, status=Video.Status.PUBLISHED)
        self._report(request, count, "published")

    @admin.action(description="Unpublish selected videos", permissions=["change"])
    def unpublish(self, request, queryset):
        count = set_video_status(videos=queryset, status=Video.Status.DRAFT)
        self._report(request, count, "unpublished")

    @admin.action(description="Feature selected videos", permissions=["change"])
    def feature(self, request, queryset):
        self._report(request, queryset.update(is_featured=True), "featured")

    @admin.action(description="Stop featuring selected videos", permissions=["change"])
    def unfeature(self, request, queryset):
        self._report(request, queryset.update(is_featured=False), "no longer featured")


@admin.register(VideoSource)
class VideoSourceAdmin(LargeTableAdmin):
    ordering = ["video_id", "-is_primary", "id"]
    list_display = ["video", "provider", "external_id", "url", "offset", "is_primary"]
    list_filter = ["provider", "is_primary"]
    list_select_related = ["video"]
    search_fields = ["video__title", "external_id", "url"]
    autocomplete_fields = ["video"]
    readonly_fields = TIMESTAMPS


class AppearanceInline(admin.TabularInline):
    model = Appearance
    extra = 0
    fields = ["product", "cast_member", "match"]
    autocomplete_fields = ["product", "cast_member"]


@admin.register(Scene)
class SceneAdmin(CatalogImportExportMixin, LargeTableAdmin):
    ordering = ["video_id", "start"]
    resource_classes = [SceneResource]
    list_display = ["__str__", "video", "timecode"]
    list_select_related = ["video"]
    search_fields = ["title", "video__title"]
    autocomplete_fields = ["video", "cast_members"]
    readonly_fields = TIMESTAMPS
    inlines = [AppearanceInline]
    fieldsets = [
        (None, {"fields": ["video", "title", "start", "end", "cast_members"]}),
        TIMESTAMPS_FIELDSET,
    ]

    @admin.display(description="time", ordering="start")
    def timecode(self, obj):
        return f"{format_timecode(obj.start)}–{format_timecode(obj.end)}"


@admin.register(CastMember)
class CastMemberAdmin(LargeTableAdmin):
    ordering = ["video_id", "name"]
    list_display = ["name", "performer_name", "artist", "video"]
    list_select_related = ["artist", "video"]
    search_fields = ["name", "performer_name", "video__title", "artist__name"]
    autocomplete_fields = ["video", "artist"]
    readonly_fields = TIMESTAMPS


@admin.register(Appearance)
class AppearanceAdmin(LargeTableAdmin):
    ordering = ["scene_id", "product_id"]
    list_display = ["product", "scene", "video", "cast_member", "match"]
    list_filter = ["match"]
    list_select_related = ["product", "scene__video", "cast_member"]
    search_fields = ["product__name", "product__brand", "product__upc", "scene__video__title"]
    autocomplete_fields = ["scene", "product", "cast_member"]
    readonly_fields = TIMESTAMPS

    @admin.display(description="video", ordering="scene__video__title")
    def video(self, obj):
        return obj.scene.video


# Products and where to buy them


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
class ProductAdmin(CatalogImportExportMixin, LargeTableAdmin):
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
class OfferAdmin(CatalogImportExportMixin, LargeTableAdmin):
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
    list_filter = [NeedsAttentionFilter, "availability", "link_status", "currency", "retailer"]
    list_select_related = ["product", "retailer"]
    search_fields = ["product__name", "product__brand", "product__upc", "url"]
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


@admin.register(VideoProduct)
class VideoProductAdmin(LargeTableAdmin):
    list_display = ["product", "video"]
    list_select_related = ["product", "video"]
    search_fields = ["product__name", "product__upc", "video__title"]
    autocomplete_fields = ["video", "product"]
    readonly_fields = TIMESTAMPS


@admin.register(Click)
class ClickAdmin(LargeTableAdmin):
    list_display = ["created_at", "product", "retailer", "video", "scene"]
    list_select_related = ["product", "retailer", "video", "scene"]
    list_filter = ["retailer"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def dashboard(request):
            return click_dashboard(request, self)

        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(dashboard),
                name="catalog_click_dashboard",
            ),
            *super().get_urls(),
        ]


# Link checks and price history: evidence, shown read-only.


class ReadOnlyAdmin(LargeTableAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    list_filter = ["currency", "availability", "offer__retailer"]
    list_select_related = ["offer__product", "offer__retailer", "offer_check"]
    search_fields = ["offer__product__name", "offer__product__upc"]
    date_hierarchy = "recorded_at"


# The index shows how many offers need attention and links to the click dashboard.
admin.site.index_template = "admin/catalog/index.html"
