"""Browse: the API's ProductFilter plus what only the storefront needs (sorting, facets)."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, Subquery

import django_filters

from catalog.filters import ProductFilter
from catalog.integrations.fx import latest_rates
from catalog.models import Offer, Retailer

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

    def clean_offer_conditions(self):
        """Price bounds in the shopper's display currency match offers in every currency.

        The bounds are converted back into each offer currency that has a rate (one range
        per currency on the indexed price column); offers in currencies without a rate
        cannot be compared and do not match. An explicit `currency` keeps its meaning.
        """
        data = self.form.cleaned_data
        shown_in = display_currency(self.request) if self.request is not None else ""
        bounded = data.get("min_price") is not None or data.get("max_price") is not None
        rates = latest_rates()
        if not (
            shown_in
            and bounded
            and rates.factor(shown_in, settings.CATALOG_CURRENCY) is not None
            and not data.get("currency")
        ):
            return super().clean_offer_conditions()
        low, high = data.get("min_price"), data.get("max_price")
        data = {**data, "min_price": None, "max_price": None}
        self.form.cleaned_data = data
        try:
            conditions = super().clean_offer_conditions()
        finally:
            self.form.cleaned_data = {**data, "min_price": low, "max_price": high}
        ranges = Q(pk__in=[])
        for code in sorted(rates.rates):
            if rates.factor(shown_in, code) is None:
                continue
            price = Q(currency=code)
            if low is not None:
                price &= Q(price__gte=rates.convert(Decimal(low), shown_in, code))
            if high is not None:
                price &= Q(price__lte=rates.convert(Decimal(high), shown_in, code))
            ranges |= price
        return conditions & ranges

    def apply_sort(self, queryset, name, value):
        # Sorting in a display currency gives the same order: every price converts with
        # the same rate into it from the site currency, which the from-price is taken in.
        if value in ("price", "-price"):
            cheapest = (
                Offer.objects.shoppable()
                .filter(product=OuterRef("pk"))
                .by_price()
                .values("price")[:1]
            )
            queryset = queryset.annotate(from_price=Subquery(cheapest))
            price = F("from_price")
            order = price.asc(nulls_last=True) if value == "price" else price.desc(nulls_last=True)
            return queryset.order_by(order, "brand", "name", "pk")
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
        """Return, per facet, its values with the number of matching products."""
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
