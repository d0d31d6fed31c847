"""Anonymous pages from the server-side cache: served again without a query, stale never
after a catalog write, private for signed-in people, revalidated with ETag/Last-Modified."""

import shutil
import socket
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from catalog.linkhealth.fetcher import CheckResult
from catalog.linkhealth.recording import record_check_result
from catalog.models import ExchangeRate, Offer, Video
from catalog.services import set_video_status
from catalog.tests.factories import AppearanceFactory, OfferFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

REDIS_PORT = 8463  # a private server, never the machine's own


@pytest.fixture
def offer():
    return OfferFactory(product=AppearanceFactory().product, price=Decimal("40.00"))


def product_page(client, offer):
    return client.get(offer.product.get_absolute_url())


def browse(client):
    return client.get(reverse("storefront:product-list"), {"sort": "price"})


def test_an_anonymous_page_is_served_again_without_a_query(
    client, offer, django_assert_num_queries
):
    first = browse(client)
    with django_assert_num_queries(0):
        second = browse(client)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Last-Modified"] == first["Last-Modified"]
    assert "public" in second["Cache-Control"]
    assert "max-age=300" in second["Cache-Control"]


def test_a_cached_page_carries_the_headers_of_the_rendered_one(client, offer):
    first = browse(client)
    again = browse(client)  # answered by PageCacheMiddleware, before the view
    for header in ("Content-Type", "Cache-Control", "Vary", "X-Frame-Options", "ETag"):
        assert again[header] == first[header], header
    assert again["X-Frame-Options"] == "DENY"
    assert int(again["Content-Length"]) == len(first.content)


def test_only_the_views_that_share_pages_are_looked_up_early(rf):
    from storefront.caching import shares_pages

    assert shares_pages(rf.get(reverse("storefront:product-list")))
    assert shares_pages(rf.get(offer_url := "/products/no-such-product/")), offer_url
    for path in ("/api/v1/products/", "/admin/", "/accounts/login/", "/no/such/page/"):
        assert not shares_pages(rf.get(path)), path


def test_each_display_currency_has_its_own_cached_page(client, offer):
    ExchangeRate.objects.create(currency="USD", date=date(2026, 12, 3), rate=Decimal("1.08"))
    euro = Client()
    euro.cookies["display_currency"] = "EUR"
    assert "≈ €37" in browse(euro).content.decode()
    plain = browse(client).content.decode()
    assert "≈" not in plain and "From 40.00 USD" in plain
    with CaptureQueriesContext(connection) as queries:
        assert "≈ €37" in browse(euro).content.decode()  # its own page, from the cache
    assert len(queries) == 0


def test_etag_and_last_modified_answer_304(client, offer):
    first = product_page(client, offer)
    url = offer.product.get_absolute_url()
    assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    since = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304


def test_a_curators_edit_shows_at_once(client, curator, offer):
    assert "From 40.00 USD" in browse(client).content.decode()
    editor = Client()
    editor.force_login(curator)
    response = editor.post(
        reverse("admin:catalog_offer_change", args=[offer.pk]),
        {
            "product": offer.product_id,
            "retailer": offer.retailer_id,
            "url": offer.url,
            "price": "33.00",
            "currency": "USD",
            "availability": "in_stock",
        },
    )
    assert response.status_code == 302
    page = browse(client).content.decode()
    assert "From 33.00 USD" in page
    assert "From 40.00 USD" not in page


def test_unpublishing_a_video_in_bulk_hides_its_product_at_once(client, offer):
    assert product_page(client, offer).status_code == 200
    set_video_status(videos=Video.objects.all(), status=Video.Status.DRAFT)
    assert product_page(client, offer).status_code == 404


