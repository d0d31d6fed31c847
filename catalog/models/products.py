"""Products, their types, styles and pictures, and the rule that makes a product public."""

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from simple_history.models import HistoricalRecords

from ..caching import bump_catalog_version
from ..search import SearchableQuerySet, ranked_product_ids, search_text_field
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


# Kept by the catalog (refresh_published(), refresh_prices(), refresh_search()), never saved
# from a form.
DERIVED_FIELDS = ("is_published", "from_price", "from_currency", "price_rank", "search_text")


class ProductQuerySet(SearchableQuerySet, TimeStampedQuerySet):
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
        if shown + hidden:
            bump_catalog_version()
        return shown + hidden

    refresh_published.alters_data = True

    def refresh_prices(self) -> int:
        """Recompute the stored from price of these products from their offers; return the changes.

        The from price is the cheapest buyable offer (`OfferQuerySet.buyable()`) in the
        site's currency; only where there is none, the cheapest buyable offer in another
        currency; none at all leaves it empty. `price_rank` says which of the three it is,
        so that price sorts and filters are an index range scan. One UPDATE that writes
        only the rows whose stored values are wrong, leaving `updated_at` alone.
        """
        from .offers import Offer  # offers.py builds on products.py

        buyable = Offer.objects.buyable().filter(product=OuterRef("pk"))
        cheapest = buyable.by_price()
        price = Subquery(cheapest.values("price")[:1])
        currency = Coalesce(Subquery(cheapest.values("currency")[:1]), Value(""))
        rank = Case(
            When(Exists(buyable.filter(currency=settings.CATALOG_CURRENCY)), then=Value(0)),
            When(Exists(buyable), then=Value(1)),
            default=Value(Product.PriceRank.NONE),
            output_field=models.PositiveSmallIntegerField(),
        )
        stale = self.alias(fresh_price=price, fresh_currency=currency, fresh_rank=rank).exclude(
            Q(price_rank=F("fresh_rank"), from_currency=F("fresh_currency"))
            & (Q(from_price=F("fresh_price")) | Q(from_price__isnull=True, fresh_price=None))
        )
        changed = stale.update(
            from_price=price, from_currency=currency, price_rank=rank, updated_at=F("updated_at")
        )
        if changed:
            bump_catalog_version()
        return changed

    refresh_prices.alters_data = True

    def by_price(self, descending=False):
        """Order by from price: the site's currency first, other currencies next, none last."""
        if descending:
            return self.order_by("price_rank", F("from_price").desc(), "-id")
        return self.order_by("price_rank", "from_price", "id")

    def priced_between(self, low=None, high=None, currency=None):
        """Return products whose from price is in [low, high], in `currency` when given."""
        if currency == settings.CATALOG_CURRENCY:
            ranks = [Product.PriceRank.SITE_CURRENCY]
        elif currency:
            ranks = [Product.PriceRank.OTHER_CURRENCY]
        else:
            ranks = [Product.PriceRank.SITE_CURRENCY, Product.PriceRank.OTHER_CURRENCY]
        queryset = self.filter(price_rank__in=ranks)
        if currency:
            queryset = queryset.filter(from_currency=currency)
        if low is not None:
            queryset = queryset.filter(from_price__gte=low)
        if high is not None:
            queryset = queryset.filter(from_price__lte=high)
        return queryset

    def visible_to(self, user):
        """Return every product for staff, the published ones for everybody else."""
        if user is not None and user.is_staff:
            return self
        return self.published()

    def in_video(self, video):
        """Return every product of a video, shown with it or seen in one of its scenes."""
        return self.in_videos([video])

    def in_videos(self, videos):
        """Return the products shown with, or seen in a scene of, any of `videos`.

        Reads the videos' own rows first (their video products and their scenes'
        appearances, both indexed by video; one query) and narrows to those primary keys.
        Any form that leaves the choice to the database (EXISTS per product, IN or OR'ed
        IN subqueries) makes MariaDB read every product of the catalog.
        """
        video_ids = videos.values("pk") if isinstance(videos, models.QuerySet) else videos
        return self.filter(pk__in=sorted(product_ids_in_videos(video_ids)))

    def search_ids(self, query: str, start: int, stop: int) -> list[int]:
        """Return the ids of the best matches from `start` to `stop`, best first.

        Read from the products' search terms, one page's worth (`catalog/search.py`);
        load the rows with `in_order_of()`.
        """
        return ranked_product_ids(self, query, start, stop)

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

    def for_browsing(self):
        """Load product cards for a page of a large list (browse, a retailer, the API).

        Type and style are prefetched, not joined: with the joins MariaDB starts from the
        three styles and sorts every product of the catalog before taking a page.
        """
        return self.for_listing().select_related(None).prefetch_related("product_type", "style")

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

    class PriceRank(models.IntegerChoices):
        SITE_CURRENCY = 0, "In the site's currency"
        OTHER_CURRENCY = 1, "In another currency only"
        NONE = 2, "No buyable offer"

    # db_default too, for the raw SQL writers (generate_catalog) that leave the column out.
    is_published = models.BooleanField(
        "published",
        default=False,
        db_default=False,
        editable=False,
        help_text="Shown with, or seen in a scene of, a published video. Kept by the catalog.",
    )
    # The from price: kept by the catalog from the offers (ProductQuerySet.refresh_prices).
    from_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text="The cheapest buyable offer, in the site's currency where there is one.",
    )
    from_currency = models.CharField(
        max_length=3, blank=True, default="", db_default="", editable=False
    )
    price_rank = models.PositiveSmallIntegerField(
        choices=PriceRank,
        default=PriceRank.NONE,
        db_default=PriceRank.NONE,
        editable=False,
        help_text="Sorts site-currency from prices first, other currencies next, none last.",
    )

    search_text = search_text_field()

    objects = ProductQuerySet.as_manager()
    # The derived columns are kept by the catalog, not edited: no history of them.
    history = HistoricalRecords(excluded_fields=list(DERIVED_FIELDS))

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
            # Price sorts and ranges: an index range scan in either direction.
            models.Index(
                fields=["is_published", "price_rank", "from_price", "id"],
                name="catalog_product_pub_price",
            ),
            models.Index(
                fields=["is_published", "price_rank", "-from_price", "-id"],
                name="catalog_product_pub_price_desc",
            ),
        ]

    def __str__(self):
        return f"{self.brand} {self.name}"

    def save(self, **kwargs):
        """Save every field but the derived ones, which the catalog alone writes.

        An instance loaded before its video was published, or before an offer changed,
        holds stale values; saving it must not put them back.
        """
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in DERIVED_FIELDS
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


class ProductSearchTerm(models.Model):
    """One word of a product's search text and how often it occurs there: the search index.

    Derived from `Product.search_text` by `catalog/search.py`, never edited. The shoppers'
    search reads a word's products best first from the ranked index and stops at its page,
    so a page of results costs the same on any catalog size (a full-text engine ranks
    every match first).
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="search_terms")
    term = models.CharField(max_length=84)
    weight = models.PositiveSmallIntegerField(help_text="How often the word occurs.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "product"], name="catalog_searchterm_unique"),
        ]
        indexes = [
            models.Index(fields=["term", "-weight", "product"], name="catalog_searchterm_ranked"),
        ]

    def __str__(self):
        return f"{self.term} ×{self.weight}"
