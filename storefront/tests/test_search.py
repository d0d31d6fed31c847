"""The search page as shoppers use it: what a query finds, in what order, and what an empty
or fruitless query offers instead.

MariaDB's full-text index sees only committed rows, so these tests run transactionally
(restoring the migrations' types and styles afterwards).
"""

from django.urls import reverse

import pytest

from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def search(client, query, **params):
    response = client.get(reverse("storefront:search"), {"q": query, **params})
    assert response.status_code == 200
    return response


def names(response, key="products"):
    return [item.name for item in response.context[key]]


@pytest.fixture
def looks():
    """The shop of the journeys issue: a Rains jacket, Levi's, and Taylor Swift's looks."""
    swift = ArtistFactory(name="Taylor Swift")
    video = VideoFactory(title="Anti-Hero", artists=[swift], is_featured=True)
    scene = SceneFactory(video=video)
    biker = ProductFactory(brand="AllSaints", name="Dalby biker jacket", description="Lambskin.")
    rains = ProductFactory(
        brand="Rains", name="Long coat", description="A waterproof rain jacket, taped seams."
    )
    levis = ProductFactory(brand="Levi's", name="501 Original", description="Straight leg.")
    for product in (biker, rains, levis):
        AppearanceFactory(scene=scene, product=product)
        OfferFactory(product=product)
    hidden = ProductFactory(brand="Rains", name="Hidden jacket")  # in no published video
    VideoProductFactory(video=VideoFactory(draft=True), product=hidden)
    return {"swift": swift, "video": video, "biker": biker, "rains": rains, "levis": levis}


def test_jackets_finds_jackets(client, looks):
    response = search(client, "jackets")
    assert names(response) == ["Dalby biker jacket", "Long coat"]
    assert "Hidden jacket" not in response.text


@pytest.mark.parametrize("query", ["levis", "LEVI'S", "Levi’s", "levi"])
def test_levis_finds_levis(client, looks, query):
    assert names(search(client, query)) == ["501 Original"]


def test_rain_jacket_finds_the_rains_jacket_by_its_description(client, looks):
    assert names(search(client, "rain jacket")) == ["Long coat"]
    assert names(search(client, "waterproof")) == ["Long coat"]


def test_the_artists_name_finds_the_artist_her_videos_and_her_looks(client, looks):
    response = search(client, "TAYLOR SWIFT")
    assert list(response.context["artists"]) == [looks["swift"]]
    assert list(response.context["videos"]) == [looks["video"]]
    assert set(names(response)) == {"Dalby biker jacket", "Long coat", "501 Original"}


def test_a_video_title_finds_its_looks(client, looks):
    assert set(names(search(client, "anti hero"))) == {
        "Dalby biker jacket",
        "Long coat",
        "501 Original",
    }


def test_accents_and_case_do_not_matter(client):
    artist = ArtistFactory(name="Beyoncé")
    VideoFactory(title="Formation", artists=[artist])
    response = search(client, "BEYONCE")
    assert list(response.context["artists"]) == [artist]


def test_results_are_ranked_by_relevance(client, looks):
    # The biker jacket says "jacket" in its name, the Rains coat only in its description.
    assert names(search(client, "jacket")) == ["Dalby biker jacket", "Long coat"]


def test_an_empty_query_suggests_popular_artists_videos_and_looks(client, looks):
    response = search(client, "")
    assert list(response.context["popular_videos"]) == [looks["video"]]
    assert list(response.context["popular_artists"]) == [looks["swift"]]
    assert set(names(response, "popular_products")) == {
        "Dalby biker jacket",
        "Long coat",
        "501 Original",
    }
    assert "Popular looks" in response.text
    assert "Nothing matches" not in response.text


def test_a_fruitless_query_says_so_and_suggests_what_is_popular(client, looks):
    response = search(client, "zebra tuxedo")
    assert names(response) == []
    assert "Nothing matches “zebra tuxedo”" in response.text
    assert list(response.context["popular_videos"]) == [looks["video"]]
    assert "Popular artists" in response.text


def test_a_query_of_punctuation_alone_is_fruitless_not_an_error(client, looks):
    response = search(client, "?!")
    assert list(response.context["popular_videos"]) == [looks["video"]]


def test_draft_videos_and_their_artists_stay_hidden(client):
    secret = ArtistFactory(name="Secret Singer")
    VideoFactory(title="Unreleased Song", artists=[secret], draft=True)
    response = search(client, "unreleased")
    assert list(response.context["videos"]) == []
    assert list(search(client, "secret singer").context["artists"]) == []


def test_results_page_on(client):
    video = VideoFactory(title="Many Coats")
    for n in range(26):
        VideoProductFactory(video=video, product=ProductFactory(name=f"Wool coat {n}"))
    first = search(client, "coats")
    second = search(client, "coats", page=2)
    assert len(first.context["products"]) == 24
    assert first.context["has_next"] is True
    assert 'rel="next"' in first.text
    assert len(second.context["products"]) == 2
    assert second.context["has_next"] is False
    assert set(names(first)).isdisjoint(names(second))


@pytest.mark.parametrize("params", [{"q": "x" * 101}, {"q": "coat", "page": "0"}, {"page": "x"}])
def test_bad_parameters_are_a_400_with_the_reason(client, params):
    response = client.get(reverse("storefront:search"), params)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.text


@pytest.mark.parametrize("count", [2, 10])
def test_search_query_count_is_constant(client, django_assert_num_queries, count):
    for n in range(count):
        artist = ArtistFactory(name=f"Echo {n}")
        video = VideoFactory(title=f"Echo Video {n}", artists=[artist])
        product = ProductFactory(name=f"Echo Coat {n}")
        ProductImageFactory(product=product, position=0)
        OfferFactory(product=product)
        VideoProductFactory(video=video, product=product)

    # artists, videos, their artists, the ranked product ids, products, types, styles,
    # images, offers
    with django_assert_num_queries(9):
        response = client.get(reverse("storefront:search"), {"q": "echo"})
    assert len(response.context["products"]) == count
    assert len(response.context["videos"]) == count

    # Several words: one more query, how common each word is.
    for words in ["echo video", "video echo"]:
        with django_assert_num_queries(10):
            response = client.get(reverse("storefront:search"), {"q": words})
        assert len(response.context["products"]) == count

    # nothing found (artists, videos, the words' counts, product ids), then the
    # suggestions: featured videos, their artists, their products' ids, products, images,
    # offers
    featured = VideoFactory(title="Featured", is_featured=True, artists=[artist])
    VideoProductFactory(video=featured, product=product)
    with django_assert_num_queries(10):
        response = client.get(reverse("storefront:search"), {"q": "nothing here"})
    assert response.context["popular_videos"]
