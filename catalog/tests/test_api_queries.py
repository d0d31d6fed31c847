"""Every list and detail endpoint runs a fixed number of queries, whatever the page size."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url, build_catalog  # noqa: F401

pytestmark = pytest.mark.django_db

LISTS = [
    "artist-list",
    "video-list",
    "videosource-list",
    "scene-list",
    "castmember-list",
    "appearance-list",
    "product-list",
    "productimage-list",
    "producttype-list",
    "productstyle-list",
    "retailer-list",
    "offer-list",
]


@pytest.fixture
def big_catalog():
    return build_catalog(50, children=3)


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries), response


def test_every_list_runs_the_same_queries_at_page_sizes_5_and_50(
    api_client, big_catalog, django_assert_num_queries
):
    video = big_catalog["videos"][0]
    urls = [api_url(name) for name in LISTS] + [
        api_url("video-scenes", pk=video.pk),
        api_url("video-products", pk=video.pk),
    ]
    for url in urls:
        small, response = count_queries(api_client, url, {"page_size": 5})
        assert len(response.json()["results"]) == 5, url
        with django_assert_num_queries(small):
            response = api_client.get(url, {"page_size": 50})
        assert len(response.json()["results"]) >= 48, url
        assert small <= 12, (url, small)


def test_product_list_with_every_filter_still_runs_fixed_queries(
    api_client, big_catalog, django_assert_num_queries
):
    params = {
        "type": "shirt",
        "style": "original",
        "artist": big_catalog["artists"][0].slug,
        "min_price": "0",
        "max_price": "1000",
        "currency": "USD",
        "in_stock": "true",
        "updated_after": "2000-01-01T00:00:00Z",
        "search": "Item",
        "ordering": "name",
    }
    small, _ = count_queries(api_client, api_url("product-list"), {**params, "page_size": 5})
    with django_assert_num_queries(small):
        api_client.get(api_url("product-list"), {**params, "page_size": 50})


RESOURCES = [name.removesuffix("-list") for name in LISTS]


def test_every_detail_runs_the_same_queries_for_small_and_large_objects(
    api_client, big_catalog, django_assert_num_queries
):
    # Each resource's detail, for an object with one child at every level and for one of
    # the big catalog's with several: the main video has many scenes, each with cast and
    # looks, where the lone video has one of each.
    lone = _lone_objects()
    video = big_catalog["videos"][0]
    scene = big_catalog["scenes"][0]
    product = big_catalog["products"][0]
    appearance = scene.appearances.first()
    large = {
        "artist": big_catalog["artists"][1],  # two videos, the main one among them
        "video": video,
        "videosource": video.sources.first(),
        "scene": scene,
        "castmember": appearance.cast_member,
        "appearance": appearance,
        "product": product,
        "productimage": product.images.first(),
        "producttype": product.product_type,
        "productstyle": product.style,
        "retailer": product.offers.first().retailer,
        "offer": product.offers.first(),
    }
    assert set(large) == set(RESOURCES)
    for resource in RESOURCES:
        first, second = lone[resource].pk, large[resource].pk
        # Both objects once first: per-process caches (sites, content types) warm up on a
        # first request after a transactional test, and are not what is measured here.
        for pk in (first, second):
            api_client.get(api_url(f"{resource}-detail", pk=pk))
        small, _ = count_queries(api_client, api_url(f"{resource}-detail", pk=first), {})
        with django_assert_num_queries(small):
            response = api_client.get(api_url(f"{resource}-detail", pk=second))
        assert response.status_code == 200
        assert small <= 10, (resource, small)


def _lone_objects():
    """One published video and product with a single child at every level."""
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist])
    source = VideoSourceFactory(video=video)
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=9))
    member = CastMemberFactory(video=video)
    scene.cast_members.set([member])
    product = ProductFactory()
    image = ProductImageFactory(product=product)
    offer = OfferFactory(product=product)
    VideoProductFactory(video=video, product=product)
    appearance = AppearanceFactory(scene=scene, product=product, cast_member=member)
    return {
        "artist": artist,
        "video": video,
        "videosource": source,
        "scene": scene,
        "castmember": member,
        "appearance": appearance,
        "product": product,
        "productimage": image,
        "producttype": product.product_type,
        "productstyle": product.style,
        "retailer": offer.retailer,
        "offer": offer,
    }
