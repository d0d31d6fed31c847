"""Shopping in a real browser: Buy through the click-out, search, and browse filters."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import reverse

import pytest

from catalog.models import Click, ProductType
from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoSourceFactory,
)

from .test_browser_player import LocalServer

pytestmark = pytest.mark.browser


@pytest.fixture
def retailer_site(tmp_path):
    """A retailer's product page, served on 127.0.0.1 like any outside shop."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "jacket.html").write_text(
        "<!doctype html><title>Retailer page</title><h1>Retailer jacket page</h1>"
    )
    with LocalServer(tmp_path) as server:
        yield server


def test_buy_lands_on_the_retailer_and_is_recorded(page, retailer_site):
    artist = ArtistFactory(name="Nova")
    video = VideoFactory(title="Shop Test", artists=[artist])
    VideoSourceFactory(video=video)
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=10))
    product = ProductFactory(brand="Acme", name="Moto Jacket")
    AppearanceFactory(scene=scene, product=product)
    retailer = RetailerFactory(name="Local Shop", link_template="{url}?utm_source=inspired")
    offer = OfferFactory(
        product=product, retailer=retailer, url=f"{retailer_site.url}/p/jacket.html"
    )

    page.goto(video.get_absolute_url())
    page.locator("[data-scene-panel]").get_by_role("link", name="Buy at Local Shop").click()
    page.wait_for_url(f"{retailer_site.url}/p/jacket.html?utm_source=inspired")

    assert page.locator("h1").inner_text() == "Retailer jacket page"
    click = Click.objects.get()
    assert click.offer_id == offer.pk
    assert click.video_id == video.pk
    assert click.scene_id == scene.pk
    assert click.target_url == f"{retailer_site.url}/p/jacket.html?utm_source=inspired"


def test_search_box_finds_artists_videos_and_products(page):
    artist = ArtistFactory(name="Quartz Queen")
    video = VideoFactory(title="Quartz Nights", artists=[artist])
    scene = SceneFactory(video=video)
    AppearanceFactory(scene=scene, product=ProductFactory(name="Quartz Ring"))

    page.goto(reverse("storefront:home"))
    page.get_by_role("searchbox", name="Search artists, videos and products").fill("quartz")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=quartz")

    assert page.locator("#artists-title + ul .card__title").all_inner_texts() == ["Quartz Queen"]
    assert page.locator("#videos-title + ul .card__title").all_inner_texts() == ["Quartz Nights"]
    assert page.locator("#products-title + ul .card__title").all_inner_texts() == ["Quartz Ring"]


def test_browse_filters_apply_on_change_and_show_counts(page):
    video = VideoFactory()
    scene = SceneFactory(video=video)
    shoe = ProductType.objects.get(slug="shoe")
    boots = ProductFactory(brand="Acme", name="Boots", product_type=shoe)
    shirt = ProductFactory(brand="Acme", name="Shirt")
    cheap = ProductFactory(brand="Other", name="Cheap Shirt")
    for product, price in [(boots, "90.00"), (shirt, "40.00"), (cheap, "10.00")]:
        AppearanceFactory(scene=scene, product=product)
        OfferFactory(product=product, price=Decimal(price))

    page.goto(reverse("storefront:product-list"))
    assert page.locator(".browse__count").inner_text() == "3 products"
    assert page.get_by_role("checkbox", name="Shoe (1)").is_visible()

    page.get_by_role("checkbox", name="Shoe (1)").check()
    page.wait_for_url("**/products/?type=shoe*")
    assert page.locator(".browse__results .card__title").all_inner_texts() == ["Boots"]
    # The type facet still offers the other types, with their counts.
    assert page.get_by_role("checkbox", name="Shirt (2)").is_visible()

    page.get_by_role("checkbox", name="Shoe (1)").uncheck()
    page.wait_for_url(re.compile(r"/products/\??$"))
    page.get_by_label("Sort by").select_option("price")
    page.wait_for_url("**/products/?sort=price*")
    titles = page.locator(".browse__results .card__title").all_inner_texts()
    assert titles == ["Cheap Shirt", "Shirt", "Boots"]

    page.get_by_label("to", exact=True).fill("50")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**max_price=50*")
    # Let the page's image requests finish before the test database is flushed.
    page.wait_for_load_state("networkidle")
    titles = page.locator(".browse__results .card__title").all_inner_texts()
    assert titles == ["Cheap Shirt", "Shirt"]
