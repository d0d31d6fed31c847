from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_duration

from .currencies import CURRENCY_CHOICES
from .validators import validate_gtin, validate_http_url, validate_link_template

URL_MAX_LENGTH = 2048
NEGATIVE_PRICE = "A price cannot be negative."


class TimeStampedQuerySet(models.QuerySet):
    """Keep `updated_at` honest on bulk writes, which skip `auto_now`."""

    def update(self, **kwargs):
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
        fields = list(fields)
        if "updated_at" not in fields:
            fields.append("updated_at")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = TimeStampedQuerySet.as_manager()

    class Meta:
        abstract = True


# Reference data


class SlugKeyedQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class ProductType(TimeStampedModel):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    objects = SlugKeyedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class ProductStyle(TimeStampedModel):
    """A look's tier: the item as seen in the video, an affordable or a premium take."""

    name = models.CharField(max_length=60, unique=True, help_text="Shown to shoppers.")
    slug = models.SlugField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Looks are listed in this order on video pages."
    )

    objects = SlugKeyedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


# People and videos


class Artist(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    first_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    bio = models.TextField(blank=True)
    image = models.ImageField(upload_to="artists/", blank=True)

    objects = SlugKeyedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:artist-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class VideoQuerySet(SlugKeyedQuerySet):
    def published(self):
        """Return the videos shoppers may see."""
        return self.filter(status=Video.Status.PUBLISHED)

    def featured(self):
        return self.filter(is_featured=True)

    def visible_to(self, user):
        """Return every video for staff, the published ones for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.published()

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
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    artists = models.ManyToManyField(Artist, related_name="videos", blank=True)
    description = models.TextField(blank=True)
    thumbnail = models.ImageField(upload_to="videos/", blank=True)
    duration = models.DurationField(null=True, blank=True, help_text="HH:MM:SS.mmm")
    release_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    is_featured = models.BooleanField("featured", default=False)
    products = models.ManyToManyField(
        "Product",
        through="VideoProduct",
        related_name="videos",
        blank=True,
        help_text="Products shown with the video as a whole, outside any one scene.",
    )

    objects = VideoQuerySet.as_manager()

    class Meta:
        ordering = ["-release_date", "title"]
        indexes = [
            models.Index(fields=["status", "-release_date"], name="catalog_video_status_release"),
            models.Index(fields=["status", "is_featured"], name="catalog_video_status_featured"),
            models.Index(fields=["title"], name="catalog_video_title"),
            # Staff lists skip the status filter, so they need release date on its own.
            models.Index(fields=["-release_date"], name="catalog_video_release"),
        ]

    def __str__(self):
        return self.title

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
    url = models.URLField(
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


class SceneQuerySet(TimeStampedQuerySet):
    def for_timeline(self):
        """Load scenes in time order with who appears and what is worn in each."""
        return self.order_by("start", "end").prefetch_related(
            "cast_members",
            Prefetch(
                "appearances",
                queryset=Appearance.objects.select_related(
                    "cast_member", "product__product_type", "product__style"
                ).order_by("product__style__position", "id"),
            ),
        )

    def get_by_natural_key(self, video_slug, start):
        return self.get(video__slug=video_slug, start=parse_duration(start))


class Scene(TimeStampedModel):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="scenes")
    title = models.CharField(max_length=120, blank=True)
    start = models.DurationField(help_text="HH:MM:SS.mmm from the start of the video.")
    end = models.DurationField(help_text="HH:MM:SS.mmm; after the start.")
    cast_members = models.ManyToManyField("CastMember", related_name="scenes", blank=True)

    objects = SceneQuerySet.as_manager()

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


# Products and where to buy them


def product_is_published(product_ref):
    """Return a condition that holds where the product at `product_ref` is in a published video.

    The rule behind `Product.is_published`, which `ProductQuerySet.refresh_published()`
    stores; reads filter on the stored flag. EXISTS rather than a join keeps one row per
    product without DISTINCT.
    """
    shown = VideoProduct.objects.filter(
        product=OuterRef(product_ref), video__status=Video.Status.PUBLISHED
    )
    seen = Appearance.objects.filter(
        product=OuterRef(product_ref), scene__video__status=Video.Status.PUBLISHED
    )
    return Q(Exists(shown)) | Q(Exists(seen))


def product_ids_in_videos(video_ids) -> set[int]:
    """Return the ids of the products shown with, or seen in a scene of, these videos."""
    shown = VideoProduct.objects.filter(video__in=video_ids).values_list("product_id")
    seen = Appearance.objects.filter(scene__video__in=video_ids).values_list("product_id")
    return {product_id for (product_id,) in shown.order_by().union(seen.order_by())}


def of_published_product(product_ref="product_id"):
    """Return a condition that holds where the product at `product_ref` is published.

    EXISTS on the product's primary key rather than a join: with the join MariaDB starts
    from the published products and sorts all their offers before taking a page (3.8 s
    for the API's offer list on a million offers); with EXISTS it walks the offers in
    index order and stops at the page's LIMIT (20 ms).
    """
    return Exists(Product.objects.filter(pk=OuterRef(product_ref), is_published=True))


class ProductQuerySet(TimeStampedQuerySet):
    def published(self):
        """Return products that appear in at least one published video."""
        return self.filter(is_published=True)

    def refresh_published(self) -> int:
        """Recompute `is_published` of these products from their videos; return the changes.

        Two UPDATEs that write only the rows whose flag is wrong. The flag is derived data,
        not a curator's edit, so `updated_at` keeps its value.
        """
        published = product_is_published("pk")
        unchanged = {"updated_at": F("updated_at")}
        shown = self.filter(published, is_published=False).update(is_published=True, **unchanged)
        hidden = (
            self.filter(is_published=True)
            .exclude(published)
            .update(is_published=False, **unchanged)
        )
        return shown + hidden

    refresh_published.alters_data = True

    def visible_to(self, user):
        """Return every product for staff, the published ones for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.published()

    def in_video(self, video):
        """Return every product of a video, shown with it or seen in one of its scenes."""
        shown = VideoProduct.objects.filter(product=OuterRef("pk"), video=video)
        seen = Appearance.objects.filter(product=OuterRef("pk"), scene__video=video)
        return self.filter(Q(Exists(shown)) | Q(Exists(seen)))

    def for_listing(self):
        """Load a product card: type, style, first image and healthy offers by price."""
        return self.select_related("product_type", "style").prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "offers",
                queryset=Offer.objects.shoppable().select_related("retailer").by_price(),
                to_attr="shoppable_offers",
            ),
        )

    def for_detail(self):
        """Load a product page: everything of a card plus every offer."""
        return self.for_listing().prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.select_related("retailer").by_price(),
                to_attr="all_offers",
            ),
        )

    def get_by_natural_key(self, upc):
        return self.get(upc=upc)


