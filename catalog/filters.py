"""FilterSets shared by the storefront and the integrators' API.

Every filter that names a catalog object takes its id or, where it has one, its slug
(`?product=12` or `?product=acme-jacket`): the API's bodies name rows by id. Invalid values
make the FilterSet invalid (the API answers 400 naming the parameter) instead of being ignored.
Filters that could reveal draft videos only look at the videos the requesting user may see.
"""

from django import forms
from django.db.models import Exists, OuterRef, Q

import django_filters
from django_filters.fields import ModelChoiceField, ModelMultipleChoiceField
from drf_spectacular.utils import extend_schema_field

from .currencies import CURRENCY_CHOICES
from .models import (
    Appearance,
    Artist,
    CastMember,
    Offer,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    VideoSource,
)

# The related-object filters: values are ids or slugs (the schema generator cannot tell
# from the model).

MAX_ID_DIGITS = 18


def id_or_slug(queryset, slug_field, values):
    """Return `queryset` narrowed to the rows whose slug, or id, is one of `values`."""
    ids = [int(v) for v in values if str(v).isdigit() and len(str(v)) <= MAX_ID_DIGITS]
    return queryset.filter(Q(**{f"{slug_field}__in": values}) | Q(pk__in=ids))


def matches(row, slug_field, value) -> bool:
    return str(value) in (str(getattr(row, slug_field)), str(row.pk))


class IdOrSlugChoiceField(ModelChoiceField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        self.validate_no_null_characters(value)
        slug_field = self.to_field_name or "slug"
        rows = list(id_or_slug(self.queryset, slug_field, [str(value)])[:2])
        # A slug that looks like an id wins over the id.
        rows.sort(key=lambda row: str(getattr(row, slug_field)) != str(value))
        if not rows:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return rows[0]


class IdsOrSlugsChoiceField(ModelMultipleChoiceField):
    def _check_values(self, value):
        try:
            values = frozenset(str(v) for v in value)
        except TypeError:
            raise forms.ValidationError(
                self.error_messages["invalid_list"], code="invalid_list"
            ) from None
        for text in values:
            self.validate_no_null_characters(text)
        slug_field = self.to_field_name or "slug"
        rows = list(id_or_slug(self.queryset, slug_field, list(values)))
        for text in values:
            if not any(matches(row, slug_field, text) for row in rows):
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text},
                )
        return rows


