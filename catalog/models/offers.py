"""Retailers and their offers of products."""

from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse

from simple_history.models import HistoricalRecords

from ..currencies import CURRENCY_CHOICES
from ..validators import validate_http_url, validate_link_template, validate_public_url
from .base import (
    NEGATIVE_PRICE,
    URL_MAX_LENGTH,
    LinkField,
    SlugKeyedQuerySet,
    TimeStampedModel,
    TimeStampedQuerySet,
)
from .products import Product, of_published_product


class Retailer(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    homepage_url = LinkField(
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
        return apply_link_template(self.link_template, url)


def apply_link_template(link_template: str, url: str) -> str:
    """Return the outbound link for `url` through a retailer's tracking template."""
    if not link_template:
        return url
    if "{url}" in link_template and "?" in url:
        # "{url}?utm_source=x" must not add a second "?" to a URL that has a query.
        link_template = link_template.replace("{url}?", "{url}&")
    return link_template.replace("{url_encoded}", quote(url, safe="")).replace("{url}", url)


def site_currency_first():
    """Return an ordering term that puts offers in the site's currency first."""
    return Case(When(currency=settings.CATALOG_CURRENCY, then=Value(0)), default=Value(1))


# An offer whose last link check failed or found the item gone.
NEEDS_ATTENTION = Q(failed_checks__gt=0)


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
        return self.order_by(site_currency_first(), "price", "id")

    def healthy(self):
        """Return offers whose link passed its last checks (hidden after repeated failures)."""
        return self.filter(failed_checks__lt=settings.CATALOG_OFFER_MAX_FAILED_CHECKS)

    def buyable(self):
        """Return offers shoppers can buy now: a healthy link, not known to be out of stock.

        "Unknown" is what an offer added by hand starts as; it is buyable, only "out of
        stock" is not.
        """
        return self.healthy().filter(availability__in=Offer.BUYABLE_AVAILABILITY)

    def shoppable(self):
        """Return offers shoppers can act on now: healthy links to items in stock."""
        return self.healthy().filter(availability=Offer.Availability.IN_STOCK)

    def best_first(self):
        """Order offers as shoppers see them: the buyable ones first, each part `by_price()`.

        The first offer of this order, when buyable, is the "Best available price".
        """
        buyable_first = Case(
            When(availability__in=Offer.BUYABLE_AVAILABILITY, then=Value(0)), default=Value(1)
        )
        return self.order_by(buyable_first, site_currency_first(), "price", "id")

    def needs_attention(self):
        """Return offers whose last link check failed or found the item gone."""
        return self.filter(NEEDS_ATTENTION)

    def without_attention(self):
        """Return the offers `needs_attention()` leaves out."""
        return self.exclude(NEEDS_ATTENTION)

    def due_for_check(self, checked_before):
        """Return offers never checked or last checked before `checked_before`, oldest first."""
        # NULLs sort first on MySQL, MariaDB and SQLite, so the index serves the order.
        return self.filter(
            Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=checked_before)
        ).order_by("last_checked_at", "id")

    def not_leased(self, now):
        """Return offers whose check no worker holds at `now`."""
        return self.filter(Q(check_leased_until__isnull=True) | Q(check_leased_until__lte=now))

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
    url = LinkField(
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
    # Set by the worker that claimed the offer's check (catalog/linkhealth/scheduling.py),
    # so that no other worker checks it until then.
    check_leased_until = models.DateTimeField(null=True, blank=True, editable=False)

    # What `OfferQuerySet.buyable()` and `is_buyable` accept as available.
    BUYABLE_AVAILABILITY = (Availability.IN_STOCK, Availability.UNKNOWN)

    objects = OfferQuerySet.as_manager()
    # Link checks are recorded in their own tables (OfferCheck, PriceHistory).
    history = HistoricalRecords(
        excluded_fields=["last_checked_at", "link_status", "failed_checks", "check_leased_until"]
    )

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
            # The admin's currency and link status filters (and its list of currencies in
            # use, a loose scan of this index).
            models.Index(fields=["currency", "id"], name="catalog_offer_currency"),
            models.Index(fields=["link_status", "id"], name="catalog_offer_link_status"),
        ]

    def __str__(self):
        return f"{self.product} at {self.retailer}"

    def natural_key(self):
        return (self.product.upc, self.retailer.slug)

    natural_key.dependencies = ["catalog.product", "catalog.retailer"]

    def clean(self):
        # The link checker's own rules: a link it would refuse to visit is not stored.
        # A URL that is not http(s) at all gets the field's own message, and only that.
        if self.url and not self._url_is_malformed():
            try:
                validate_public_url(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.messages}, code=error.code) from error

    def _url_is_malformed(self) -> bool:
        try:
            validate_http_url(self.url)
        except ValidationError:
            return True
        return False

    @property
    def is_in_stock(self):
        return self.availability == self.Availability.IN_STOCK

    @property
    def is_healthy(self):
        return self.failed_checks < settings.CATALOG_OFFER_MAX_FAILED_CHECKS

    @property
    def is_buyable(self):
        """This row's own reading of `OfferQuerySet.buyable()`."""
        return self.is_healthy and self.availability in self.BUYABLE_AVAILABILITY