class Product(TimeStampedModel):
    upc = models.CharField(
        "UPC/GTIN",
        max_length=14,
        unique=True,
        validators=[validate_gtin],
        help_text="8, 12, 13 or 14 digits with a valid check digit.",
    )
    brand = models.CharField(max_length=120)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    product_type = models.ForeignKey(
        ProductType, on_delete=models.PROTECT, related_name="products", verbose_name="type"
    )
    style = models.ForeignKey(ProductStyle, on_delete=models.PROTECT, related_name="products")
    # db_default too, for the raw SQL writers (generate_catalog) that leave the column out.
    is_published = models.BooleanField(
        "published",
        default=False,
        db_default=False,
        editable=False,
        help_text="Shown with, or seen in a scene of, a published video. Kept by the catalog.",
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["brand", "name"]
        indexes = [
            models.Index(fields=["brand", "name"], name="catalog_product_brand_name"),
            models.Index(fields=["name"], name="catalog_product_name"),
            # The storefront's lists and facets on published products, one per ordering.
            models.Index(
                fields=["is_published", "brand", "name", "id"], name="catalog_product_pub_brand"
            ),
            models.Index(
                fields=["is_published", "-updated_at", "id"], name="catalog_product_pub_updated"
            ),
            models.Index(fields=["is_published", "id"], name="catalog_product_pub_id"),
            models.Index(fields=["is_published", "product_type"], name="catalog_product_pub_type"),
            models.Index(fields=["is_published", "style"], name="catalog_product_pub_style"),
        ]

    def __str__(self):
        return f"{self.brand} {self.name}"

    def save(self, **kwargs):
        """Save every field but `is_published`, which `refresh_published()` alone writes.

        An instance loaded before its video was published holds a stale flag; saving it
        must not put that back.
        """
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "is_published"
            ]
        super().save(**kwargs)

    def get_absolute_url(self):
        return reverse("storefront:product-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.upc,)


class ProductImageQuerySet(TimeStampedQuerySet):
    def visible_to(self, user):
        """Return every image for staff, those of published products for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.filter(of_published_product())

    def get_by_natural_key(self, upc, position):
        return self.get(product__upc=upc, position=position)


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/")
    alt_text = models.CharField(
        max_length=200, help_text="Describes the picture for people who cannot see it."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="The first is featured.")

    objects = ProductImageQuerySet.as_manager()

    class Meta:
        ordering = ["product", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="catalog_productimage_unique_position"
            ),
        ]

    def __str__(self):
        return self.alt_text

    def natural_key(self):
        return (self.product.upc, self.position)

    natural_key.dependencies = ["catalog.product"]


class Retailer(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    homepage_url = models.URLField(
        "home page", max_length=URL_MAX_LENGTH, blank=True, validators=[validate_http_url]
    )
    logo = models.ImageField(upload_to="retailers/", blank=True)
    link_template = models.CharField(
        max_length=URL_MAX_LENGTH,
        blank=True,
        validators=[validate_link_template],
        help_text=(
            "Wraps every outbound link for affiliate or UTM tracking. Use {url} for the "
            "offer's URL, or {url_encoded} to pass it as a parameter, e.g. "
            "https://go.example.com/?id=123&url={url_encoded} or "
            "{url}?utm_source=inspired. Empty sends shoppers to the offer's URL as it is."
        ),
    )

    objects = SlugKeyedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("storefront:retailer-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    def apply_link_template(self, url: str) -> str:
        """Return the outbound link for an offer URL of this retailer."""
        if not self.link_template:
            return url
        if "{url}" in self.link_template and "?" in url:
            # "{url}?utm_source=x" must not add a second "?" to a URL that has a query.
            template = self.link_template.replace("{url}?", "{url}&")
        else:
            template = self.link_template
        return template.replace("{url_encoded}", quote(url, safe="")).replace("{url}", url)


class OfferQuerySet(TimeStampedQuerySet):
    def visible_to(self, user):
        """Return every offer for staff, those of published products for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.filter(of_published_product())

    def by_price(self):
        """Order offers cheapest first, those in the site's currency before the others.

        Prices in different currencies cannot be compared without exchange rates, so the
        "best" and "from" prices are always taken from the site's currency when it has one.
        """
        in_site_currency = Case(
            When(currency=settings.CATALOG_CURRENCY, then=Value(0)), default=Value(1)
        )
        return self.order_by(in_site_currency, "price", "id")

    def healthy(self):
        """Return offers whose link passed its last checks (hidden after repeated failures)."""
        return self.filter(failed_checks__lt=settings.CATALOG_OFFER_MAX_FAILED_CHECKS)

    def shoppable(self):
        """Return offers shoppers can act on now: healthy links to items in stock."""
        return self.healthy().filter(availability=Offer.Availability.IN_STOCK)

    def needs_attention(self):
        """Return offers whose last link check failed or found the item gone."""
        return self.filter(failed_checks__gt=0)

    def due_for_check(self, checked_before):
        """Return offers never checked or last checked before `checked_before`, oldest first."""
        # NULLs sort first on MySQL, MariaDB and SQLite, so the index serves the order.
        return self.filter(
            Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=checked_before)
        ).order_by("last_checked_at", "id")

    def for_listing(self):
        return self.select_related("product", "retailer")

    def get_by_natural_key(self, upc, retailer_slug):
        return self.get(product__upc=upc, retailer__slug=retailer_slug)


