"""Admins of artists, videos and their sources, scenes, cast and looks."""

import itertools

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from .. import review
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
from ..services import set_video_featured, set_video_status
from ..studio.views import can_use_studio, studio_urls
from .base import (
    TIMESTAMPS,
    TIMESTAMPS_FIELDSET,
    CatalogImportExportMixin,
    HistoryAdmin,
    LargeTableAdmin,
    ProductSearchAdmin,
    recent_clicks_display,
    thumbnail,
)


class ArtistVideosFilter(admin.SimpleListFilter):
    title = "videos"
    parameter_name = "videos"

    def lookups(self, request, model_admin):
        return [
            ("published", "With a published video"),
            ("draft_only", "With drafts only"),
            ("none", "Without videos"),
        ]

    def queryset(self, request, queryset):
        published = Video.objects.published().filter(artists=OuterRef("pk"))
        any_video = Video.objects.filter(artists=OuterRef("pk"))
        if self.value() == "published":
            return queryset.filter(Exists(published))
        if self.value() == "draft_only":
            return queryset.filter(Exists(any_video)).exclude(Exists(published))
        if self.value() == "none":
            return queryset.exclude(Exists(any_video))
        return queryset


@admin.register(Artist)
class ArtistAdmin(CatalogImportExportMixin, admin.ModelAdmin):
    resource_classes = [ArtistResource]
    list_display = ["picture", "name", "first_name", "last_name", "updated_at"]
    list_filter = [ArtistVideosFilter, "updated_at"]
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


# The query flag of a scene opened from its video's page.
FROM_VIDEO = "from_video"


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
    fields = ["start", "end", "title", "looks"]
    readonly_fields = ["looks"]
    ordering = ["start"]

    @admin.display(description="cast and looks")
    def looks(self, obj):
        if obj is None or obj.pk is None:
            return "Save first"
        # Saving the scene there comes back to this video (SceneAdmin._back_to_video).
        url = reverse("admin:catalog_scene_change", args=[obj.pk]) + f"?{FROM_VIDEO}=1"
        return format_html('<a href="{}">Edit cast and looks</a>', url)


class CastMemberInline(admin.TabularInline):
    model = CastMember
    extra = 0
    fields = ["name", "performer_name", "artist"]
    autocomplete_fields = ["artist"]


