import json
from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

import pytest
from whitenoise.middleware import WhiteNoiseMiddleware

from catalog.analytics.rollup import refresh_click_rollup
from catalog.models import Appearance, Offer, ProductType
from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    ClickFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)
from storefront.models import FollowedArtist
from storefront.views import CountedPaginator, media

pytestmark = pytest.mark.django_db


def make_shoppable_video(scenes=3, per_scene=2, **video_kwargs):
    """Build a published video with scenes, a worn product per scene and two offers each."""
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist], **video_kwargs)
    VideoSourceFactory(video=video)
    cast = CastMemberFactory(video=video, name="The Singer", performer_name="")
    products = []
    for index in range(scenes):
        scene = SceneFactory(
            video=video,
            title=f"Chorus {index}",
            start=timedelta(seconds=4 * index),
            end=timedelta(seconds=4 * index + 4),
        )
        scene.cast_members.add(cast)
        for extra in range(per_scene):
            tier = [{}, {"affordable": True}, {"premium": True}][extra % 3]
            product = ProductFactory(**tier)
            ProductImageFactory(product=product, position=0)
            OfferFactory(product=product, price=Decimal("50.00"))
            OfferFactory(product=product, price=Decimal("30.00"), out_of_stock=True)
            AppearanceFactory(
                scene=scene,
                product=product,
                cast_member=cast if extra == 0 else None,
                match=Appearance.Match.EXACT if extra == 0 else Appearance.Match.SIMILAR,
            )
            products.append(product)
    return video, products


# Home


def test_home_lists_featured_and_newest_videos_and_artists(client):
    featured = VideoFactory(title="Featured One", is_featured=True, artists=[ArtistFactory()])
    newest = VideoFactory(title="Plain New One")
    draft = VideoFactory(title="Secret Draft", draft=True, is_featured=True)

    response = client.get(reverse("storefront:home"))

    assert response.status_code == 200
    assert list(response.context["featured_videos"]) == [featured]
    # A featured video is not shown a second time under "New videos".
    assert list(response.context["newest_videos"]) == [newest]
    assert list(response.context["artists"]) == list(featured.artists.all())
    assert draft.title not in response.text


@pytest.mark.parametrize("count", [2, 10])
def test_home_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        VideoFactory(is_featured=True, artists=[ArtistFactory()])
        video = VideoFactory(artists=[ArtistFactory()])
        product = ProductFactory()
        ProductImageFactory(product=product)
        offer = OfferFactory(product=product)
        VideoProductFactory(video=video, product=product)
        ClickFactory(offer=offer)
    refresh_click_rollup(now=timezone.now() + timedelta(minutes=1))

    # featured + their artists, newest + their artists, the click ranking, trending
    # products + images + offers, newest products + types + styles + images + offers, artists
    with django_assert_num_queries(14):
        response = client.get(reverse("storefront:home"))

    assert response.status_code == 200
    assert len(response.context["trending_products"]) == min(count, 8)


# Artists


def test_artist_list_shows_only_artists_with_published_videos(client):
    shown = ArtistFactory(name="Shown Artist")
    VideoFactory(artists=[shown])
    hidden = ArtistFactory(name="Draft Only Artist")
    VideoFactory(artists=[hidden], draft=True)

    response = client.get(reverse("storefront:artist-list"))

    assert list(response.context["artists"]) == [shown]
    assert "Draft Only Artist" not in response.text


@pytest.mark.parametrize("count", [2, 10])
def test_artist_list_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        VideoFactory(artists=[ArtistFactory()])

    # count, page
    with django_assert_num_queries(2):
        response = client.get(reverse("storefront:artist-list"))

    assert len(response.context["artists"]) == count


def test_artist_page_shows_bio_and_published_videos_only(client):
    artist = ArtistFactory(bio="Sings in the rain.")
    video = VideoFactory(title="Rainy Day", artists=[artist])
    VideoFactory(title="Unreleased Cut", artists=[artist], draft=True)

    response = client.get(artist.get_absolute_url())

    assert response.status_code == 200
    assert response.context["videos"] == [video]
    assert "Sings in the rain." in response.text
    assert "Unreleased Cut" not in response.text
    assert '<div class="actions">' in response.text


@pytest.mark.parametrize("count", [2, 10])
def test_artist_page_query_count_is_constant(client, django_assert_num_queries, count):
    artist = ArtistFactory()
    for _ in range(count):
        VideoFactory(artists=[artist, ArtistFactory()])

    # artist, videos, videos' artists
    with django_assert_num_queries(3):
        response = client.get(artist.get_absolute_url())

    assert len(response.context["videos"]) == count


