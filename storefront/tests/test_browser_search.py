"""The search page in a real browser, as a shopper sees and uses it."""

from urllib.parse import urlencode

from django.urls import reverse

import pytest

from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    VideoFactory,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def shop():
    swift = ArtistFactory(name="Taylor Swift")
    video = VideoFactory(title="Anti-Hero", artists=[swift], is_featured=True)
    scene = SceneFactory(video=video)
    for brand, name, description in [
        ("AllSaints", "Dalby biker jacket", "Washed lambskin."),
        ("Rains", "Long coat", "A waterproof rain jacket with taped seams."),
        ("Levi's", "501 Original", "Straight leg."),
    ]:
        product = ProductFactory(brand=brand, name=name, description=description)
        AppearanceFactory(scene=scene, product=product)
        OfferFactory(product=product)


def search_from_the_header(page, query):
    page.get_by_role("searchbox", name="Search artists, videos and products").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/search/?{urlencode({'q': query})}")


def product_titles(page, section="#products-title"):
    return page.locator(f"{section} + ul .card__title").all_inner_texts()


def test_a_shopper_finds_looks_by_plural_brand_description_and_artist(page, shop):
    page.goto(reverse("storefront:home"))

    search_from_the_header(page, "jackets")
    assert product_titles(page) == ["Dalby biker jacket", "Long coat"]

    search_from_the_header(page, "levis")
    assert product_titles(page) == ["501 Original"]

    search_from_the_header(page, "rain jacket")
    assert product_titles(page) == ["Long coat"]

    search_from_the_header(page, "TAYLOR SWIFT")
    assert page.locator("#artists-title + ul .card__title").all_inner_texts() == ["Taylor Swift"]
    assert page.locator("#videos-title + ul .card__title").all_inner_texts() == ["Anti-Hero"]
    assert sorted(product_titles(page)) == ["501 Original", "Dalby biker jacket", "Long coat"]
    # The query stays in the box, ready to refine.
    assert page.get_by_role(
        "searchbox", name="Artists, videos and products", exact=True
    ).input_value() == ("TAYLOR SWIFT")


def test_an_empty_or_fruitless_search_offers_what_is_popular(page, shop):
    page.goto(reverse("storefront:search"))
    assert page.get_by_role("heading", name="Popular artists").is_visible()
    assert page.locator("#popular-videos-title + ul .card__title").all_inner_texts() == [
        "Anti-Hero"
    ]
    assert len(product_titles(page, "#popular-products-title")) == 3

    page.get_by_role("searchbox", name="Artists, videos and products", exact=True).fill(
        "zebra tuxedo"
    )
    page.locator("#main").get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=zebra+tuxedo")
    assert page.get_by_role("status").inner_text().startswith("Nothing matches “zebra tuxedo”.")
    assert page.get_by_role("heading", name="Popular looks").is_visible()

    # A suggestion leads on: the popular video's page.
    page.locator("#popular-videos-title + ul").get_by_role("link", name="Anti-Hero").first.click()
    page.wait_for_url("**/videos/anti-hero/**")