class Offer(TimeStampedModel):
    """A retailer's offer of a product (the original's product_retailers)."""

    class Availability(models.TextChoices):
        IN_STOCK = "in_stock", "In stock"
        OUT_OF_STOCK = "out_of_stock", "Out of stock"
        UNKNOWN = "unknown", "Unknown"

    class LinkStatus(models.TextChoices):
        UNCHECKED = "unchecked", "Not checked yet"
        OK = "ok", "OK"
        REDIRECTED = "redirected", "Redirected to another product page"
        BROKEN = "broken", "Broken"
        GONE = "gone", "Gone to a home or category page"
        OUT_OF_STOCK = "out_of_stock", "Out of stock"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="offers")
    retailer = models.ForeignKey(Retailer, on_delete=models.PROTECT, related_name="offers")
    url = models.URLField(
        "deep link",
        max_length=URL_MAX_LENGTH,
        validators=[validate_http_url],
        help_text="The retailer's page for this product.",
    )
    # The validator puts the error next to the field in forms; the check constraint
    # below keeps bulk writers honest.
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message=NEGATIVE_PRICE)],
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    availability = models.CharField(
        max_length=12, choices=Availability, default=Availability.UNKNOWN
    )
    last_checked_at = models.DateTimeField("last checked", null=True, blank=True)
    link_status = models.CharField(
        max_length=12, choices=LinkStatus, default=LinkStatus.UNCHECKED, editable=False
    )
    failed_checks = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Link checks failed in a row."
    )

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["product", "price", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "retailer"],
                name="catalog_offer_unique_product_retailer",
                violation_error_message="This retailer already has an offer for this product.",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="catalog_offer_price_gte_0",
                violation_error_message=NEGATIVE_PRICE,
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "availability", "price"], name="catalog_offer_product_avail"
            ),
            models.Index(fields=["retailer", "price"], name="catalog_offer_retailer_price"),
            models.Index(fields=["price"], name="catalog_offer_price"),
            models.Index(fields=["failed_checks"], name="catalog_offer_failed_checks"),
            models.Index(fields=["last_checked_at"], name="catalog_offer_last_checked"),
            models.Index(fields=["availability", "id"], name="catalog_offer_availability"),
        ]

    def __str__(self):
        return f"{self.product} at {self.retailer}"

    def natural_key(self):
        return (self.product.upc, self.retailer.slug)

    natural_key.dependencies = ["catalog.product", "catalog.retailer"]

    @property
    def is_in_stock(self):
        return self.availability == self.Availability.IN_STOCK


