"""Saving products and following artists: the endpoints, the lists and the home section."""

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

import pytest

from catalog.tests.factories import (
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
)
from storefront import services
from storefront.models import FollowedArtist, SavedProduct

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    "https:evil.example",
    "%2F%2Fevil.example",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth rate-limits by IP in the cache; one test's requests must not throttle the next.
    cache.clear()


def published_product(**kwargs):
    product = ProductFactory(**kwargs)
    VideoProductFactory(video=VideoFactory(), product=product)
    return product


@pytest.fixture
def shopper(db):
    return UserFactory()


@pytest.fixture
def shopper_client(shopper):
    client = Client()
    client.force_login(shopper)
    return client


# Services


def test_save_product_is_idempotent(shopper):
    product = published_product()

    first = services.save_product(user=shopper, product=product)
    second = services.save_product(user=shopper, product=product)

    assert first.pk == second.pk
    assert SavedProduct.objects.filter(user=shopper, product=product).count() == 1


def test_unsave_product_removes_the_save_and_tolerates_a_second_call(shopper):
    product = published_product()
    services.save_product(user=shopper, product=product)

    services.unsave_product(user=shopper, product=product)
    services.unsave_product(user=shopper, product=product)

    assert not SavedProduct.objects.filter(user=shopper).exists()


def test_follow_and_unfollow_artist_are_idempotent(shopper):
    artist = ArtistFactory()

    services.follow_artist(user=shopper, artist=artist)
    services.follow_artist(user=shopper, artist=artist)
    assert FollowedArtist.objects.filter(user=shopper, artist=artist).count() == 1

    services.unfollow_artist(user=shopper, artist=artist)
    services.unfollow_artist(user=shopper, artist=artist)
    assert not FollowedArtist.objects.filter(user=shopper).exists()


def test_the_database_refuses_a_second_save_of_the_same_pair(shopper):
    product = published_product()
    SavedProduct.objects.create(user=shopper, product=product)

    with pytest.raises(IntegrityError), transaction.atomic():
        SavedProduct.objects.create(user=shopper, product=product)


def test_the_database_refuses_a_second_follow_of_the_same_pair(shopper):
    artist = ArtistFactory()
    FollowedArtist.objects.create(user=shopper, artist=artist)

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowedArtist.objects.create(user=shopper, artist=artist)


# QuerySets


def test_saved_by_returns_only_that_persons_saves_newest_first(shopper):
    older, newer, theirs = published_product(), published_product(), published_product()
    services.save_product(user=shopper, product=older)
    services.save_product(user=shopper, product=newer)
    services.save_product(user=UserFactory(), product=theirs)

    saved = list(SavedProduct.objects.by(shopper).values_list("product_id", flat=True))

    assert saved == [newer.pk, older.pk]


def test_saved_visible_to_hides_products_no_longer_published(shopper):
    shown = published_product()
    hidden = ProductFactory()
    VideoProductFactory(video=VideoFactory(draft=True), product=hidden)
    services.save_product(user=shopper, product=shown)
    services.save_product(user=shopper, product=hidden)

    visible = SavedProduct.objects.by(shopper).visible_to(shopper)

    assert list(visible.values_list("product_id", flat=True)) == [shown.pk]


def test_followed_videos_are_the_published_videos_of_followed_artists_once_each(shopper):
    followed, other = ArtistFactory(), ArtistFactory(name="Somebody Else")
    duet = VideoFactory(artists=[followed, ArtistFactory()])
    solo = VideoFactory(artists=[followed])
    VideoFactory(artists=[followed], draft=True)
    VideoFactory(artists=[other])
    services.follow_artist(user=shopper, artist=followed)
    # A second follow of another artist in the duet must not list the duet twice.
    services.follow_artist(user=shopper, artist=duet.artists.exclude(pk=followed.pk).get())

    videos = FollowedArtist.objects.by(shopper).videos()

    assert sorted(videos.values_list("pk", flat=True)) == sorted([duet.pk, solo.pk])


def test_anonymous_visitors_have_no_saves_or_follows():
    assert list(SavedProduct.objects.by(AnonymousUser())) == []
    assert list(FollowedArtist.objects.by(AnonymousUser()).videos()) == []


# The Save endpoints


