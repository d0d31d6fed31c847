from datetime import timedelta

from django.urls import reverse

import pytest

from catalog.models import Click
from catalog.tests.factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer():
    """An offer of a product shown in a published video's scene."""
    retailer = RetailerFactory(link_template="{url}?utm_source=inspired")
    scene = SceneFactory(video=VideoFactory(), start=timedelta(0), end=timedelta(seconds=5))
    product = ProductFactory()
    AppearanceFactory(scene=scene, product=product)
    return OfferFactory(
        product=product, retailer=retailer, url="https://shop.example.com/p/1?colour=red"
    )


def go(offer_id):
    return reverse("storefront:go", kwargs={"offer_id": offer_id})


def test_click_is_recorded_and_redirects_to_the_stored_url_with_the_template(client, offer):
    scene = offer.product.appearances.get().scene

    response = client.get(
        go(offer.pk),
        {"video": scene.video_id, "scene": scene.pk},
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Test Browser",
    )

    target = "https://shop.example.com/p/1?colour=red&utm_source=inspired"
    assert response.status_code == 302
    assert response["Location"] == target
    click = Click.objects.get()
    assert click.offer == offer
    assert click.product == offer.product
    assert click.retailer == offer.retailer
    assert click.video == scene.video
    assert click.scene == scene
    assert click.target_url == target
    assert len(click.visitor_hash) == 64
    assert "203.0.113.7" not in click.visitor_hash


def test_click_out_is_not_indexed_or_cached(client, offer):
    response = client.get(go(offer.pk))

    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]


def test_retailer_without_template_gets_the_stored_url_as_is(client):
    offer = OfferFactory(url="https://plain.example.com/item")
    VideoProductFactory(product=offer.product)

    response = client.get(go(offer.pk))

    assert response["Location"] == "https://plain.example.com/item"
    assert Click.objects.get().video is None


@pytest.mark.parametrize(
    "params",
    [
        {"next": "//evil.example"},
        {"next": "/\\evil.example"},
        {"url": "https://evil.example/"},
        {"url": "javascript:alert(1)"},
        {"redirect": "%2F%2Fevil.example"},
        {"to": "http%3A%2F%2Fevil.example"},
        {"video": "//evil.example", "scene": "/\\evil.example"},
    ],
)
def test_hostile_parameters_never_change_the_target(client, offer, params):
    response = client.get(go(offer.pk), params)

    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/p/1?colour=red&utm_source=inspired"
    assert Click.objects.get().video is None


@pytest.mark.parametrize(
    "path",
    [
        "/go//evil.example/",
        "/go/%2F%2Fevil.example/",
        "/go/%5C%5Cevil.example/",
        "/go/https%3A%2F%2Fevil.example/",
        "/go/javascript:alert(1)/",
        "/go/1e3/",
        "/go/-1/",
        "/go/99999999/",
        "/go/99999999999999999999999999/",
    ],
)
def test_hostile_or_unknown_offer_ids_are_404(client, offer, path):
    response = client.get(path)

    assert response.status_code == 404
    assert not Click.objects.exists()


def test_offer_of_a_product_in_no_published_video_is_404(client):
    offer = OfferFactory()
    VideoProductFactory(product=offer.product, video=VideoFactory(draft=True))

    assert client.get(go(offer.pk)).status_code == 404
    assert not Click.objects.exists()


def test_a_scene_or_video_that_does_not_show_the_product_is_not_credited(client, offer):
    other_video = VideoFactory()
    other_scene = SceneFactory(video=other_video)

    client.get(go(offer.pk), {"video": other_video.pk, "scene": other_scene.pk})

    click = Click.objects.get()
    assert click.video is None
    assert click.scene is None


def test_a_video_that_shows_the_product_is_credited_without_a_scene(client, offer):
    video = offer.product.appearances.get().scene.video

    client.get(go(offer.pk), {"video": video.pk})

    click = Click.objects.get()
    assert click.video == video
    assert click.scene is None


def test_visitor_hash_is_stable_for_a_visitor_and_differs_between_visitors(client, offer):
    for agent in ["Browser A", "Browser A", "Browser B"]:
        client.get(go(offer.pk), REMOTE_ADDR="198.51.100.1", HTTP_USER_AGENT=agent)

    first, second, third = Click.objects.order_by("pk").values_list("visitor_hash", flat=True)
    assert first == second
    assert first != third


def test_head_requests_redirect_without_recording_a_click(client, offer):
    response = client.head(go(offer.pk))

    assert response.status_code == 302
    assert not Click.objects.exists()


def test_post_is_refused(client, offer):
    response = client.post(go(offer.pk))

    assert response.status_code == 405
    assert not Click.objects.exists()


def test_click_out_query_count_is_fixed(client, offer, django_assert_num_queries):
    scene = offer.product.appearances.get().scene

    # offer with retailer and product, the scene check, the insert
    with django_assert_num_queries(3):
        client.get(go(offer.pk), {"video": scene.video_id, "scene": scene.pk})


def test_buy_links_go_through_the_click_out_and_are_sponsored(client, offer):
    scene = offer.product.appearances.get().scene

    video_page = client.get(scene.video.get_absolute_url()).text
    product_page = client.get(offer.product.get_absolute_url()).text

    expected = f'href="{go(offer.pk)}?scene={scene.pk}&amp;video={scene.video_id}"'
    assert f'{expected} rel="sponsored noopener"' in video_page
    assert f'href="{go(offer.pk)}" rel="sponsored noopener"' in product_page
    assert "may earn Inspired a commission" in video_page
    assert "may earn Inspired a commission" in product_page
