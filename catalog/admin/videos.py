"""Admins of artists, videos and their sources, scenes, cast and looks."""

import itertools

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from ..ingest.resources import (
    ArtistResource,
    SceneResource,
    VideoResource,
)
from ..models import (
    Appearance,
    Artist,
    CastMember,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
    format_timecode,
)
from ..services import set_video_status
from .base import (
    TIMESTAMPS,
    TIMESTAMPS_FIELDSET,
    CatalogImportExportMixin,
    LargeTableAdmin,
    recent_clicks_display,
    thumbnail,
)


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


class SceneInlineFormSet(BaseInlineFormSet):
    """Refuse scenes of one form that overlap each other, which each scene's own clean()
    cannot see before they are saved."""

    def clean(self):
        super().clean()
        scenes = [
            form.instance
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        scenes = [s for s in scenes if s.start is not None and s.end is not None]
        scenes.sort(key=lambda scene: scene.start)
        for earlier, later in itertools.pairwise(scenes):
            if earlier.overlaps(later):
                raise ValidationError(later.overlap_message(earlier), code="scene_overlap")


class SceneInline(admin.TabularInline):
    model = Scene
    formset = SceneInlineFormSet
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


@admin.register(VideoProduct)
class VideoProductAdmin(LargeTableAdmin):
    list_display = ["product", "video"]
    list_select_related = ["product", "video"]
    search_fields = ["product__name", "product__upc", "video__title"]
    autocomplete_fields = ["video", "product"]
    readonly_fields = TIMESTAMPS
