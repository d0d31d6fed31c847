"""The curator studio in a real browser: a whole video tagged on one page, by keyboard and
mouse, then every look found on the storefront at its moment."""

from datetime import timedelta

from django.urls import reverse

import pytest

from catalog.models import Appearance, Product, Video
from catalog.tests.factories import (
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoSourceFactory,
)

from .test_browser_accounts import sign_in_by_cookie
from .test_browser_player import media_server, visible_scene_products  # noqa: F401

pytestmark = pytest.mark.browser

MAX_ACTIONS = 40


class Counted:
    """The page, counting every action a curator makes: a click, a key, a field filled."""

    def __init__(self, page):
        self.page = page
        self.actions = 0

    def act(self, method, *args, **kwargs):
        self.actions += 1
        return method(*args, **kwargs)

    def goto(self, url):
        return self.act(self.page.goto, url)

    def press(self, key):
        return self.act(self.page.keyboard.press, key)

    def click(self, locator, **kwargs):
        return self.act(locator.click, **kwargs)

    def fill(self, locator, value):
        return self.act(locator.fill, value)

    def select(self, locator, label):
        return self.act(locator.select_option, label=label)


def twelve_second_video(media_server):  # noqa: F811
    video = VideoFactory(
        title="Studio Test", status=Video.Status.DRAFT, duration=timedelta(seconds=12)
    )
    VideoSourceFactory(
        video=video, provider="mp4", external_id="", url=f"{media_server.url}/clip.mp4"
    )
    return video


def open_studio(page, video, counter=None):
    url = reverse("admin:catalog_video_studio", args=[video.pk])
    (counter.goto if counter else page.goto)(url)
    page.wait_for_selector("html[data-studio-ready='mp4']")
    page.wait_for_function("() => document.querySelector('#player-media').readyState >= 1")


def wait_for_version(page, version):
    page.wait_for_function(
        "v => document.getElementById('studio').dataset.version === String(v)", arg=version
    )


def seek_by_clicking(page, counter, seconds):
    timeline = page.locator("[data-timeline]")
    box = timeline.bounding_box()
    counter.click(timeline, position={"x": box["width"] * seconds / 12, "y": 4})
    page.wait_for_function(
        "s => Math.abs(document.querySelector('#player-media').currentTime - s) < 0.2",
        arg=seconds,
    )


