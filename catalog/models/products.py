"""Products, their types, styles and pictures, and the rule that makes a product public."""

from django.db import models
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse

from ..validators import validate_gtin
from .base import SlugKeyedQuerySet, TimeStampedModel, TimeStampedQuerySet
from .videos import Appearance, Video, VideoProduct


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
        from .offers import Offer  # offers.py builds on products.py

        return self.select_related("product_type", "style").prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
            Prefetch(
                "offers",
                queryset=Offer.objects.buyable().select_related("retailer").by_price(),
                to_attr="shoppable_offers",
            ),
        )

    def for_detail(self):
        """Load a product page: everything of a card plus every offer."""
        from .offers import Offer

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