class VideoProductQuerySet(TimeStampedQuerySet):
    def get_by_natural_key(self, video_slug, upc):
        return self.get(video__slug=video_slug, product__upc=upc)


class VideoProduct(TimeStampedModel):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="video_products")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="video_products")

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
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="appearances")
    cast_member = models.ForeignKey(
        CastMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appearances",
        verbose_name="worn by",
    )
    match = models.CharField(max_length=12, choices=Match, default=Match.EXACT)

    objects = AppearanceQuerySet.as_manager()

    class Meta:
        ordering = ["scene", "id"]
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


# Shoppers' click-throughs to retailers


class ClickQuerySet(TimeStampedQuerySet):
    def with_counts_by(self, field):
        """Return click counts grouped by `field`, most clicked first."""
        return self.values(field).annotate(clicks=Count("id")).order_by("-clicks")


class Click(TimeStampedModel):
    """One "Buy at <retailer>" click. Keeps no raw IP: the visitor id is a salted hash."""

    offer = models.ForeignKey(Offer, on_delete=models.SET_NULL, null=True, related_name="clicks")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, related_name="clicks"
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.SET_NULL, null=True, related_name="clicks"
    )
    video = models.ForeignKey(
        Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks"
    )
    scene = models.ForeignKey(
        Scene, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks"
    )
    visitor_hash = models.CharField(max_length=64, blank=True)
    target_url = models.URLField(max_length=URL_MAX_LENGTH)

    objects = ClickQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="catalog_click_created"),
            models.Index(fields=["product", "created_at"], name="catalog_click_product"),
            models.Index(fields=["video", "created_at"], name="catalog_click_video"),
            models.Index(fields=["retailer", "created_at"], name="catalog_click_retailer"),
        ]

    def __str__(self):
        return f"Click on {self.offer_id} at {self.created_at:%Y-%m-%d %H:%M}"


# Click analytics: a daily roll-up the dashboard reads instead of a million raw clicks


# A roll-up key's "no video / scene / product / retailer / artist": 0, as no row has that
# id, rather than NULL, which a primary key cannot hold.
ROLLUP_NONE = 0