class VideoProductInline(admin.TabularInline):
    model = VideoProduct
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Video)
class VideoAdmin(CatalogImportExportMixin, HistoryAdmin, LargeTableAdmin):
    resource_classes = [VideoResource]
    change_form_template = "admin/catalog/video/change_form.html"
    list_display = [
        "picture",
        "title",
        "artist_names",
        "studio_link",
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
    readonly_fields = ["clicks_last_30_days", "scene_list", *TIMESTAMPS]
    date_hierarchy = "release_date"
    clicks_last_30_days = recent_clicks_display("video")
    inlines = [VideoSourceInline, CastMemberInline, SceneInline, VideoProductInline]
    actions = ["submit_for_review", "publish", "unpublish", "feature", "unfeature"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "artists", "status", "is_featured"]}),
        ("Details", {"fields": ["description", "thumbnail", "duration", "release_date"]}),
        ("Shoppers", {"fields": ["clicks_last_30_days"]}),
        ("Scenes", {"fields": ["scene_list"]}),
        TIMESTAMPS_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).for_listing()

    def get_urls(self):
        return studio_urls(self) + super().get_urls()

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            obj = getattr(request, "_video_being_changed", None)
            allowed = review.allowed_statuses(obj.status if obj else None, request.user)
            kwargs["choices"] = [c for c in db_field.choices if c[0] in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        request._video_being_changed = obj
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        before = form.initial.get("status") if change else None
        try:
            review.check_transition(before, obj.status, request.user)
        except (PermissionDenied, ValidationError) as exc:
            # The form offers only the allowed statuses; a forged POST lands here.
            raise PermissionDenied(str(exc)) from exc
        super().save_model(request, obj, form, change)

    @admin.display(description="scene list")
    def scene_list(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:catalog_scene_changelist") + f"?video={obj.pk}"
        return format_html('<a href="{}">This video\'s scenes, with their looks</a>', url)

    @admin.display(description="")
    def picture(self, obj):
        return thumbnail(obj.thumbnail, obj.title)

    @admin.display(description="studio")
    def studio_link(self, obj):
        return format_html(
            '<a href="{}">Open in studio</a>', reverse("admin:catalog_video_studio", args=[obj.pk])
        )

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if not can_use_studio(request.user):
            shown = [name for name in shown if name != "studio_link"]
        return shown

    def has_publish_permission(self, request):
        return review.can_publish(request.user)

    @admin.display(description="artists")
    def artist_names(self, obj):
        return ", ".join(artist.name for artist in obj.artists.all())

    def _report(self, request, count, verb):
        noun = "video" if count == 1 else "videos"
        self.message_user(request, f"{count} {noun} {verb}.")

    def _move(self, request, queryset, status, verb):
        """Give the selected videos `status`, skipping (and naming) those it cannot reach."""
        movable, refused = [], []
        for video in queryset.only("pk", "title", "status"):
            try:
                review.check_transition(video.status, status, request.user)
                movable.append(video.pk)
            except (PermissionDenied, ValidationError):
                refused.append(video.title)
        count = set_video_status(
            videos=Video.objects.filter(pk__in=movable), status=status, user=request.user
        )
        self._report(request, count, verb)
        if refused:
            self.message_user(
                request,
                f"Not {verb} (their status does not allow it): {', '.join(refused)}.",
                messages.WARNING,
            )

    @admin.action(description="Submit selected videos for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._move(request, queryset, Video.Status.IN_REVIEW, "submitted for review")

    @admin.action(description="Publish selected videos", permissions=["publish"])
    def publish(self, request, queryset):
        self._move(request, queryset, Video.Status.PUBLISHED, "published")

    @admin.action(description="Unpublish selected videos", permissions=["change"])
    def unpublish(self, request, queryset):
        self._move(request, queryset, Video.Status.UNPUBLISHED, "unpublished")

    @admin.action(description="Feature selected videos", permissions=["change"])
    def feature(self, request, queryset):
        self._report(request, set_video_featured(videos=queryset, featured=True), "featured")

    @admin.action(description="Stop featuring selected videos", permissions=["change"])
    def unfeature(self, request, queryset):
        count = set_video_featured(videos=queryset, featured=False)
        self._report(request, count, "no longer featured")


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


class SceneVideoFilter(admin.SimpleListFilter):
    """Scenes of one video: the video being looked at and the recently edited ones.

    Every video would be thousands of links; the video page's "Scenes" link and the
    search box reach the others.
    """

    title = "video"
    parameter_name = "video"
    shown = 15

    def lookups(self, request, model_admin):
        recent = list(Video.objects.order_by("-updated_at", "-id")[: self.shown])
        if self.value() and self.value().isdigit():
            chosen = Video.objects.filter(pk=self.value()).first()
            if chosen is not None and chosen not in recent:
                recent.insert(0, chosen)
        return [(str(video.pk), str(video)) for video in recent]

    def queryset(self, request, queryset):
        if self.value():
            if not self.value().isdigit():
                return queryset.none()
            return queryset.filter(video_id=self.value())
        return queryset


@admin.register(Scene)
class SceneAdmin(CatalogImportExportMixin, HistoryAdmin, LargeTableAdmin):
    ordering = ["video_id", "start"]
    resource_classes = [SceneResource]
    list_display = ["__str__", "video", "timecode"]
    list_filter = [SceneVideoFilter]
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

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_video(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._back_to_video(request, obj) or super().response_change(request, obj)

    def _back_to_video(self, request, obj):
        """After a plain Save of a scene opened from its video, return to the video."""
        if not request.GET.get(FROM_VIDEO):
            return None
        if any(key in request.POST for key in ("_continue", "_addanother", "_saveasnew")):
            return None
        self.message_user(request, f"The scene “{obj}” was saved.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:catalog_video_change", args=[obj.video_id]))


@admin.register(CastMember)
class CastMemberAdmin(HistoryAdmin, LargeTableAdmin):
    ordering = ["video_id", "name"]
    list_display = ["name", "performer_name", "artist", "video"]
    list_select_related = ["artist", "video"]
    search_fields = ["name", "performer_name", "video__title", "artist__name"]
    autocomplete_fields = ["video", "artist"]
    readonly_fields = TIMESTAMPS


@admin.register(Appearance)
class AppearanceAdmin(HistoryAdmin, ProductSearchAdmin):
    ordering = ["scene_id", "product_id"]
    list_display = ["product", "scene", "video", "cast_member", "match"]
    list_filter = ["match"]
    list_select_related = ["product", "scene__video", "cast_member"]
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
