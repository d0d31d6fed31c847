"""Browse: the API's ProductFilter plus what only the storefront needs (sorting, facets)."""

import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Subquery

import django_filters

from catalog.filters import ProductFilter
from catalog.integrations.fx import latest_rates
from catalog.models import Retailer

from .caching import COUNT_CACHE_SECONDS
from .currency import display_currency


class BrowseFilter(ProductFilter):
    SORT_CHOICES = [
        ("", "Brand A–Z"),
        ("price", "Price, low to high"),
        ("-price", "Price, high to low"),
        ("updated", "Recently updated"),
    ]

    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES[1:], method="apply_sort", empty_label=SORT_CHOICES[0][1]
    )

    # Facets whose counts ignore their own selection, so that shoppers can add a second value.
    FACETS = ["type", "style", "retailer", "brand"]

    def filter_queryset(self, queryset):
        """Price bounds in the shopper's display currency, converted into the site's.

        The stored from price is in the site currency, and one rate converts every such
        price into the display currency, so converting the bounds back keeps the filter an
        index range scan. An explicit `currency`, or no rate, keeps the bounds as typed.
        """
        data = self.form.cleaned_data
        shown_in = display_currency(self.request) if self.request is not None else ""
        site = settings.CATALOG_CURRENCY
        low, high = data.get("min_price"), data.get("max_price")
        if (
            not shown_in
            or shown_in == site
            or data.get("currency")
            or (low is None and high is None)
        ):
            return super().filter_queryset(queryset)
        rates = latest_rates()
        if rates.factor(shown_in, site) is None:
            return super().filter_queryset(queryset)
        self.form.cleaned_data = {
            **data,
            "min_price": None if low is None else rates.convert(Decimal(low), shown_in, site),
            "max_price": None if high is None else rates.convert(Decimal(high), shown_in, site),
        }
        try:
            return super().filter_queryset(queryset)
        finally:
            self.form.cleaned_data = data

    def apply_sort(self, queryset, name, value):
        # Sorting in a display currency gives the same order: every price converts with
        # the same rate into it from the site currency, which the from-price is taken in.
        if value in ("price", "-price"):
            # The stored from price, the one the cards show: an index range scan.
            return queryset.by_price(descending=value == "-price")
        if value == "updated":
            return queryset.order_by("-updated_at", "pk")
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        if not queryset.query.order_by:
            queryset = queryset.order_by("brand", "name", "pk")
        return queryset

    def sort_value(self):
        if self.is_bound and self.is_valid():
            return self.form.cleaned_data.get("sort") or ""
        return ""

    def _without(self, name):
        """Return the products matched by every filter but `name`."""
        if not self.is_bound:
            return self.queryset
        data = self.data.copy()
        data.pop(name, None)
        other = type(self)(data, queryset=self.queryset, request=self.request)
        return other.qs if other.is_valid() else self.queryset.none()

    def facets(self):
        """Return, per facet, its values with the number of matching products.

        Counting reads every matching product (a second or more for the whole catalog of a
        million offers), so the counts are cached per filter, whatever the sort and page,
        for COUNT_CACHE_SECONDS: a count may lag a catalog change by that long, the
        products listed never do.
        """
        key = f"facets:{self.cache_key()}"
        facets = cache.get(key)
        if facets is None:
            facets = self.count_facets()
            cache.set(key, facets, COUNT_CACHE_SECONDS)
        return facets

    def cache_key(self) -> str:
        """Name the filter's choices, whatever the sort and page, for cached counts."""
        params = sorted(
            (name, sorted(self.data.getlist(name)))
            for name in (self.data if self.is_bound else {})
            if name not in ("sort", "page")
        )
        return hashlib.sha256(repr(params).encode()).hexdigest()

    def count_facets(self):
        selected = {name: self.data.getlist(name) if self.is_bound else [] for name in self.FACETS}
        types = (
            self._without("type")
            .values(value=F("product_type__slug"), label=F("product_type__name"))
            .annotate(count=Count("pk"))
            .order_by("label")
        )
        styles = (
            self._without("style")
            .values(value=F("style__slug"), label=F("style__name"), rank=F("style__position"))
            .annotate(count=Count("pk"))
            .order_by("rank", "label")
        )
        # One offer per product and retailer (a constraint), so offers counted are products.
        # Joined from the products rather than IN (subquery) from the retailers: MariaDB
        # runs the subquery once per offer otherwise (59 s against 7 s on a million offers).
        # Grouped by the offers' retailer_id, with the names looked up per group: joined to
        # the retailers, MariaDB starts from them and reads every offer row (30 s or more);
        # without, it reads only the products' flag index and the offers' (product,
        # retailer) index (1.3 s on 156,000 published products).
        retailer = Retailer.objects.filter(pk=OuterRef("retailer_id"))
        retailers = (
            self._without("retailer")
            .filter(offers__isnull=False)
            .values(retailer_id=F("offers__retailer"))
            .annotate(count=Count("pk"))
            .annotate(
                value=Subquery(retailer.values("slug")), label=Subquery(retailer.values("name"))
            )
            .order_by("label")
        )
        brands = (
            self._without("brand")
            .values(value=F("brand"), label=F("brand"))
            .annotate(count=Count("pk"))
            .order_by("label")[:50]
        )
        result = {}
        for name, rows in [
            ("type", types),
            ("style", styles),
            ("retailer", retailers),
            ("brand", brands),
        ]:
            chosen = {value.lower() for value in selected[name]}
            result[name] = [
                {
                    "slug": row["value"],
                    "name": row["label"],
                    "count": row["count"],
                    "selected": str(row["value"]).lower() in chosen,
                }
                for row in rows
            ]
        return result