class DocumentedAsText:
    """In the schema, a string described by the filter's label: the generator cannot tell
    from the model that the value is an id or a slug."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field({"type": "string", "description": str(self.label or "")})(self)


class SlugFilter(DocumentedAsText, django_filters.ModelChoiceFilter):
    """One related row, by id or slug."""

    field_class = IdOrSlugChoiceField


class SlugsFilter(DocumentedAsText, django_filters.ModelMultipleChoiceFilter):
    """Related rows, each by id or slug; the parameter repeats for several."""

    field_class = IdsOrSlugsChoiceField


def _user(request):
    return getattr(request, "user", None)


def visible_videos(request):
    return Video.objects.visible_to(_user(request))


class StrictBooleanField(forms.NullBooleanField):
    """A yes/no parameter that rejects anything else rather than treating it as unset."""

    widget = forms.TextInput
    TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid_boolean")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class SyncFilterSet(django_filters.FilterSet):
    """Base for every list: `updated_after` lets an integrator fetch only what changed."""

    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Only rows changed at or after this ISO 8601 date and time.",
    )


class ProductFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "max_price must not be less than min_price.")
        return cleaned


class ProductFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        label=(
            "Words, all of which the product matches in its brand, name, type, style, "
            "description or UPC, or in the titles and artists of its videos; any case, "
            "accents and punctuation, plural or singular."
        ),
    )
    type = SlugsFilter(
        field_name="product_type__slug",
        to_field_name="slug",
        queryset=ProductType.objects.all(),
        distinct=False,
        label="Product type id or slug (e.g. jacket); repeat for several.",
    )
    style = SlugsFilter(
        field_name="style__slug",
        to_field_name="slug",
        queryset=ProductStyle.objects.all(),
        distinct=False,
        label="Style id or slug (original, low_end, high_end); repeat for several.",
    )
    brand = django_filters.CharFilter(
        field_name="brand", lookup_expr="iexact", label="Brand, any case."
    )
    retailer = SlugsFilter(
        to_field_name="slug",
        queryset=Retailer.objects.all(),
        method="filter_offers",
        label="Sold by this retailer (id or slug); repeat for several.",
    )
    artist = SlugFilter(
        to_field_name="slug",
        queryset=Artist.objects.all(),
        method="filter_artist",
        label="In a video of this artist (id or slug).",
    )
    video = SlugFilter(
        to_field_name="slug",
        queryset=visible_videos,
        method="filter_video",
        label="In this video (id or slug).",
    )
    scene = django_filters.NumberFilter(
        method="filter_scene", min_value=1, label="Seen in this scene (id)."
    )
    min_price = django_filters.NumberFilter(
        method="filter_price",
        min_value=0,
        label="From price at or above this (in `currency` when given).",
    )
    max_price = django_filters.NumberFilter(
        method="filter_price",
        min_value=0,
        label="From price at or below this (in `currency` when given).",
    )
    currency = django_filters.ChoiceFilter(
        choices=CURRENCY_CHOICES,
        method="filter_price",
        label="ISO 4217 code of the from price.",
    )
    in_stock = StrictBooleanFilter(
        method="filter_offers",
        label=(
            "true: has a buyable offer (link healthy, in stock or availability unknown); "
            "false: has none."
        ),
    )

    class Meta:
        model = Product
        fields = []
        form = ProductFilterForm

    def filter_search(self, queryset, name, value):
        return queryset.matching(value) if value else queryset

    def filter_artist(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.in_videos(visible_videos(self.request).filter(artists=value))

    def filter_video(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.in_video(value)

    def filter_scene(self, queryset, name, value):
        if value is None:
            return queryset
        seen = Appearance.objects.filter(
            scene_id=value, scene__video__in=visible_videos(self.request)
        ).values("product_id")
        return queryset.filter(pk__in=seen)

    def filter_offers(self, queryset, name, value):
        # The retailer and stock filters describe one offer together ("sold by X, in
        # stock"), so they are applied at once in filter_queryset().
        return queryset

    def filter_price(self, queryset, name, value):
        # The price range and its currency are one condition, applied in filter_queryset().
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        low, high, currency = data.get("min_price"), data.get("max_price"), data.get("currency")
        if low is not None or high is not None or currency:
            # The price the cards show and the price sort uses: the stored from price.
            queryset = queryset.priced_between(low, high, currency)
        conditions = Q(retailer__in=data["retailer"]) if data.get("retailer") else Q()
        in_stock = data.get("in_stock")
        offers = Offer.objects.filter(conditions, product=OuterRef("pk"))
        if in_stock is True:
            queryset = queryset.filter(Exists(offers.buyable()))
        elif conditions:
            queryset = queryset.filter(Exists(offers))
        if in_stock is False:
            buyable = Offer.objects.buyable().filter(product=OuterRef("pk"))
            queryset = queryset.filter(~Exists(buyable))
        return queryset


class VideoFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")
    artist = SlugsFilter(
        to_field_name="slug",
        queryset=Artist.objects.all(),
        method="filter_artist",
        label="By this artist (id or slug); repeat for several.",
    )
    featured = StrictBooleanFilter(field_name="is_featured")
    released_after = django_filters.DateFilter(
        field_name="release_date", lookup_expr="gte", label="Released on or after (YYYY-MM-DD)."
    )
    released_before = django_filters.DateFilter(
        field_name="release_date", lookup_expr="lte", label="Released on or before (YYYY-MM-DD)."
    )

    class Meta:
        model = Video
        fields = []

    def filter_artist(self, queryset, name, value):
        if not value:
            return queryset
        # EXISTS keeps one row per video when several of the chosen artists are on it.
        credited = Video.artists.through.objects.filter(video=OuterRef("pk"), artist__in=value)
        return queryset.filter(Exists(credited))


class ArtistFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")
    video = SlugFilter(
        to_field_name="slug",
        queryset=visible_videos,
        method="filter_video",
        label="Credited on this video (id or slug).",
    )

    class Meta:
        model = Artist
        fields = []

    def filter_video(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(Video.artists.through.objects.filter(artist=OuterRef("pk"), video=value))
        )


class VideoSourceFilter(SyncFilterSet):
    video = SlugFilter(
        to_field_name="slug", queryset=visible_videos, label="Of this video (id or slug)."
    )

    class Meta:
        model = VideoSource
        fields = []


class SceneFilter(SyncFilterSet):
    video = SlugFilter(
        to_field_name="slug", queryset=visible_videos, label="Of this video (id or slug)."
    )

    class Meta:
        model = Scene
        fields = []


class CastMemberFilter(SyncFilterSet):
    video = SlugFilter(
        to_field_name="slug", queryset=visible_videos, label="Of this video (id or slug)."
    )
    artist = SlugFilter(
        to_field_name="slug",
        queryset=Artist.objects.all(),
        label="Played by this artist (id or slug).",
    )

    class Meta:
        model = CastMember
        fields = []


class AppearanceFilter(SyncFilterSet):
    video = SlugFilter(
        field_name="scene__video",
        to_field_name="slug",
        queryset=visible_videos,
        label="In this video (id or slug).",
    )
    scene = django_filters.NumberFilter(field_name="scene_id", min_value=1, label="Scene id.")
    product = SlugFilter(
        to_field_name="slug", queryset=Product.objects.all(), label="Of this product (id or slug)."
    )

    class Meta:
        model = Appearance
        fields = []


class ProductImageFilter(SyncFilterSet):
    product = SlugFilter(
        to_field_name="slug", queryset=Product.objects.all(), label="Of this product (id or slug)."
    )

    class Meta:
        model = ProductImage
        fields = []


class ProductTypeFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")

    class Meta:
        model = ProductType
        fields = []


class ProductStyleFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")

    class Meta:
        model = ProductStyle
        fields = []


class RetailerFilter(SyncFilterSet):
    slug = django_filters.CharFilter(label="Exactly this slug.")

    class Meta:
        model = Retailer
        fields = []


class OfferFilter(SyncFilterSet):
    product = SlugFilter(
        to_field_name="slug", queryset=Product.objects.all(), label="Of this product (id or slug)."
    )
    retailer = SlugsFilter(
        field_name="retailer__slug",
        to_field_name="slug",
        queryset=Retailer.objects.all(),
        distinct=False,
        label="At this retailer (id or slug); repeat for several.",
    )
    availability = django_filters.ChoiceFilter(choices=Offer.Availability.choices)

    class Meta:
        model = Offer
        fields = []