def test_unknown_artist_is_404_in_the_site_style(client):
    response = client.get(reverse("storefront:artist-detail", kwargs={"slug": "nobody"}))

    assert response.status_code == 404
    assert "We could not find that page" in response.text


# Videos


@pytest.mark.parametrize("count", [2, 10])
def test_video_list_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        VideoFactory(artists=[ArtistFactory()])
    VideoFactory(draft=True)

    # count, page, artists
    with django_assert_num_queries(3):
        response = client.get(reverse("storefront:video-list"))

    assert len(response.context["videos"]) == count


def test_video_page_shows_player_chapters_scene_panel_and_looks(client):
    video, products = make_shoppable_video(scenes=2)
    first_scene = video.scenes.order_by("start").first()

    response = client.get(video.get_absolute_url())

    assert response.status_code == 200
    html = response.text
    source = video.sources.get()
    assert f"youtube-nocookie.com/embed/{source.external_id}" in html
    # Chapters link to the scene's moment and its anchor.
    assert f'href="?t=0#scene-{first_scene.pk}"' in html
    assert f'href="?t=4#scene-{video.scenes.order_by("start").last().pk}"' in html
    # The scene panel: who wears it and how close the match is.
    assert 'aria-live="polite"' in html
    assert "Worn by The Singer" in html
    assert "Exact item" in html
    assert "Similar" in html
    assert response.context["current_scene"] == first_scene
    assert [product for _, product in first_scene_items(response)] == products[:2]
    # Every look, grouped by tier, without JavaScript.
    assert '<h3 id="look-original">As seen</h3>' in html
    assert '<h3 id="look-low_end">Affordable</h3>' in html
    assert {p.pk for p in response.context["looks"]} == {p.pk for p in products}


def first_scene_items(response):
    return response.context["scenes"][0].panel_items


def test_video_page_opens_at_the_scene_of_t(client):
    video, _ = make_shoppable_video(scenes=3)
    scenes = list(video.scenes.order_by("start"))

    response = client.get(video.get_absolute_url(), {"t": "9"})

    assert response.context["start"] == 9
    assert response.context["current_scene"] == scenes[2]
    assert response.context["player_config"]["start"] == 9
    assert "start=9" in response.text


@pytest.mark.parametrize("value", ["abc", "-5", "nan", "1e400", "99999999"])
def test_video_page_ignores_a_bad_t(client, value):
    video, _ = make_shoppable_video(scenes=1)

    response = client.get(video.get_absolute_url(), {"t": value})

    assert response.status_code == 200
    assert response.context["start"] == 0


def test_video_page_applies_the_source_offset_to_the_player(client):
    video = VideoFactory()
    VideoSourceFactory(
        video=video,
        provider="mp4",
        external_id="",
        url="https://cdn.example.com/v.mp4",
        offset=timedelta(seconds=2),
    )

    response = client.get(video.get_absolute_url(), {"t": "5"})

    assert response.context["player_config"]["offset"] == 2.0
    assert 'src="https://cdn.example.com/v.mp4#t=7"' in response.text


