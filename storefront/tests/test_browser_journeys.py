"""The shopper's journey in a real browser, at desktop and phone sizes (issue 11)."""

from datetime import timedelta

from django.core.cache import cache

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)

from . import test_browser_player
from .test_browser_accounts import sign_in_by_cookie
from .test_browser_player import make_video, open_video, visible_scene_products, wait_for_scene

media_server = test_browser_player.media_server  # the 12-second clip, served with ranges

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def page(page):
    yield page
    # No request may still be running on the live server when the database is reset.
    page.wait_for_load_state("networkidle")


def in_viewport(page, locator):
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= size["height"] + 1
        and box["x"] < size["width"]
    )


# Item 3: the last scene's products stay when the video ends


def test_the_last_scenes_products_stay_at_the_end_of_the_video(page, media_server):
    video, scenes, _ = make_video(media_server)  # three scenes, 0 to 12 s, a 12 s clip
    open_video(page, video)

    page.evaluate(
        "() => { const v = document.querySelector('#player-media'); v.currentTime = v.duration; }"
    )
    page.wait_for_function("() => document.querySelector('#player-media').ended")
    wait_for_scene(page, scenes[2])

    assert visible_scene_products(page) == ["Gold Hat"]
    expect(page.locator(".scene-panel__between")).to_be_hidden()


def test_t_past_the_end_and_in_minutes_opens_the_right_scene(page, media_server):
    video, scenes, _ = make_video(media_server)

    open_video(page, video, "?t=0:12")
    wait_for_scene(page, scenes[2])
    assert visible_scene_products(page) == ["Gold Hat"]

    open_video(page, video, "?t=0m05s")
    wait_for_scene(page, scenes[1])
    assert visible_scene_products(page) == ["Blue Boots"]


# Item 6: phones see products first and keep the player with the scene's products


def browse_catalog(count=6):
    video = VideoFactory()
    for index in range(count):
        product = ProductFactory(name=f"Item {index}")
        ProductImageFactory(product=product)
        OfferFactory(product=product)
        VideoProductFactory(video=video, product=product)


def test_on_a_phone_the_filters_wait_behind_a_button_and_show_as_chips(page, live_server):
    browse_catalog()
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/products/")

    expect(page.locator("form.filters")).to_be_hidden()
    # The first products' names are on the first screen, not a screen and a half of form.
    assert in_viewport(page, page.locator(".product-card .card__title").first)
    page.get_by_text("Filters", exact=True).click()
    expect(page.locator("form.filters")).to_be_visible()
    # Checking it submits the form at once (browse.js).
    page.get_by_label("In stock only", exact=True).click()
    page.wait_for_url("**/products/?in_stock=true")

    chip = page.get_by_role("link", name="Remove In stock only")
    expect(chip).to_be_visible()
    expect(page.locator("form.filters")).to_be_hidden()
    assert in_viewport(page, chip)
    chip.click()
    page.wait_for_url(f"{live_server.url}/products/?")
    expect(page.get_by_role("link", name="Remove In stock only")).to_have_count(0)


def test_on_a_desktop_the_filters_are_open_beside_the_results(page, live_server):
    browse_catalog()
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/products/")

    expect(page.locator("form.filters")).to_be_visible()
    expect(page.locator(".filters-drawer__toggle")).to_be_hidden()


def test_on_a_phone_the_player_and_the_scenes_products_stay_on_screen(page, media_server):
    video, _, _ = make_video(media_server)
    for index in range(8):  # enough looks below for the page to scroll
        product = ProductFactory(name=f"Look {index}")
        OfferFactory(product=product)
        VideoProductFactory(video=video, product=product)
    page.set_viewport_size(PHONE)
    open_video(page, video)

    page.mouse.wheel(0, 900)
    page.wait_for_function("() => window.scrollY > 600")

    assert in_viewport(page, page.locator("#player"))
    card = page.locator("[data-scene-panel] .scene-products:visible .product-card").first
    assert in_viewport(page, card)
    assert visible_scene_products(page) == ["Red Jacket"]


# Item 7: Save and Follow say their state


