"""Account flows in a real browser: Chromium (Playwright) against the live server."""

import re

from django.conf import settings
from django.core.cache import cache
from django.test import Client

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import (
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
)
from storefront.models import FollowedArtist, SavedProduct

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth rate-limits by IP in the cache, and every request here comes from 127.0.0.1.
    cache.clear()


@pytest.fixture
def page(page):
    yield page
    # No request of this test may still be running on the live server when its database
    # is flushed and restored for the next test.
    page.wait_for_load_state("networkidle")


def account_nav(page):
    return page.locator("nav.account-nav")


def sign_in_by_cookie(context, user, live_server):
    """Start the browser signed in, as after a sign-in: the flow itself is tested below."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_sign_up_log_out_and_log_in_again(page):
    page.goto("/")
    account_nav(page).get_by_role("link", name="Sign up").click()

    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again):").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    expect(account_nav(page).get_by_role("link", name="Saved")).to_be_visible()

    account_nav(page).get_by_role("button", name="Log out").click()

    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()
    expect(account_nav(page).get_by_role("button", name="Log out")).to_have_count(0)

    account_nav(page).get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(account_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    account_nav(page).get_by_role("link", name="Profile").click()
    expect(page.get_by_text("newcomer@example.com (primary)")).to_be_visible()


def test_a_wrong_password_shows_an_error_in_the_browser(page):
    UserFactory(email="mia@example.com")

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign In").click()

    expect(page.get_by_text("are not correct")).to_be_visible()
    expect(account_nav(page).get_by_role("link", name="Sign in")).to_be_visible()


def test_saving_a_product_and_following_an_artist_survive_a_reload(page, live_server):
    user = UserFactory()
    artist = ArtistFactory(name="Janelle Monáe")
    product = ProductFactory(brand="Acne Studios", name="Tuxedo Jacket")
    OfferFactory(product=product)
    VideoProductFactory(video=VideoFactory(artists=[artist]), product=product)
    sign_in_by_cookie(page.context, user, live_server)

    page.goto(product.get_absolute_url())
    save = page.get_by_role("button", name=f"Save {product}")
    expect(save).to_have_attribute("aria-pressed", "false")
    # A marker on the window disappears if the click navigates away from the page.
    page.evaluate("window.stayedOnPage = true")
    save.click()
    expect(save).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert page.evaluate("window.stayedOnPage") is True
    assert page.url.endswith(product.get_absolute_url())

    page.reload()
    expect(page.get_by_role("button", name=f"Save {product}")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.goto(artist.get_absolute_url())
    follow = page.get_by_role("button", name=f"Follow {artist}")
    expect(follow).to_have_attribute("aria-pressed", "false")
    page.evaluate("window.stayedOnPage = true")
    follow.click()
    expect(follow).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stayedOnPage") is True

    page.reload()
    expect(page.get_by_role("button", name=f"Follow {artist}")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert SavedProduct.objects.filter(user=user, product=product).exists()
    assert FollowedArtist.objects.filter(user=user, artist=artist).exists()

    account_nav(page).get_by_role("link", name="Saved").click()
    expect(page.get_by_role("link", name=re.compile("Tuxedo Jacket"))).to_be_visible()
    account_nav(page).get_by_role("link", name="Following").click()
    expect(page.get_by_role("link", name=re.compile("Janelle Monáe"))).to_be_visible()


def test_unsaving_on_the_saved_page_works_in_place_and_after_a_reload(page, live_server):
    user = UserFactory()
    product = ProductFactory(name="Silk Scarf")
    VideoProductFactory(video=VideoFactory(), product=product)
    SavedProduct.objects.create(user=user, product=product)
    sign_in_by_cookie(page.context, user, live_server)

    page.goto("/accounts/saved/")
    button = page.get_by_role("button", name=f"Save {product}")
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("status").filter(has_text="Removed from Saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Nothing saved yet.")).to_be_visible()
    assert not SavedProduct.objects.filter(user=user).exists()


def test_buttons_work_without_javascript(browser, django_db_serialized_rollback, live_server):
    # Its own context, without JavaScript; the serialized rollback restores the seeded
    # rows after live_server's flush, as the `page` fixture does.
    user = UserFactory()
    artist = ArtistFactory(name="Solange")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    sign_in_by_cookie(context, user, live_server)
    page = context.new_page()
    try:
        page.goto(artist.get_absolute_url())
        page.get_by_role("button", name=f"Follow {artist}").click()

        # The form posts, then the server sends the browser back to the same page.
        page.wait_for_url(f"{live_server.url}{artist.get_absolute_url()}")
        expect(page.get_by_role("button", name=f"Follow {artist}")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert FollowedArtist.objects.filter(user=user, artist=artist).exists()
        page.wait_for_load_state("networkidle")
    finally:
        context.close()


def test_visitors_are_asked_to_sign_in_and_come_back(page):
    UserFactory(email="mia@example.com")
    artist = ArtistFactory(name="Bjork")

    page.goto(artist.get_absolute_url())
    page.get_by_role("link", name=f"Sign in to follow {artist}").click()
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.wait_for_url(re.compile(re.escape(artist.get_absolute_url()) + "$"))
    expect(page.get_by_role("button", name=f"Follow {artist}")).to_have_attribute(
        "aria-pressed", "false"
    )