def test_draft_video_is_404_for_the_public_and_visible_to_staff(client, staff_user):
    video = VideoFactory(draft=True)

    assert client.get(video.get_absolute_url()).status_code == 404

    client.force_login(staff_user)
    assert client.get(video.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("scenes", [2, 10])
def test_video_page_query_count_is_constant(client, django_assert_num_queries, scenes):
    video, _ = make_shoppable_video(scenes=scenes)

    # video, artists, sources, scenes, scene cast, appearances, the video's product ids,
    # products, images, offers
    with django_assert_num_queries(10):
        response = client.get(video.get_absolute_url())

    assert len(response.context["scenes"]) == scenes


# Products


def test_product_page_lists_the_best_offer_first_then_the_out_of_stock(client):
    video, products = make_shoppable_video(scenes=1, per_scene=1)
    product = products[0]
    cheap_gone, dear = product.offers.order_by("price")
    broken = OfferFactory(product=product, price=Decimal("1.00"))
    Offer.objects.filter(pk=broken.pk).update(failed_checks=5)

    response = client.get(product.get_absolute_url())

    assert response.status_code == 200
    assert response.context["offers"] == [dear, cheap_gone]
    assert response.context["best_offer"] == dear
    html = response.text
    assert f'class="offer offer--unavailable" data-offer="{cheap_gone.pk}"' in html
    assert f'class="offer offer--best" data-offer="{dear.pk}"' in html
    assert "Out of stock" in html
    assert "may earn Inspired a commission" in html
    assert f'data-offer="{broken.pk}"' not in html
    assert 'rel="sponsored noopener"' in html
    assert list(response.context["videos"]) == [video]
    assert product.images.get().alt_text in html


def test_product_page_shows_where_it_is_seen_and_the_same_looks(client):
    video, products = make_shoppable_video(scenes=1, per_scene=3)
    product, similar, alternative = products

    response = client.get(product.get_absolute_url())

    assert [a.scene.video for a in response.context["appearances"]] == [video]
    assert "worn by The Singer" in response.text
    assert list(response.context["related"]) == [similar, alternative]


def test_product_only_in_a_draft_video_is_404(client):
    product = ProductFactory()
    VideoProductFactory(video=VideoFactory(draft=True), product=product)

    assert client.get(product.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("count", [2, 10])
def test_product_page_query_count_is_constant(client, django_assert_num_queries, count):
    _, products = make_shoppable_video(scenes=count, per_scene=1)
    product = products[0]
    for _ in range(count):
        OfferFactory(product=product)
        ProductImageFactory(product=product)
    for other in products[1:]:
        AppearanceFactory(scene=product.appearances.get().scene, product=other)

    # product, images, shoppable offers, listed offers, the product's video ids, videos,
    # their artists, appearances, the videos' product ids, related, related images,
    # related offers
    with django_assert_num_queries(12):
        response = client.get(product.get_absolute_url())

    assert len(response.context["offers"]) == count + 2


# Browse and search


def test_browse_filters_by_type_brand_retailer_price_and_stock(client):
    video, products = make_shoppable_video(scenes=1, per_scene=3)
    shoe = ProductType.objects.get(slug="shoe")
    first, second, _third = products
    first.product_type = shoe
    first.brand = "Acme"
    first.save()
    special = RetailerFactory(name="Special Shop")
    OfferFactory(product=second, retailer=special, price=Decimal("5.00"))

    def slugs(**params):
        response = client.get(reverse("storefront:product-list"), params)
        assert response.status_code == 200
        return [p.slug for p in response.context["products"]]

    assert slugs(type="shoe") == [first.slug]
    assert slugs(brand="acme") == [first.slug]
    assert slugs(retailer="special-shop") == [second.slug]
    assert slugs(max_price="10") == [second.slug]
    assert sorted(slugs(in_stock="true")) == sorted(p.slug for p in products)
    assert slugs(artist=video.artists.get().slug, type="shoe") == [first.slug]


def test_browse_shows_facet_counts_that_ignore_their_own_selection(client):
    _, products = make_shoppable_video(scenes=2, per_scene=2)
    products[0].product_type = ProductType.objects.get(slug="shoe")
    products[0].save()

    response = client.get(reverse("storefront:product-list"), {"type": "shoe"})

    types = {
        row["slug"]: (row["count"], row["selected"]) for row in response.context["facets"]["type"]
    }
    assert types == {"shoe": (1, True), "shirt": (3, False)}
    styles = {row["slug"]: row["count"] for row in response.context["facets"]["style"]}
    assert styles == {"original": 1}
    assert 'value="shoe" checked' in response.text
    assert "(3)" in response.text


def test_browse_sorts_by_price(client):
    _, products = make_shoppable_video(scenes=1, per_scene=3)
    for product, price in zip(products, ["80.00", "10.00", "40.00"], strict=True):
        OfferFactory(product=product, price=Decimal(price))

    response = client.get(reverse("storefront:product-list"), {"sort": "price"})

    assert list(response.context["products"]) == [products[1], products[2], products[0]]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "no-such-type"},
        {"min_price": "cheap"},
        {"min_price": "9", "max_price": "1"},
        {"sort": "sideways"},
        {"in_stock": "maybe"},
    ],
)
def test_browse_answers_bad_filters_with_400_and_the_form_errors(client, params):
    make_shoppable_video(scenes=1, per_scene=1)

    response = client.get(reverse("storefront:product-list"), params)

    assert response.status_code == 400
    assert "Some filters could not be used" in response.text
    assert list(response.context["products"]) == []


def test_browse_paginates(client):
    make_shoppable_video(scenes=13, per_scene=2)

    first = client.get(reverse("storefront:product-list"))
    second = client.get(reverse("storefront:product-list"), {"page": 2})

    assert len(first.context["products"]) == 24
    assert len(second.context["products"]) == 2
    assert 'rel="next"' in first.text


@pytest.mark.parametrize("count", [2, 10])
def test_browse_query_count_is_constant(client, django_assert_num_queries, count):
    make_shoppable_video(scenes=count, per_scene=1)

    # count, the page's ids, page, types, styles, images, offers, four facets, the artist
    # choice
    with django_assert_num_queries(12):
        response = client.get(reverse("storefront:product-list"))

    assert len(response.context["products"]) == count


# Retailers