class ClickDailyQuerySet(TimeStampedQuerySet):
    def in_period(self, start, end):
        """Return the roll-up rows of the days from `start` to `end`, both included."""
        return self.filter(day__gte=start, day__lte=end)

    def for_artist(self, artist):
        """Return the rows of clicks on videos of `artist`."""
        return self.filter(video__artists=artist)

    def for_retailer(self, retailer):
        return self.filter(retailer=retailer)

    def per_day(self):
        """Return (day, clicks) rows in day order."""
        return (
            self.values("day")
            .annotate(clicks=Sum("clicks"))
            .order_by("day")
            .values_list("day", "clicks")
        )

    def top(self, subject, limit=None):
        """Return (id, clicks) of the `limit` most clicked of a ClickDailyTotal.Subject."""
        subject = ClickDailyTotal.Subject(subject)
        if subject is ClickDailyTotal.Subject.ARTIST:
            field, rows = "video__artists", self.filter(video__artists__isnull=False)
        else:
            field, rows = subject.value, self.exclude(**{f"{subject.value}_id": ROLLUP_NONE})
        ranked = rows.values(field).annotate(clicks=Sum("clicks")).order_by("-clicks", field)
        return ranked.values_list(field, "clicks")[:limit]


def _rollup_relation(model):
    """A roll-up's reference to `model`: no database constraint, so that deleting a product
    never rewrites history (its rows then show as "deleted"), and ROLLUP_NONE (0) where the
    click had none, so that the column can be part of the key."""
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ClickDaily(TimeStampedModel):
    """Clicks of one day for one video, scene, product and retailer combination.

    Filled incrementally from Click by catalog.dashboard.refresh_click_rollup(), with
    additive upserts on the key. The artist and retailer filters of the dashboard read it.
    """

    pk = models.CompositePrimaryKey("day", "retailer_id", "video_id", "scene_id", "product_id")
    day = models.DateField()
    retailer = _rollup_relation(Retailer)
    video = _rollup_relation(Video)
    scene = _rollup_relation(Scene)
    product = _rollup_relation(Product)
    clicks = models.PositiveIntegerField(default=0)

    objects = ClickDailyQuerySet.as_manager()

    class Meta:
        verbose_name = "daily clicks"
        verbose_name_plural = "daily clicks"
        ordering = ["-day", "-clicks"]
        # A filter narrows by retailer or by the artist's few videos first; InnoDB adds the
        # key's columns to each index, so with clicks both cover their questions.
        indexes = [
            models.Index(
                fields=["retailer", "day", "clicks"], name="catalog_clickdaily_by_retailer"
            ),
            models.Index(fields=["video", "day", "clicks"], name="catalog_clickdaily_by_video"),
        ]

    def __str__(self):
        return f"{self.clicks} clicks on {self.day}"


class ClickDailyTotalQuerySet(TimeStampedQuerySet):
    def covering(self, start, end):
        """Return the rows that add up to the days from `start` to `end`, both included.

        Whole months are read as month rows, whole weeks left over as week rows, and only
        the days at the edges as day rows: a 90-day ranking reads about a third of the
        rows it would read day by day.
        """
        covered = Q()
        for grain, starts in calendar_cover(start, end).items():
            if starts:
                covered |= Q(grain=grain, period_start__in=starts)
        return self.filter(covered) if covered else self.none()

    def per_day(self, start, end):
        """Return (day, clicks) rows in day order: every click counts under its retailer."""
        return (
            self.filter(
                subject=ClickDailyTotal.Subject.RETAILER,
                grain=ClickDailyTotal.Grain.DAY,
                period_start__gte=start,
                period_start__lte=end,
            )
            .values("period_start")
            .annotate(clicks=Sum("clicks"))
            .order_by("period_start")
            .values_list("period_start", "clicks")
        )

    def top(self, subject, limit=None):
        """Return (id, clicks) of the `limit` most clicked of `subject`, none excluded."""
        return (
            self.filter(subject=subject)
            .exclude(subject_id=ROLLUP_NONE)
            .values("subject_id")
            .annotate(clicks=Sum("clicks"))
            .order_by("-clicks", "subject_id")
            .values_list("subject_id", "clicks")[:limit]
        )


def calendar_cover(start, end) -> dict:
    """Split the days from `start` to `end` into whole months, whole ISO weeks and days.

    Returns {grain: [first day of each period]}.
    """
    Grain = ClickDailyTotal.Grain
    cover = {Grain.MONTH: [], Grain.WEEK: [], Grain.DAY: []}
    if start > end:
        return cover
    first_month = start if start.day == 1 else _next_month(start)
    month, edges = first_month, []
    while _next_month(month) - timedelta(days=1) <= end:
        cover[Grain.MONTH].append(month)
        month = _next_month(month)
    if cover[Grain.MONTH]:
        edges = [(start, first_month - timedelta(days=1)), (month, end)]
    else:
        edges = [(start, end)]
    for low, high in edges:
        day = low
        while day <= high:
            if day.weekday() == 0 and day + timedelta(days=6) <= high:
                cover[Grain.WEEK].append(day)
                day += timedelta(days=7)
            else:
                cover[Grain.DAY].append(day)
                day += timedelta(days=1)
    return cover