def test_saving_redirects_back_to_the_page_it_came_from(shopper, shopper_client):
    product = published_product()

    response = shopper_client.post(
        reverse("accounts:save-product", args=[product.slug]), {"next": "/videos/x/?t=12"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/videos/x/?t=12"
    assert SavedProduct.objects.filter(user=shopper, product=product).exists()


def test_saving_twice_keeps_one_save(shopper, shopper_client):
    product = published_product()
    url = reverse("accounts:save-product", args=[product.slug])

    shopper_client.post(url)
    shopper_client.post(url)

    assert SavedProduct.objects.filter(user=shopper, product=product).count() == 1


def test_saving_without_next_redirects_to_the_product_page(shopper_client):
    product = published_product()

    response = shopper_client.post(reverse("accounts:save-product", args=[product.slug]))

    assert response["Location"] == product.get_absolute_url()


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_saving_never_redirects_off_site(shopper_client, target):
    product = published_product()

    response = shopper_client.post(
        reverse("accounts:save-product", args=[product.slug]), {"next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_following_never_redirects_off_site(shopper_client, target):
    artist = ArtistFactory()

    response = shopper_client.post(
        reverse("accounts:follow-artist", args=[artist.slug]), {"next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == artist.get_absolute_url()


def test_unsaving_removes_the_save(shopper, shopper_client):
    product = published_product()
    services.save_product(user=shopper, product=product)

    response = shopper_client.post(reverse("accounts:unsave-product", args=[product.slug]))

    assert response.status_code == 302
    assert not SavedProduct.objects.filter(user=shopper).exists()


def test_the_buttons_script_gets_json_instead_of_a_redirect(shopper, shopper_client):
    product, artist = published_product(), ArtistFactory()
    json = {"HTTP_ACCEPT": "application/json"}

    saved = shopper_client.post(reverse("accounts:save-product", args=[product.slug]), **json)
    unsaved = shopper_client.post(reverse("accounts:unsave-product", args=[product.slug]), **json)
    followed = shopper_client.post(reverse("accounts:follow-artist", args=[artist.slug]), **json)

    assert (saved.status_code, saved.json()) == (200, {"active": True})
    assert (unsaved.status_code, unsaved.json()) == (200, {"active": False})
    assert (followed.status_code, followed.json()) == (200, {"active": True})
    assert FollowedArtist.objects.filter(user=shopper, artist=artist).exists()
    assert not SavedProduct.objects.filter(user=shopper).exists()


@pytest.mark.parametrize(
    "name", ["save-product", "unsave-product", "follow-artist", "unfollow-artist"]
)
def test_toggle_endpoints_answer_405_to_get(shopper_client, name):
    slug = published_product().slug if "product" in name else ArtistFactory().slug

    response = shopper_client.get(reverse(f"accounts:{name}", args=[slug]))

    assert response.status_code == 405
    assert not SavedProduct.objects.exists()
    assert not FollowedArtist.objects.exists()


def test_anonymous_save_goes_to_sign_in_and_back_to_the_product_page():
    product = published_product()

    response = Client().post(reverse("accounts:save-product", args=[product.slug]))

    assert response.status_code == 302
    login = reverse("account_login")
    assert response["Location"] == f"{login}?next=/products/{product.slug}/"
    assert not SavedProduct.objects.exists()


def test_anonymous_follow_goes_to_sign_in_and_back_to_the_page_it_came_from():
    artist = ArtistFactory()

    response = Client().post(
        reverse("accounts:follow-artist", args=[artist.slug]), {"next": "/videos/a/"}
    )

    assert response["Location"] == reverse("account_login") + "?next=/videos/a/"
    assert not FollowedArtist.objects.exists()


def test_toggle_endpoints_enforce_csrf(shopper):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)
    product, artist = published_product(), ArtistFactory()

    saved = client.post(reverse("accounts:save-product", args=[product.slug]))
    followed = client.post(reverse("accounts:follow-artist", args=[artist.slug]))

    assert (saved.status_code, followed.status_code) == (403, 403)
    assert not SavedProduct.objects.exists()
    assert not FollowedArtist.objects.exists()


def test_draft_and_unknown_products_cannot_be_saved(shopper_client):
    draft = ProductFactory()
    VideoProductFactory(video=VideoFactory(draft=True), product=draft)

    hidden = shopper_client.post(reverse("accounts:save-product", args=[draft.slug]))
    unknown = shopper_client.post(reverse("accounts:save-product", args=["no-such-thing"]))

    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert not SavedProduct.objects.exists()


def test_unknown_artists_cannot_be_followed(shopper_client):
    response = shopper_client.post(reverse("accounts:follow-artist", args=["nobody"]))

    assert response.status_code == 404


def test_unfollowing_removes_the_follow(shopper, shopper_client):
    artist = ArtistFactory()
    services.follow_artist(user=shopper, artist=artist)

    response = shopper_client.post(
        reverse("accounts:unfollow-artist", args=[artist.slug]), {"next": "/artists/"}
    )

    assert response["Location"] == "/artists/"
    assert not FollowedArtist.objects.exists()


# The Saved and Following pages


def test_saved_page_requires_sign_in():
    response = Client().get(reverse("accounts:saved-list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/accounts/saved/"


def test_following_page_requires_sign_in():
    response = Client().get(reverse("accounts:following-list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_saved_page_lists_my_saved_products_with_pressed_buttons(shopper, shopper_client):
    mine = published_product(name="Denim Jacket")
    OfferFactory(product=mine)
    theirs = published_product(name="Silk Scarf")
    services.save_product(user=shopper, product=mine)
    services.save_product(user=UserFactory(), product=theirs)

    response = shopper_client.get(reverse("accounts:saved-list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Denim Jacket" in body
    assert "Silk Scarf" not in body
    assert 'aria-pressed="true"' in body
    assert reverse("accounts:unsave-product", args=[mine.slug]) in body


def test_saved_page_says_so_when_empty(shopper_client):
    response = shopper_client.get(reverse("accounts:saved-list"))

    assert "Nothing saved yet." in response.content.decode()


def test_following_page_lists_my_artists(shopper, shopper_client):
    services.follow_artist(user=shopper, artist=ArtistFactory(name="Solange"))
    services.follow_artist(user=UserFactory(), artist=ArtistFactory(name="Beck"))

    response = shopper_client.get(reverse("accounts:following-list"))

    body = response.content.decode()
    assert "Solange" in body
    assert "Beck" not in body
    assert 'aria-pressed="true"' in body


def save_products(user, count):
    for _ in range(count):
        product = published_product()
        ProductImageFactory(product=product)
        OfferFactory(product=product)
        services.save_product(user=user, product=product)


def follow_artists(user, count):
    for _ in range(count):
        services.follow_artist(user=user, artist=ArtistFactory())


# Session, user, page count, saves, their products, images, offers, the buttons' saved ids.
SAVED_PAGE_QUERIES = 8
# Session, user, page count, follows with their artists, the buttons' followed ids.
FOLLOWING_PAGE_QUERIES = 5


@pytest.mark.parametrize("count", [1, 6])
def test_saved_page_runs_a_fixed_number_of_queries(
    shopper, shopper_client, django_assert_num_queries, count
):
    save_products(shopper, count)

    with django_assert_num_queries(SAVED_PAGE_QUERIES):
        response = shopper_client.get(reverse("accounts:saved-list"))

    assert response.status_code == 200
    assert len(response.context["saves"]) == count


@pytest.mark.parametrize("count", [1, 6])
def test_following_page_runs_a_fixed_number_of_queries(
    shopper, shopper_client, django_assert_num_queries, count
):
    follow_artists(shopper, count)

    with django_assert_num_queries(FOLLOWING_PAGE_QUERIES):
        response = shopper_client.get(reverse("accounts:following-list"))

    assert response.status_code == 200
    assert len(response.context["follows"]) == count


def test_saved_page_is_paginated(shopper, shopper_client):
    save_products(shopper, 25)

    first = shopper_client.get(reverse("accounts:saved-list"))
    second = shopper_client.get(reverse("accounts:saved-list"), {"page": 2})
    beyond = shopper_client.get(reverse("accounts:saved-list"), {"page": 9})

    assert len(first.context["saves"]) == 24
    assert len(second.context["saves"]) == 1
    assert beyond.status_code == 404


# Home: new videos from the artists a signed-in person follows


def test_home_shows_new_videos_of_followed_artists_to_the_follower(shopper, shopper_client):
    followed = ArtistFactory(name="Followed Artist")
    VideoFactory(title="Fresh Single", artists=[followed])
    VideoFactory(title="Unreleased Cut", artists=[followed], draft=True)
    VideoFactory(title="Someone Elses Song", artists=[ArtistFactory()])
    services.follow_artist(user=shopper, artist=followed)

    response = shopper_client.get(reverse("storefront:home"))

    section = response.content.decode().split('id="followed-videos-heading"')[1]
    section = section.split("</section>")[0]
    assert "Fresh Single" in section
    assert "Unreleased Cut" not in section
    assert "Someone Elses Song" not in section
    assert [v.title for v in response.context["followed_videos"]] == ["Fresh Single"]


def test_home_invites_a_member_who_follows_nobody_to_follow_artists(shopper_client):
    response = shopper_client.get(reverse("storefront:home"))

    assert "Follow artists to see their new videos here." in response.content.decode()


def test_home_has_no_followed_section_for_visitors():
    VideoFactory(artists=[ArtistFactory()])

    response = Client().get(reverse("storefront:home"))

    assert "New from artists you follow" not in response.content.decode()
    assert "followed_videos" not in response.context


def follow_artists_with_videos(user, count):
    for _ in range(count):
        artist = ArtistFactory()
        VideoFactory(artists=[artist, ArtistFactory()])
        VideoFactory(artists=[artist], is_featured=True)
        services.follow_artist(user=user, artist=artist)


# Session, user; featured, newest and followed videos each with their
# artists; the click ranking (no product is clicked here); the newest products; artists.
MEMBER_HOME_QUERIES = 11


@pytest.mark.parametrize("count", [1, 6])
def test_home_for_a_member_runs_a_fixed_number_of_queries_whatever_they_follow(
    shopper, shopper_client, django_assert_num_queries, count
):
    follow_artists_with_videos(shopper, count)

    with django_assert_num_queries(MEMBER_HOME_QUERIES):
        response = shopper_client.get(reverse("storefront:home"))

    assert response.status_code == 200
    assert len(response.context["followed_videos"]) == min(2 * count, 8)


# The buttons on the storefront's pages


def test_product_page_shows_the_save_button_pressed_once_saved(shopper, shopper_client):
    product = published_product()
    before = shopper_client.get(product.get_absolute_url()).content.decode()
    services.save_product(user=shopper, product=product)
    after = shopper_client.get(product.get_absolute_url()).content.decode()

    assert f'aria-label="Save {escape(product)}"' in before
    assert 'aria-pressed="false"' in before
    assert reverse("accounts:save-product", args=[product.slug]) in before
    assert 'aria-pressed="true"' in after
    assert f'action="{reverse("accounts:unsave-product", args=[product.slug])}"' in after


def test_artist_page_shows_the_follow_button_pressed_once_followed(shopper, shopper_client):
    artist = ArtistFactory()
    VideoFactory(artists=[artist])
    before = shopper_client.get(artist.get_absolute_url()).content.decode()
    services.follow_artist(user=shopper, artist=artist)
    after = shopper_client.get(artist.get_absolute_url()).content.decode()

    assert f'aria-label="Follow {artist}"' in before
    assert 'aria-pressed="false"' in before
    assert 'aria-pressed="true"' in after
    assert f'action="{reverse("accounts:unfollow-artist", args=[artist.slug])}"' in after


def test_visitors_get_a_sign_in_link_and_the_page_stays_publicly_cacheable():
    product = published_product()

    response = Client().get(product.get_absolute_url())

    body = response.content.decode()
    login = reverse("account_login")
    assert f'href="{login}?next=/products/{product.slug}/"' in body
    assert "csrfmiddlewaretoken" not in body
    assert "public" in response["Cache-Control"]
    assert not response.cookies


def product_list_queries(client):
    cache.clear()  # the facet counts, cached per filter
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("storefront:product-list"))
    assert response.status_code == 200
    return [query["sql"] for query in queries], response.content.decode()


def test_browsing_as_a_member_adds_one_query_for_the_saved_ids_whatever_the_page_size(
    shopper, shopper_client
):
    OfferFactory(product=published_product())
    services.save_product(user=shopper, product=published_product())
    few, _ = product_list_queries(shopper_client)
    for _ in range(6):
        product = published_product()
        OfferFactory(product=product)
        services.save_product(user=shopper, product=product)

    many, body = product_list_queries(shopper_client)

    assert len(many) == len(few)
    assert len([sql for sql in many if "storefront_savedproduct" in sql]) == 1
    assert body.count('aria-pressed="true"') == 7
