from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.http import QueryDict
from django.test import RequestFactory
from django.utils import timezone

import pytest

from catalog.filters import OfferFilter, ProductFilter, VideoFilter
from catalog.models import Offer, Product, ProductStyle, ProductType, Video

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
)

pytestmark = pytest.mark.django_db


def request_for(user=None):
    request = RequestFactory().get("/")
    request.user = user
    return request


def query(params):
    return QueryDict(urlencode(params, doseq=True))


def filtered(filterset_class, params, queryset=None, user=None):
    if queryset is None:
        queryset = filterset_class._meta.model.objects.all()
    filterset = filterset_class(query(params), queryset=queryset, request=request_for(user))
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs)


def errors(filterset_class, params):
    filterset = filterset_class(
        query(params), queryset=filterset_class._meta.model.objects.all(), request=request_for()
    )
    assert not filterset.is_valid()
    return filterset.errors


def test_product_filter_by_type_and_style_slugs():
    shirt = ProductFactory()
    jacket = ProductFactory(
        product_type=ProductType.objects.get(slug="jacket"),
        style=ProductStyle.objects.exclude(slug="original").first(),
    )
    assert filtered(ProductFilter, {"type": "shirt"}) == {shirt}
    assert filtered(ProductFilter, {"type": ["shirt", "jacket"]}) == {shirt, jacket}
    assert filtered(ProductFilter, {"style": "original"}) == {shirt}


def test_product_filter_by_brand_ignores_case():
    levis = ProductFactory(brand="Levi's")
    ProductFactory(brand="Zara")
    assert filtered(ProductFilter, {"brand": "levi's"}) == {levis}


def test_product_filter_by_retailer_artist_video_and_scene():
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist])
    shown = VideoProductFactory(video=video).product
    scene = SceneFactory(video=video)
    seen = AppearanceFactory(scene=scene).product
    elsewhere = ProductFactory()
    offer = OfferFactory(product=elsewhere)
    assert filtered(ProductFilter, {"video": video.slug}) == {shown, seen}
    assert filtered(ProductFilter, {"artist": artist.slug}) == {shown, seen}
    assert filtered(ProductFilter, {"scene": scene.pk}) == {seen}
    assert filtered(ProductFilter, {"retailer": offer.retailer.slug}) == {elsewhere}


def test_product_filter_hides_draft_videos_from_the_public():
    draft = VideoFactory(draft=True)
    VideoProductFactory(video=draft)
    assert "video" in errors(ProductFilter, {"video": draft.slug})
    staff = UserFactory(staff=True)
    assert len(filtered(ProductFilter, {"video": draft.slug}, user=staff)) == 1


def test_product_filter_price_range_applies_to_the_from_price_in_its_currency():
    cheap_usd = OfferFactory(price=Decimal("10.00"), currency="USD").product
    dear_eur = OfferFactory(price=Decimal("90.00"), currency="EUR").product
    assert filtered(ProductFilter, {"min_price": "5", "max_price": "20"}) == {cheap_usd}
    assert filtered(ProductFilter, {"min_price": "50"}) == {dear_eur}
    assert filtered(ProductFilter, {"max_price": "100", "currency": "EUR"}) == {dear_eur}
    # The range is the from price's (the cards' price), whichever retailer sells it.
    retailer = RetailerFactory()
    OfferFactory(product=cheap_usd, retailer=retailer, price=Decimal("60.00"))
    assert filtered(ProductFilter, {"retailer": retailer.slug, "max_price": "20"}) == {cheap_usd}
    assert filtered(ProductFilter, {"retailer": retailer.slug, "min_price": "50"}) == set()


def test_product_filter_in_stock_means_a_shoppable_offer():
    buyable = OfferFactory().product
    gone = OfferFactory(out_of_stock=True).product
    broken = OfferFactory().product
    Offer.objects.filter(product=broken).update(failed_checks=99)
    assert filtered(ProductFilter, {"in_stock": "true"}) == {buyable}
    assert filtered(ProductFilter, {"in_stock": "false"}) == {gone, broken}


def test_product_filter_updated_after():
    old = ProductFactory()
    Product.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    new = ProductFactory()
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert filtered(ProductFilter, {"updated_after": since}) == {new}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "no-such-type"}, "type"),
        ({"style": "no-such-style"}, "style"),
        ({"retailer": "nobody"}, "retailer"),
        ({"artist": "nobody"}, "artist"),
        ({"video": "nothing"}, "video"),
        ({"scene": "abc"}, "scene"),
        ({"min_price": "cheap"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "50", "max_price": "10"}, "max_price"),
        ({"currency": "XXX"}, "currency"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"updated_after": "yesterday"}, "updated_after"),
    ],
)
def test_product_filter_rejects_bad_values_naming_the_parameter(params, field):
    assert field in errors(ProductFilter, params)


def test_video_filter_by_artist_featured_and_release_dates():
    artist, other = ArtistFactory(), ArtistFactory()
    both = VideoFactory(artists=[artist, other], release_date=date(2020, 5, 1))
    featured = VideoFactory(is_featured=True, release_date=date(2024, 1, 1))
    assert filtered(VideoFilter, {"artist": [artist.slug, other.slug]}) == {both}
    assert filtered(VideoFilter, {"featured": "true"}) == {featured}
    assert filtered(VideoFilter, {"released_after": "2023-01-01"}) == {featured}
    assert filtered(VideoFilter, {"released_before": "2021-01-01"}) == {both}
    assert "released_after" in errors(VideoFilter, {"released_after": "soon"})
    assert "artist" in errors(VideoFilter, {"artist": "nobody"})
    assert Video.objects.count() == 2


def test_offer_filter_by_product_retailer_and_availability():
    in_stock = OfferFactory()
    out = OfferFactory(out_of_stock=True)
    assert filtered(OfferFilter, {"product": in_stock.product.slug}) == {in_stock}
    assert filtered(OfferFilter, {"retailer": out.retailer.slug}) == {out}
    assert filtered(OfferFilter, {"availability": "out_of_stock"}) == {out}
    assert "availability" in errors(OfferFilter, {"availability": "sometimes"})