def _next_month(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


class ClickDailyTotal(TimeStampedModel):
    """Clicks of one day, week or month for one video, scene, product, retailer or artist.

    The unfiltered dashboard reads these rows, where ClickDaily would give it one row per
    (video, scene, product, retailer) combination: a month of one product is one row.
    ClickDaily keeps the combinations for the artist and retailer filters. A click on a
    video credited to two artists counts for each, by the credits of the moment it was
    rolled up (the artist filter reads today's credits); subject_id ROLLUP_NONE gathers the
    clicks with none (no video, a deleted retailer), so that the retailer rows of a day
    add up to all of its clicks. The key is the primary key: InnoDB then stores the rows
    of a ranking side by side, clicks included.
    """

    class Subject(models.TextChoices):
        VIDEO = "video", "video"
        SCENE = "scene", "scene"
        PRODUCT = "product", "product"
        RETAILER = "retailer", "retailer"
        ARTIST = "artist", "artist"

    class Grain(models.TextChoices):
        DAY = "day", "day"
        WEEK = "week", "ISO week"
        MONTH = "month", "month"

    pk = models.CompositePrimaryKey("subject", "grain", "period_start", "subject_id")
    subject = models.CharField(max_length=8, choices=Subject)
    grain = models.CharField(max_length=5, choices=Grain)
    period_start = models.DateField(help_text="The day, the Monday of the week or the 1st.")
    subject_id = models.PositiveBigIntegerField()
    clicks = models.PositiveIntegerField(default=0)

    objects = ClickDailyTotalQuerySet.as_manager()

    class Meta:
        verbose_name = "click total"
        ordering = ["-period_start", "-clicks"]

    def __str__(self):
        return (
            f"{self.clicks} clicks on {self.subject} #{self.subject_id} "
            f"in the {self.grain} of {self.period_start}"
        )


class ClickRollupState(TimeStampedModel):
    """How far the daily roll-up has read the Click table (one row)."""

    last_click_id = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"Clicks rolled up to #{self.last_click_id}"


# Link health and price freshness


class OfferCheck(TimeStampedModel):
    """One visit of an offer's link by the checker, and what it found."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Offer.LinkStatus)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    final_url = models.URLField("final URL", max_length=URL_MAX_LENGTH, blank=True)
    error_message = models.TextField(blank=True)
    duration = models.DurationField(null=True, blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="As read on the page."
    )
    currency = models.CharField(max_length=3, blank=True)
    availability = models.CharField(max_length=12, choices=Offer.Availability, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"
        indexes = [
            models.Index(fields=["offer", "-checked_at"], name="catalog_offercheck_offer"),
            models.Index(fields=["status", "-checked_at"], name="catalog_offercheck_status"),
        ]

    def __str__(self):
        return f"{self.get_status_display()} at {self.checked_at:%Y-%m-%d %H:%M}"


class PriceHistory(TimeStampedModel):
    """An offer's price, currency and availability from `recorded_at` on."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_history")
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    availability = models.CharField(max_length=12, choices=Offer.Availability)
    recorded_at = models.DateTimeField(default=timezone.now)
    offer_check = models.ForeignKey(
        OfferCheck,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="price_changes",
        help_text="The link check that saw this price; empty for changes made by hand.",
    )

    class Meta:
        verbose_name_plural = "price history"
        ordering = ["-recorded_at", "-id"]
        get_latest_by = "recorded_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="catalog_pricehistory_price_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["offer", "-recorded_at"], name="catalog_pricehistory_offer"),
        ]

    def __str__(self):
        return f"{self.price} {self.currency} on {self.recorded_at:%Y-%m-%d}"


def format_timecode(value: timedelta) -> str:
    """Return M:SS or H:MM:SS, with milliseconds when there are any."""
    total_ms = round(value.total_seconds() * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    text = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{text}.{ms:03d}" if ms else text