def test_a_link_check_that_hides_an_offer_shows_at_once(client, offer, settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 1
    assert "From 40.00 USD" in browse(client).content.decode()
    broken = CheckResult(status=Offer.LinkStatus.BROKEN, http_status=404, error_message="404")
    record_check_result(offer=offer, result=broken)
    assert "No retailer sells this right now" in browse(client).content.decode()


def test_signed_in_pages_are_private_and_never_shared(client, offer):
    anonymous = browse(client)
    member = Client()
    member.force_login(UserFactory())
    signed_in = browse(member)
    assert "private" in signed_in["Cache-Control"]
    assert signed_in.content != anonymous.content  # their own header, not the cached page
    # And what a member saw is not handed to the next visitor.
    other = Client()
    other.force_login(UserFactory())
    browse(other)
    assert browse(Client()).content == anonymous.content


def test_a_visitor_with_a_session_or_a_message_gets_a_fresh_page(client, offer, settings):
    browse(client)  # cached now
    for cookie in (settings.SESSION_COOKIE_NAME, "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "anything"
        with CaptureQueriesContext(connection) as queries:
            assert browse(visitor).status_code == 200
        assert len(queries) > 0


@pytest.fixture
def redis_cache(settings):
    """A private redis-server for the cache, started and stopped by this test."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (apt install redis-server).")
    process = subprocess.Popen(  # noqa: S603 (a fixed command line)
        [server, "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{REDIS_PORT}/0",
            }
        }
        yield caches["default"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_with_redis_pages_are_shared_between_clients_and_invalidated(
    redis_cache, offer, django_assert_num_queries
):
    first = browse(Client())
    assert list(redis_cache._cache.get_client().scan_iter("*:page:*"))
    with django_assert_num_queries(0):
        again = browse(Client())
    assert again.content == first.content
    offer.price = Decimal("12.00")
    offer.save()
    assert "From 12.00 USD" in browse(Client()).content.decode()


def test_page_cache_lifetime_is_the_documented_one():
    from storefront.caching import PAGE_CACHE_SECONDS

    assert timedelta(seconds=PAGE_CACHE_SECONDS) == timedelta(minutes=5)


def test_featuring_a_video_from_the_admin_shows_on_the_cached_home_page(client, curator):
    video = VideoFactory(title="Newly featured")
    home = reverse("storefront:home")
    page = client.get(home).content.decode()
    assert "Featured videos" not in page and page.count("Newly featured") == 1  # new only
    editor = Client()
    editor.force_login(UserFactory(superuser=True))
    response = editor.post(
        reverse("admin:catalog_video_changelist"),
        {"action": "feature", "_selected_action": [video.pk]},
    )
    assert response.status_code == 302
    assert Video.objects.get(pk=video.pk).is_featured
    page = client.get(home).content.decode()
    featured = page[page.index("Featured videos") : page.index("New videos")]
    assert "Newly featured" in featured  # shown once, among the featured


def test_a_page_this_process_holds_costs_no_transfer_and_goes_stale_with_the_catalog(
    client, offer
):
    from django.core.cache import cache

    from storefront.caching import local_pages

    first = browse(client)
    key, entry = next(iter(local_pages.entries.items()))
    assert entry[1] == first.content
    cache.delete(key)  # the shared copy gone: this process still has it, for this version
    assert browse(client).content == first.content

    offer.price = Decimal("12.50")
    offer.save()  # a curator's save: a new catalog version
    assert "12.50" in browse(client).content.decode()


def test_the_local_pages_are_bounded_in_bytes_and_in_age(monkeypatch):
    from storefront import caching

    pages = caching.LocalPages(max_bytes=10)
    now = time.time()
    pages.put("a", (1, b"12345", {}, now))
    pages.put("b", (1, b"67890", {}, now))
    pages.get("a")  # used lately: kept
    pages.put("c", (1, b"abc", {}, now))
    assert set(pages.entries) == {"a", "c"}
    assert pages.size == 8
    pages.put("huge", (1, b"x" * 11, {}, now))
    assert "huge" not in pages.entries

    pages.put("old", (1, b"o", {}, now - caching.PAGE_CACHE_SECONDS - 1))
    assert pages.get("old") is None
    assert "old" not in pages.entries
