"""Artists, their videos and where to play them, time-coded scenes, their cast, and the
looks: products shown with a video or seen in one of its scenes."""

from datetime import timedelta
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils.dateparse import parse_duration

from simple_history.models import HistoricalRecords

from ..search import SearchableQuerySet, search_text_field
from ..validators import validate_http_url
from .base import (
    URL_MAX_LENGTH,
    LinkField,
    SlugKeyedQuerySet,
    TimeStampedModel,
    TimeStampedQuerySet,
)


class ArtistQuerySet(SearchableQuerySet, SlugKeyedQuerySet):
    pass


class Artist(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    first_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    bio = models.TextField(blank=True)
    image = models.ImageField(upload_to="artists/", blank=True)
    search_text = search_text_field()

    objects = ArtistQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:artist-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class VideoQuerySet(SearchableQuerySet, SlugKeyedQuerySet):
    def published(self):
        """Return the videos shoppers may see."""
        return self.filter(status=Video.Status.PUBLISHED)

    def in_review(self):
        """Return the videos waiting for a reviewer."""
        return self.filter(status=Video.Status.IN_REVIEW)

    def showing_any(self, products):
        """Return the videos that show any of `products` (a queryset), with the video or in a
        scene: for the back-office's bulk actions; shoppers' pages use showing()."""
        shown = VideoProduct.objects.filter(video=OuterRef("pk"), product__in=products)
        seen = Appearance.objects.filter(scene__video=OuterRef("pk"), product__in=products)
        return self.filter(Q(Exists(shown)) | Q(Exists(seen)))

    def featured(self):
        return self.filter(is_featured=True)

    def visible_to(self, user):
        """Return every video for staff, the published ones for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.published()

    def showing(self, product):
        """Return the videos a product is shown with or seen in, from the product's own rows.

        One query for the ids (both tables are indexed by product), then a primary-key
        lookup: an EXISTS per video would read every video of the catalog.
        """
        shown = VideoProduct.objects.filter(product=product).values_list("video_id")
        seen = Appearance.objects.filter(product=product).values_list("scene__video_id")
        video_ids = {video_id for (video_id,) in shown.order_by().union(seen.order_by())}
        return self.filter(pk__in=sorted(video_ids))

    def for_listing(self):
        """Load what a video card shows: its artists."""
        return self.prefetch_related(Prefetch("artists", queryset=Artist.objects.order_by("name")))

    def for_detail(self):
        """Load a video page: artists, sources, scenes with their cast and appearances."""
        return self.prefetch_related(
            Prefetch("artists", queryset=Artist.objects.order_by("name")),
            Prefetch("sources", queryset=VideoSource.objects.order_by("-is_primary", "id")),
            Prefetch("scenes", queryset=Scene.objects.for_timeline()),
        )


class Video(TimeStampedModel):
    class Status(models.TextChoices):
        """draft → in review → published; published → unpublished → in review or draft.

        Only "published" is public. The transitions and who may make them are in
        catalog/review.py.
        """

        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    artists = models.ManyToManyField(Artist, related_name="videos", blank=True)
    description = models.TextField(blank=True)
    thumbnail = models.ImageField(upload_to="videos/", blank=True)
    duration = models.DurationField(null=True, blank=True, help_text="HH:MM:SS.mmm")
    release_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    # db_default too, for the raw SQL writers (generate_catalog) that leave the column out.
    version = models.PositiveIntegerField(
        default=1,
        db_default=1,
        editable=False,
        help_text="Raised by every studio edit, so that two curators cannot overwrite each other.",
    )
    is_featured = models.BooleanField("featured", default=False)
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the video was last published."
    )
    products = models.ManyToManyField(
        "Product",
        through="VideoProduct",
        related_name="videos",
        blank=True,
        help_text="Products shown with the video as a whole, outside any one scene.",
    )
    search_text = search_text_field()

    objects = VideoQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version", "search_text"])

    class Meta:
        ordering = ["-release_date", "title"]
        permissions = [("publish_video", "Can publish videos (reviewers)")]
        indexes = [
            # The newest published videos (home, the video list) in index order, no sort.
            models.Index(
                fields=["status", "-release_date", "title"], name="catalog_video_status_newest"
            ),
            models.Index(fields=["status", "is_featured"], name="catalog_video_status_featured"),
            models.Index(fields=["title"], name="catalog_video_title"),
            # Staff lists skip the status filter, so they need release date on its own.
            models.Index(fields=["-release_date"], name="catalog_video_release"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.duration is None or self.pk is None:
            return
        past_the_end = self.scenes.filter(end__gt=self.duration).order_by("start").first()
        if past_the_end is not None:
            raise ValidationError(
                {
                    "duration": (
                        f"The scene “{past_the_end}” ends after {format_timecode(self.duration)}: "
                        "shorten or delete it first."
                    )
                },
                code="scene_past_the_end",
            )

    def get_absolute_url(self):
        return reverse("storefront:video-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED


class VideoSourceQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, video_slug, provider, external_id, url):
        return self.get(
            video__slug=video_slug, provider=provider, external_id=external_id, url=url
        )


class VideoSource(TimeStampedModel):
    class Provider(models.TextChoices):
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"
        MP4 = "mp4", "Self-hosted MP4"
        HLS = "hls", "HLS stream"

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="sources")
    provider = models.CharField(max_length=10, choices=Provider)
    external_id = models.CharField(
        "provider's video id",
        max_length=100,
        blank=True,
        help_text="The YouTube or Vimeo id, e.g. dQw4w9WgXcQ.",
    )
    url = LinkField(
        "URL",
        max_length=URL_MAX_LENGTH,
        blank=True,
        validators=[validate_http_url],
        help_text="The watch page, or the file or stream for MP4 and HLS.",
    )
    file = models.FileField(
        upload_to="videos/sources/", blank=True, help_text="A self-hosted MP4 file."
    )
    offset = models.DurationField(
        default=timedelta(0),
        help_text=(
            "Added to the scene timeline to match this copy: +00:00:02 when this copy "
            "starts two seconds later than the timeline."
        ),
    )
    is_primary = models.BooleanField("primary", default=False)

    objects = VideoSourceQuerySet.as_manager()

    class Meta:
        ordering = ["video", "-is_primary", "id"]
        constraints = [
            # Not enforced by MySQL/MariaDB (no partial indexes); full_clean() checks it
            # there, and SQLite and PostgreSQL enforce it in the database.
            models.UniqueConstraint(
                fields=["video"],
                condition=Q(is_primary=True),
                name="catalog_videosource_one_primary_per_video",
                violation_error_message="A video has one primary source; unmark the other first.",
            ),
        ]

    def __str__(self):
        return f"{self.get_provider_display()} copy of {self.video}"

    def clean(self):
        if self.provider in {self.Provider.YOUTUBE, self.Provider.VIMEO} and not self.external_id:
            raise ValidationError(
                {"external_id": "YouTube and Vimeo sources need the provider's video id."},
                code="source_id_required",
            )
        if self.provider == self.Provider.HLS and not self.url:
            raise ValidationError(
                {"url": "An HLS source needs the stream's URL."}, code="source_url_required"
            )
        if self.provider == self.Provider.MP4 and not (self.url or self.file):
            raise ValidationError(
                {"file": "An MP4 source needs a file or a URL."}, code="source_file_required"
            )

    def natural_key(self):
        return (self.video.slug, self.provider, self.external_id, self.url)

    natural_key.dependencies = ["catalog.video"]

    @property
    def playback_url(self):
        """Return the URL the browser's player loads, for self-hosted sources."""
        if self.file:
            return self.file.url
        return self.url

    @property
    def watch_url(self):
        """Return where a shopper can watch this copy when the embedded player fails."""
        if self.provider == self.Provider.YOUTUBE and self.external_id:
            return f"https://www.youtube.com/watch?v={quote(self.external_id, safe='')}"
        if self.provider == self.Provider.VIMEO and self.external_id:
            return f"https://vimeo.com/{quote(self.external_id, safe='')}"
        return self.url or self.playback_url


class SceneQuerySet(TimeStampedQuerySet):
    def for_timeline(self):
        """Load scenes in time order with who appears and what is worn in each."""
        return self.order_by("start", "end").prefetch_related(
            "cast_members",
            Prefetch(
                "appearances",
                queryset=Appearance.objects.select_related(
                    "cast_member", "product__product_type", "product__style"
                ).order_by("position", "product__style__position", "id"),
            ),
        )

    def overlapping(self, start, end):
        """Return the scenes that share some time with [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def get_by_natural_key(self, video_slug, start):
        return self.get(video__slug=video_slug, start=parse_duration(start))


SCENE_PAST_END = (
    "A scene cannot end after the video does: the video is {duration} long and this scene "
    "ends at {end}."
)
SCENE_OVERLAP = (
    "This scene ({start}–{end}) would overlap “{other}”: a scene must end before the next "
    "one starts."
)


class Scene(TimeStampedModel):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="scenes")
    title = models.CharField(max_length=120, blank=True)
    start = models.DurationField(help_text="HH:MM:SS.mmm from the start of the video.")
    end = models.DurationField(help_text="HH:MM:SS.mmm; after the start.")
    cast_members = models.ManyToManyField("CastMember", related_name="scenes", blank=True)

    objects = SceneQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[cast_members])

    class Meta:
        ordering = ["video", "start", "end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="catalog_scene_end_after_start",
                violation_error_message="A scene must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(start__gte=timedelta(0)),
                name="catalog_scene_start_gte_0",
                violation_error_message="A scene cannot start before the video does.",
            ),
            models.UniqueConstraint(
                fields=["video", "start"],
                name="catalog_scene_unique_start_per_video",
                violation_error_message="This video already has a scene starting then.",
            ),
        ]

    def __str__(self):
        label = self.title or "Scene"
        return f"{label} ({format_timecode(self.start)}–{format_timecode(self.end)})"

    def clean(self):
        """Refuse a scene past the video's end or overlapping another scene of the video.

        The storefront shows one scene's products at a time, so scenes must not overlap
        (they may touch: one ends when the next starts). The admin, the API, the imports and
        the studio all validate through here, so they refuse the same scenes in the same words.
        """
        super().clean()
        try:
            video = self.video  # unsaved when the scene is added with a new video
        except Video.DoesNotExist:
            return
        if self.start is None or self.end is None:
            return
        duration = video.duration
        if duration is not None and self.end > duration:
            raise ValidationError(
                {
                    "end": SCENE_PAST_END.format(
                        duration=format_timecode(duration), end=format_timecode(self.end)
                    )
                },
                code="scene_past_end",
            )
        if video.pk is None:
            return
        other = (
            Scene.objects.filter(video_id=video.pk)
            .exclude(pk=self.pk)
            .overlapping(self.start, self.end)
            .order_by("start")
            .first()
        )
        if other is not None:
            raise ValidationError({"start": self.overlap_message(other)}, code="scene_overlap")

    def overlaps(self, other) -> bool:
        return self.start < other.end and other.start < self.end

    def overlap_message(self, other) -> str:
        return SCENE_OVERLAP.format(
            start=format_timecode(self.start), end=format_timecode(self.end), other=other
        )

    def get_absolute_url(self):
        return self.video.get_absolute_url() + f"?t={int(self.start.total_seconds())}"

    def natural_key(self):
        return (self.video.slug, str(self.start))

    natural_key.dependencies = ["catalog.video"]

    @property
    def start_seconds(self):
        return self.start.total_seconds()

    @property
    def end_seconds(self):
        return self.end.total_seconds()


class CastMemberQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, video_slug, name):
        return self.get(video__slug=video_slug, name=name)


class CastMember(TimeStampedModel):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="cast_members")
    name = models.CharField("character or role", max_length=120)
    performer_name = models.CharField(max_length=120, blank=True)
    artist = models.ForeignKey(
        Artist,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roles",
        help_text="Set when the performer is one of the catalog's artists.",
    )

    objects = CastMemberQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["video", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "name"], name="catalog_castmember_unique_name_per_video"
            ),
        ]

    def __str__(self):
        if self.performer_name:
            return f"{self.name} ({self.performer_name})"
        return self.name

    def natural_key(self):
        return (self.video.slug, self.name)

    natural_key.dependencies = ["catalog.video"]


# Looks: products shown with a video or seen in one of its scenes


class VideoProductQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, video_slug, upc):
        return self.get(video__slug=video_slug, product__upc=upc)


class VideoProduct(TimeStampedModel):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="video_products")
    product = models.ForeignKey("Product", on_delete=models.CASCADE, related_name="video_products")

    objects = VideoProductQuerySet.as_manager()

    class Meta:
        verbose_name = "product shown with the video"
        verbose_name_plural = "products shown with the video"
        constraints = [
            models.UniqueConstraint(
                fields=["video", "product"], name="catalog_videoproduct_unique_pair"
            ),
        ]

    def __str__(self):
        return f"{self.product} in {self.video}"

    def natural_key(self):
        return (self.video.slug, self.product.upc)

    natural_key.dependencies = ["catalog.video", "catalog.product"]


class AppearanceQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, video_slug, start, upc):
        return self.get(
            scene__video__slug=video_slug, scene__start=parse_duration(start), product__upc=upc
        )


class Appearance(TimeStampedModel):
    """A product seen in a scene, optionally worn by one of the cast."""

    class Match(models.TextChoices):
        EXACT = "exact", "Exact item"
        SIMILAR = "similar", "Similar"
        ALTERNATIVE = "alternative", "Alternative"

    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="appearances")
    product = models.ForeignKey("Product", on_delete=models.CASCADE, related_name="appearances")
    cast_member = models.ForeignKey(
        CastMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appearances",
        verbose_name="worn by",
    )
    match = models.CharField(max_length=12, choices=Match, default=Match.EXACT)
    position = models.PositiveSmallIntegerField(
        default=0,
        db_default=0,
        help_text="Looks of a scene are listed by position, then by style.",
    )

    objects = AppearanceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["scene", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scene", "product"],
                name="catalog_appearance_unique_scene_product",
                violation_error_message="This product is already listed in this scene.",
            ),
        ]

    def __str__(self):
        return f"{self.product} in {self.scene}"

    def clean(self):
        if (
            self.cast_member_id
            and self.scene_id
            and self.cast_member.video_id != self.scene.video_id
        ):
            raise ValidationError(
                {"cast_member": "This cast member belongs to another video."},
                code="cast_member_other_video",
            )

    def natural_key(self):
        return (self.scene.video.slug, str(self.scene.start), self.product.upc)

    natural_key.dependencies = ["catalog.scene", "catalog.product"]


def format_timecode(value: timedelta) -> str:
    """Return M:SS or H:MM:SS, with milliseconds when there are any."""
    total_ms = round(value.total_seconds() * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    text = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{text}.{ms:03d}" if ms else text
