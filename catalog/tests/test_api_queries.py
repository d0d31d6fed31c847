"""Every list and detail endpoint runs a fixed number of queries, whatever the page size."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from .factories import OfferFactory, ProductFactory, ProductImageFactory, VideoProductFactory
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
    # A product with one image and one offer against one with three of each.
    lone = ProductFactory()
    ProductImageFactory(product=lone)
    OfferFactory(product=lone)
    VideoProductFactory(product=lone)
    pairs = {"product": (lone.pk, big_catalog["products"][0].pk)}
    for resource in RESOURCES:
        first, second = pairs.get(resource) or _two_ids(api_client, resource)
        # Both objects once first: per-process caches (sites, content types) warm up on a
        # first request after a transactional test, and are not what is measured here.
        for pk in (first, second):
            api_client.get(api_url(f"{resource}-detail", pk=pk))
        small, _ = count_queries(api_client, api_url(f"{resource}-detail", pk=first), {})
        with django_assert_num_queries(small):
            response = api_client.get(api_url(f"{resource}-detail", pk=second))
        assert response.status_code == 200
        assert small <= 10, (resource, small)


def _two_ids(client, resource):
    rows = client.get(api_url(f"{resource}-list"), {"page_size": 50}).json()["results"]
    return rows[0]["id"], rows[-1]["id"]
