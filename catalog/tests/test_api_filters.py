"""Filters, search and ordering over HTTP; bad values are 400s that name the parameter."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

import pytest

from catalog import models

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401

pytestmark = pytest.mark.django_db


def ids(client, name, params):
    response = client.get(api_url(name), params)
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def published(product):
    VideoProductFactory(product=product)
    return product


def test_products_by_type_style_brand_and_slug(api_client):
    shirt = published(ProductFactory(brand="Levi's"))
    jacket = published(
        ProductFactory(
            brand="Acne Studios",
            product_type=models.ProductType.objects.get(slug="jacket"),
            style=models.ProductStyle.objects.get(slug="high_end"),
        )
    )
    assert ids(api_client, "product-list", {"type": "shirt"}) == {shirt.pk}
    assert ids(api_client, "product-list", {"type": ["shirt", "jacket"]}) == {shirt.pk, jacket.pk}
    assert ids(api_client, "product-list", {"style": "high_end"}) == {jacket.pk}
    assert ids(api_client, "product-list", {"brand": "LEVI'S"}) == {shirt.pk}
    assert ids(api_client, "product-list", {"slug": jacket.slug}) == {jacket.pk}


def test_products_by_retailer_artist_video_and_scene(api_client):
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist])
    scene = SceneFactory(video=video)
    seen = AppearanceFactory(scene=scene).product
    shown = VideoProductFactory(video=video).product
    other = published(ProductFactory())
    offer = OfferFactory(product=other)
    assert ids(api_client, "product-list", {"video": video.slug}) == {seen.pk, shown.pk}
    assert ids(api_client, "product-list", {"artist": artist.slug}) == {seen.pk, shown.pk}
    assert ids(api_client, "product-list", {"scene": scene.pk}) == {seen.pk}
    assert ids(api_client, "product-list", {"retailer": offer.retailer.slug}) == {other.pk}


def test_products_by_price_range_currency_and_stock(api_client):
    cheap = published(OfferFactory(price=Decimal("15.00")).product)
    dear = published(OfferFactory(price=Decimal("150.00"), currency="EUR").product)
    gone = published(OfferFactory(price=Decimal("50.00"), out_of_stock=True).product)
    assert ids(api_client, "product-list", {"max_price": "20"}) == {cheap.pk}
    assert ids(api_client, "product-list", {"min_price": "100"}) == {dear.pk}
    assert ids(api_client, "product-list", {"min_price": "10", "currency": "EUR"}) == {dear.pk}
    assert ids(api_client, "product-list", {"in_stock": "true"}) == {cheap.pk, dear.pk}
    assert ids(api_client, "product-list", {"in_stock": "false"}) == {gone.pk}


def test_videos_by_artist_featured_release_dates_and_slug(api_client):
    artist = ArtistFactory()
    old = VideoFactory(artists=[artist], release_date=date(2013, 11, 21))
    new = VideoFactory(is_featured=True, release_date=date(2025, 6, 1))
    assert ids(api_client, "video-list", {"artist": artist.slug}) == {old.pk}
    assert ids(api_client, "video-list", {"featured": "true"}) == {new.pk}
    assert ids(api_client, "video-list", {"featured": "false"}) == {old.pk}
    assert ids(api_client, "video-list", {"released_after": "2020-01-01"}) == {new.pk}
    assert ids(api_client, "video-list", {"released_before": "2020-01-01"}) == {old.pk}
    assert ids(api_client, "video-list", {"slug": new.slug}) == {new.pk}


def test_offers_by_product_retailer_and_availability(api_client):
    product = published(ProductFactory())
    here = OfferFactory(product=product)
    gone = OfferFactory(product=product, out_of_stock=True)
    elsewhere = OfferFactory(product=published(ProductFactory()))
    assert ids(api_client, "offer-list", {"product": product.slug}) == {here.pk, gone.pk}
    assert ids(api_client, "offer-list", {"retailer": elsewhere.retailer.slug}) == {elsewhere.pk}
    assert ids(api_client, "offer-list", {"availability": "out_of_stock"}) == {gone.pk}


def test_child_resources_filter_by_their_parent(api_client):
    video = VideoFactory()
    source = VideoSourceFactory(video=video)
    VideoSourceFactory()
    scene = SceneFactory(video=video)
    SceneFactory()
    artist = ArtistFactory()
    cast = CastMemberFactory(video=video, artist=artist)
    CastMemberFactory()
    appearance = AppearanceFactory(scene=scene)
    AppearanceFactory()
    image = ProductImageFactory(product=appearance.product)
    assert ids(api_client, "videosource-list", {"video": video.slug}) == {source.pk}
    assert ids(api_client, "scene-list", {"video": video.slug}) == {scene.pk}
    assert ids(api_client, "castmember-list", {"video": video.slug}) == {cast.pk}
    assert ids(api_client, "castmember-list", {"artist": artist.slug}) == {cast.pk}
    assert ids(api_client, "appearance-list", {"video": video.slug}) == {appearance.pk}
    assert ids(api_client, "appearance-list", {"scene": scene.pk}) == {appearance.pk}
    assert ids(api_client, "appearance-list", {"product": appearance.product.slug}) == {
        appearance.pk
    }
    assert ids(api_client, "productimage-list", {"product": appearance.product.slug}) == {image.pk}
    assert ids(api_client, "artist-list", {"video": video.slug}) == set()
    video.artists.add(artist)
    assert ids(api_client, "artist-list", {"video": video.slug}) == {artist.pk}


SYNCED = {
    "artist": (models.Artist, ArtistFactory),
    "video": (models.Video, VideoFactory),
    "videosource": (models.VideoSource, VideoSourceFactory),
    "scene": (models.Scene, SceneFactory),
    "castmember": (models.CastMember, CastMemberFactory),
    "appearance": (models.Appearance, AppearanceFactory),
    "product": (models.Product, lambda: published(ProductFactory())),
    "productimage": (
        models.ProductImage,
        lambda: ProductImageFactory(product=published(ProductFactory())),
    ),
    "retailer": (models.Retailer, RetailerFactory),
    "offer": (models.Offer, lambda: OfferFactory(product=published(ProductFactory()))),
    "producttype": (models.ProductType, None),
    "productstyle": (models.ProductStyle, None),
}


@pytest.mark.parametrize("resource", SYNCED)
def test_every_list_filters_by_updated_after(api_client, resource):
    model, make = SYNCED[resource]
    if make is not None:
        make()
    long_ago = timezone.now() - timedelta(days=30)
    model.objects.update(updated_at=long_ago)
    fresh = model.objects.order_by("pk").first()
    fresh.save()
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(api_client, f"{resource}-list", {"updated_after": since}) == {fresh.pk}
    response = api_client.get(api_url(f"{resource}-list"), {"updated_after": "last week"})
    assert response.status_code == 400
    assert list(response.json()) == ["updated_after"]


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("product-list", {"type": "no-such-type"}, "type"),
        ("product-list", {"style": "nope"}, "style"),
        ("product-list", {"retailer": "nobody"}, "retailer"),
        ("product-list", {"artist": "nobody"}, "artist"),
        ("product-list", {"video": "nothing"}, "video"),
        ("product-list", {"scene": "first"}, "scene"),
        ("product-list", {"min_price": "free"}, "min_price"),
        ("product-list", {"max_price": "-3"}, "max_price"),
        ("product-list", {"min_price": "9", "max_price": "1"}, "max_price"),
        ("product-list", {"currency": "DOGE"}, "currency"),
        ("product-list", {"in_stock": "perhaps"}, "in_stock"),
        ("product-list", {"ordering": "price"}, "ordering"),
        ("video-list", {"artist": "nobody"}, "artist"),
        ("video-list", {"featured": "sometimes"}, "featured"),
        ("video-list", {"released_after": "2020-13-45"}, "released_after"),
        ("video-list", {"released_before": "soon"}, "released_before"),
        ("video-list", {"ordering": "-popularity"}, "ordering"),
        ("offer-list", {"product": "nothing"}, "product"),
        ("offer-list", {"retailer": "nobody"}, "retailer"),
        ("offer-list", {"availability": "maybe"}, "availability"),
        ("scene-list", {"video": "nothing"}, "video"),
        ("appearance-list", {"scene": "x"}, "scene"),
        ("artist-list", {"ordering": "password"}, "ordering"),
    ],
)
def test_bad_filter_values_are_400s_naming_the_parameter(api_client, name, params, parameter):
    published(ProductFactory())
    response = api_client.get(api_url(name), params)
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_draft_video_slug_is_not_a_valid_filter_for_the_public(api_client):
    draft = VideoFactory(draft=True)
    response = api_client.get(api_url("product-list"), {"video": draft.slug})
    assert response.status_code == 400
    assert list(response.json()) == ["video"]


# MariaDB's full-text index sees only committed rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_search_products_by_brand_name_or_upc(api_client):
    hat = published(ProductFactory(brand="Vivienne Westwood", name="Mountain hat"))
    published(ProductFactory(brand="Zara", name="Scarf"))
    assert ids(api_client, "product-list", {"search": "westwood"}) == {hat.pk}
    assert ids(api_client, "product-list", {"search": "MOUNTAIN HATS"}) == {hat.pk}
    assert ids(api_client, "product-list", {"search": hat.upc}) == {hat.pk}
    assert ids(api_client, "product-list", {"search": "westwood scarf"}) == set()


def test_an_overlong_product_search_is_a_400(api_client):
    response = api_client.get(api_url("product-list"), {"search": "x" * 101})
    assert response.status_code == 400
    assert list(response.json()) == ["search"]


def test_search_videos_artists_and_retailers(api_client):
    video = VideoFactory(title="Happy")
    artist = ArtistFactory(name="Pharrell Williams")
    retailer = RetailerFactory(name="Selfridges")
    assert ids(api_client, "video-list", {"search": "happ"}) == {video.pk}
    assert ids(api_client, "artist-list", {"search": "pharrell"}) == {artist.pk}
    assert ids(api_client, "retailer-list", {"search": "selfr"}) == {retailer.pk}


def test_ordering_by_name_and_descending(api_client):
    names = ["Bravo", "Alpha", "Charlie"]
    for name in names:
        ArtistFactory(name=name)
    ascending = api_client.get(api_url("artist-list"), {"ordering": "name"}).json()["results"]
    assert [row["name"] for row in ascending] == sorted(names)
    descending = api_client.get(api_url("artist-list"), {"ordering": "-name"}).json()["results"]
    assert [row["name"] for row in descending] == sorted(names, reverse=True)


def test_products_order_by_name_across_cursor_pages(api_client):
    for name in ["Delta", "Alpha", "Charlie", "Bravo"]:
        published(ProductFactory(name=name))
    first = api_client.get(api_url("product-list"), {"ordering": "name", "page_size": 2}).json()
    second = api_client.get(first["next"]).json()
    names = [row["name"] for row in first["results"] + second["results"]]
    assert names == ["Alpha", "Bravo", "Charlie", "Delta"]