def test_save_and_follow_say_saved_and_following_and_back(page, live_server):
    user = UserFactory()
    artist = ArtistFactory(name="Robyn")
    product = ProductFactory(brand="Acne Studios", name="Tuxedo Jacket")
    OfferFactory(product=product)
    VideoProductFactory(video=VideoFactory(artists=[artist]), product=product)
    sign_in_by_cookie(page.context, user, live_server)

    page.goto(product.get_absolute_url())
    save = page.get_by_role("button", name=f"Save {product}")
    expect(save).to_have_text("♡ Save")
    save.click()
    expect(save).to_have_text("♥ Saved")
    expect(save).to_have_attribute("title", "Saved: press to remove it from Saved")
    save.click()
    expect(save).to_have_text("♡ Save")

    page.goto(artist.get_absolute_url())
    follow = page.get_by_role("button", name=f"Follow {artist}")
    expect(follow).to_have_text("+ Follow")
    follow.click()
    expect(follow).to_have_text("✓ Following")
    page.reload()
    expect(page.get_by_role("button", name=f"Follow {artist}")).to_have_text("✓ Following")


# Item 8: a player that cannot load


def youtube_video():
    video = VideoFactory(title="Offline Test")
    VideoSourceFactory(video=video, provider="youtube", external_id="abc123", url="")
    scenes = []
    for index, name in enumerate(["Red Jacket", "Blue Boots"]):
        scene = SceneFactory(
            video=video,
            title=f"Part {index + 1}",
            start=timedelta(seconds=4 * index),
            end=timedelta(seconds=4 * index + 4),
        )
        product = ProductFactory(brand="Test", name=name)
        OfferFactory(product=product)
        AppearanceFactory(scene=scene, product=product)
        scenes.append(scene)
    return video, scenes


def test_an_unreachable_youtube_shows_a_link_and_the_chapters_still_work(page):
    video, scenes = youtube_video()
    page.route("https://www.youtube.com/**", lambda route: route.abort())
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.abort())

    page.goto(video.get_absolute_url())
    page.wait_for_selector("html[data-player-ready='offline']")

    link = page.get_by_role("link", name="Watch on YouTube")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == "https://www.youtube.com/watch?v=abc123"
    expect(page.locator("#player iframe")).to_be_hidden()
    page.get_by_role("link", name="Part 2").click()
    wait_for_scene(page, scenes[1])
    assert visible_scene_products(page) == ["Blue Boots"]


def test_a_missing_video_file_shows_the_fallback(page, media_server):
    video, scenes, _ = make_video(media_server)
    source = video.sources.get()
    source.url = f"{media_server.url}/missing.mp4"
    source.save()

    page.goto(video.get_absolute_url())
    page.wait_for_selector("html[data-player-ready='offline']")

    expect(page.get_by_role("link", name="Open the video")).to_be_visible()
    page.get_by_role("link", name="Part 3").click()
    wait_for_scene(page, scenes[2])


# Item 10: the desktop panel shows whole cards


def test_the_desktop_panel_does_not_cut_the_third_card(page, media_server):
    video, scenes, _ = make_video(media_server)
    for index in range(2):
        product = ProductFactory(name=f"Extra {index}")
        ProductImageFactory(product=product)
        OfferFactory(product=product)
        AppearanceFactory(scene=scenes[0], product=product)
    page.set_viewport_size({"width": 1366, "height": 900})
    open_video(page, video)

    panel = page.locator("[data-scene-panel]")
    assert panel.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    panel_box = panel.bounding_box()
    cards = page.locator("[data-scene-panel] .scene-products:visible .product-card")
    assert cards.count() == 3
    for index in range(3):
        box = cards.nth(index).bounding_box()
        assert box["y"] + box["height"] <= panel_box["y"] + panel_box["height"] + 1


# Item 20: the API's docs load nothing from outside the site


@pytest.mark.csp_blocks("https://cdn.redoc.ly/redoc/logo-mini.svg")
def test_redoc_makes_no_request_off_the_site(page, live_server):
    requested, failed = [], {}
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.update({request.url: request.failure}))

    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.get_by_text("Inspired catalog API").first).to_be_visible(timeout=20_000)
    page.wait_for_load_state("networkidle")

    outside = [
        url
        for url in requested
        if not url.startswith((live_server.url, "data:", "blob:", "about:"))
    ]
    # ReDoc's bundle asks for Redocly's logo; the page's policy stops it in the browser,
    # before any connection is made. Nothing else is even attempted.
    assert outside == ["https://cdn.redoc.ly/redoc/logo-mini.svg"], outside
    assert failed == {"https://cdn.redoc.ly/redoc/logo-mini.svg": "csp"}