def test_retailer_page_lists_its_published_products(client):
    _, products = make_shoppable_video(scenes=1, per_scene=2)
    retailer = RetailerFactory()
    OfferFactory(product=products[0], retailer=retailer)
    OfferFactory(product=ProductFactory(), retailer=retailer)  # in no published video

    response = client.get(retailer.get_absolute_url())

    assert response.status_code == 200
    assert list(response.context["products"]) == [products[0]]


@pytest.mark.parametrize("count", [2, 10])
def test_retailer_page_query_count_is_constant(client, django_assert_num_queries, count):
    _, products = make_shoppable_video(scenes=count, per_scene=1)
    retailer = RetailerFactory()
    for product in products:
        OfferFactory(product=product, retailer=retailer)

    # retailer, count, the page's ids, page, types, styles, images, offers
    with django_assert_num_queries(8):
        response = client.get(retailer.get_absolute_url())

    assert len(response.context["products"]) == count


# Caching


def test_anonymous_pages_are_publicly_cacheable_and_vary_on_cookie(client):
    video, _ = make_shoppable_video(scenes=1)

    response = client.get(video.get_absolute_url())

    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_signed_in_pages_are_private(client, plain_user):
    client.force_login(plain_user)

    response = client.get(reverse("storefront:home"))

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_home_shows_new_videos_of_followed_artists_to_a_signed_in_person(client, plain_user):
    followed = ArtistFactory()
    video = VideoFactory(title="Followed Artist Video", artists=[followed])
    VideoFactory(title="Someone Else Video", artists=[ArtistFactory()])
    FollowedArtist.objects.create(user=plain_user, artist=followed)
    client.force_login(plain_user)

    response = client.get(reverse("storefront:home"))

    assert list(response.context["followed_videos"]) == [video]
    assert "New from artists you follow" in response.text


# Uploaded media served by the site


def test_media_answer_byte_ranges_so_videos_can_seek(rf, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "clip.mp4").write_bytes(bytes(range(100)))

    whole = media(rf.get("/media/clip.mp4"), "clip.mp4")
    middle = media(rf.get("/media/clip.mp4", HTTP_RANGE="bytes=10-19"), "clip.mp4")
    tail = media(rf.get("/media/clip.mp4", HTTP_RANGE="bytes=-5"), "clip.mp4")
    beyond = media(rf.get("/media/clip.mp4", HTTP_RANGE="bytes=500-"), "clip.mp4")

    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert middle.status_code == 206
    assert b"".join(middle.streaming_content) == bytes(range(10, 20))
    assert middle["Content-Range"] == "bytes 10-19/100"
    assert b"".join(tail.streaming_content) == bytes(range(95, 100))
    assert beyond.status_code == 416


# Error pages and static files


def test_500_page_renders_without_a_request_or_database():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert "/static/storefront/css/site.css" in html


@pytest.mark.slow
def test_static_files_are_served_compressed_with_long_cache_lifetimes(rf, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    paths = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    whitenoise = WhiteNoiseMiddleware(get_response=lambda request: HttpResponse(status=404))

    for name in ["storefront/css/site.css", "storefront/js/video-page.js"]:
        response = whitenoise(rf.get(f"/static/{paths[name]}", HTTP_ACCEPT_ENCODING="gzip"))
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "immutable" in response["Cache-Control"]
        assert "max-age=315360000" in response["Cache-Control"]


def test_browse_pages_keep_the_sort_order_across_pages(client):
    products = [AppearanceFactory().product for _ in range(27)]
    for number, product in enumerate(products):
        OfferFactory(product=product, price=Decimal(100 - number))
    url = reverse("storefront:product-list")

    first = client.get(url, {"sort": "price"}).context["products"]
    second = client.get(url, {"sort": "price", "page": 2}).context["products"]

    assert [p.pk for p in [*first, *second]] == [p.pk for p in reversed(products)]
    assert client.get(url, {"sort": "price", "page": 3}).status_code == 404


def test_browse_pages_reach_the_first_products_and_say_how_to_find_the_others(client, monkeypatch):
    monkeypatch.setattr(CountedPaginator, "MAX_PAGED", 48)
    products = [AppearanceFactory().product for _ in range(60)]
    for number, product in enumerate(products):
        OfferFactory(product=product, price=Decimal(100 - number))
    url = reverse("storefront:product-list")

    last = client.get(url, {"sort": "price", "page": 2})
    cheapest_last = client.get(url, {"sort": "-price"}).context["products"]

    assert "60 products" in last.text
    assert "Page 2 of 2" in last.text
    assert 'rel="next"' not in last.text
    assert "Pages reach the first 48 of 60 products" in last.text
    assert client.get(url, {"sort": "price", "page": 3}).status_code == 404
    assert products[0] in cheapest_last  # past the pages in one order, first in the other
    assert "Pages reach" not in client.get(url, {"sort": "price"}).text