def test_tagging_a_video_takes_one_page_and_at_most_40_actions(page, live_server, media_server):  # noqa: F811
    video = twelve_second_video(media_server)
    retailer = RetailerFactory(name="Shopland")
    for brand, name in [
        ("Acme", "Red Jacket"),
        ("Acme", "Blue Boots"),
        ("Acme", "Silver Ring"),
        ("Acme", "Gold Hat"),
    ]:
        OfferFactory(product=ProductFactory(brand=brand, name=name), retailer=retailer)
    sign_in_by_cookie(page.context, UserFactory(reviewer=True), live_server)
    curator = Counted(page)
    loads = []
    page.on("load", lambda _page: loads.append(1))

    open_studio(page, video, curator)
    # Three scenes: S at 0 starts one to the end, then split at 4 s and 8 s.
    curator.press("s")
    wait_for_version(page, 2)
    seek_by_clicking(page, curator, 4)
    curator.press("s")
    wait_for_version(page, 3)
    seek_by_clicking(page, curator, 8)
    curator.press("s")
    wait_for_version(page, 4)

    # A cast of two.
    for version, name in ((5, "Singer"), (6, "Dancer")):
        curator.fill(page.locator("#cast-name"), name)
        curator.press("Enter")
        wait_for_version(page, version)

    # Scene 3: the dancer's hat.
    search = page.locator("#look-search")
    curator.select(page.locator("#look-cast"), "Dancer")
    curator.fill(search, "Gold")
    curator.press("Enter")
    wait_for_version(page, 7)

    # Scene 2: boots and a ring, still on the dancer.
    curator.press("Escape")
    curator.press("ArrowUp")
    page.wait_for_selector("[data-scene-heading]:has-text('Scene 2')")
    for version, query in ((8, "Blue"), (9, "Silver")):
        curator.fill(search, query)
        curator.press("Enter")
        wait_for_version(page, version)

    # Scene 1: the singer's jacket, and a coat not in the catalog yet.
    curator.press("Escape")
    curator.press("ArrowUp")
    page.wait_for_selector("[data-scene-heading]:has-text('Scene 1')")
    curator.select(page.locator("#look-cast"), "Singer")
    curator.fill(search, "Red")
    curator.press("Enter")
    wait_for_version(page, 10)
    curator.fill(search, "Rains")
    curator.click(page.get_by_role("button", name="New product…"))
    dialog = page.locator("[data-product-dialog]")
    curator.fill(dialog.get_by_label("Brand"), "Rains")
    curator.fill(dialog.get_by_label("Name"), "Long Coat")
    curator.fill(dialog.get_by_label("UPC/GTIN"), "00000000000017")
    curator.select(dialog.get_by_label("Type"), "Coat")
    curator.select(dialog.get_by_label("Style"), "As seen")
    curator.fill(dialog.get_by_label("Retailer"), "Shopland")
    curator.fill(dialog.get_by_label("Offer link"), "https://shopland.example.com/rains-coat")
    curator.fill(dialog.get_by_label("Price"), "120.00")
    curator.click(dialog.get_by_role("button", name="Create and add"))
    wait_for_version(page, 11)

    # Publish (a reviewer).
    curator.click(page.get_by_role("button", name="Publish"))
    page.wait_for_selector("[data-status]:has-text('Published')")

    assert curator.actions <= MAX_ACTIONS, curator.actions
    assert len(loads) == 1  # one page
    print(f"\nStudio tagging: {curator.actions} actions, {len(loads)} page load")

    looks = {
        (a.scene.start.seconds // 4, a.product.name, a.cast_member.name)
        for a in Appearance.objects.filter(scene__video=video).select_related(
            "scene", "product", "cast_member"
        )
    }
    assert looks == {
        (0, "Red Jacket", "Singer"),
        (0, "Long Coat", "Singer"),
        (1, "Blue Boots", "Dancer"),
        (1, "Silver Ring", "Dancer"),
        (2, "Gold Hat", "Dancer"),
    }
    assert Product.objects.get(upc="00000000000017").offers.get().retailer == retailer

    # Every look on the storefront at the right time, for a shopper.
    shopper = page.context.browser.new_context(base_url=live_server.url)
    storefront = shopper.new_page()
    for seconds, expected in (
        (2, {"Red Jacket", "Long Coat"}),
        (6, {"Blue Boots", "Silver Ring"}),
        (10, {"Gold Hat"}),
    ):
        storefront.goto(f"{video.get_absolute_url()}?t={seconds}")
        storefront.wait_for_selector("html[data-player-ready='mp4']")
        assert set(visible_scene_products(storefront)) == expected, seconds
    shopper.close()


def test_drag_snaps_to_the_playhead_refuses_overlap_and_undoes(page, live_server, media_server):  # noqa: F811
    video = twelve_second_video(media_server)
    first = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=4))
    SceneFactory(video=video, start=timedelta(seconds=5.5), end=timedelta(seconds=10))
    sign_in_by_cookie(page.context, UserFactory(curator=True), live_server)
    open_studio(page, video)
    page.locator("#player-media").evaluate("video => { video.currentTime = 5; }")
    page.locator("[data-clock]").filter(has_text="0:05.000").wait_for()

    # Drag the first scene's end to near the playhead (5 s): it snaps to it.
    handle = page.locator(f".studio__handle[data-scene-id='{first.pk}'][data-edge='end']")
    timeline = page.locator("[data-timeline]").bounding_box()
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(timeline["x"] + timeline["width"] * 5.04 / 12, box["y"] + 10, steps=5)
    page.mouse.up()
    wait_for_version(page, 2)
    first.refresh_from_db()
    assert first.end == timedelta(seconds=5)

    # A handle moves by keyboard too (Shift+arrow: a second): the first scene's end to 6 s
    # would overlap the second scene, which is refused with the reason next to it.
    handle.focus()
    page.keyboard.press("Shift+ArrowRight")
    page.locator("[data-error-for=timeline]").filter(has_text="would overlap").wait_for()
    first.refresh_from_db()
    assert first.end == timedelta(seconds=5)
    assert page.evaluate("document.getElementById('studio').dataset.version") == "2"

    # Undo puts back the state before the last saved change.
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("u")
    page.locator("[data-message]").filter(has_text="Undone.").wait_for()
    scenes = video.scenes.order_by("start")
    assert [(s.start.total_seconds(), s.end.total_seconds()) for s in scenes] == [
        (0, 4),
        (5.5, 10),
    ]
