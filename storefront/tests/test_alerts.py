"""Price-drop and back-in-stock alerts, end to end: a link check records a new price, the
alert fires once, the mail links through /go/ crediting the alert, and unsubscribes."""

import re
from decimal import Decimal

from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

import pytest

from catalog.integrations import alerts
from catalog.linkhealth.fetcher import CheckResult, check_url
from catalog.linkhealth.recording import record_check_result
from catalog.models import Click, DigestSubscription, Offer, ProductAlert, Video
from catalog.tests.factories import (
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
)
from catalog.tests.shop_server import running_shop
from storefront.models import FollowedArtist, SavedProduct

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shop():
    with running_shop() as (base_url, _requests):
        yield base_url


@pytest.fixture(autouse=True)
def _local_shop(settings):
    cache.clear()  # the exchange rates are cached
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_URL = "https://inspired.example"


@pytest.fixture
def shopper():
    return UserFactory(email="fan@example.com")


def published_product():
    product = ProductFactory()
    VideoProductFactory(product=product)
    product.refresh_from_db()
    return product


def check(offer, result, capture):
    with capture(execute=True):
        record_check_result(offer=offer, result=result)


def test_a_price_drop_found_by_the_link_checker_mails_once(
    shop, shopper, django_capture_on_commit_callbacks
):
    product = published_product()
    offer = OfferFactory(product=product, price=Decimal("30.00"), url=f"{shop}/p/head-refused")
    OfferFactory(product=product, price=Decimal("28.00"))  # another retailer, dearer than 15
    alert = alerts.create_alert(
        user=shopper, product=product, kind="price_below", target_price=Decimal("15.00")
    )
    assert alert.armed

    # The shop's page now says 12 USD, in stock.
    check(offer, check_url(offer.url), django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["fan@example.com"]
    assert offer.retailer.name in message.subject and "12.00 USD" in message.subject
    assert "Was: 30.00 USD" in message.body and "Now: 12.00 USD" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in message.body
    html = message.alternatives[0].content
    assert "30.00 USD" in html and offer.retailer.name in html

    # The buy link goes through /go/ and credits the alert.
    buy = re.search(r"https://inspired\.example(/go/\d+/\?alert=\d+)", message.body).group(1)
    response = Client().get(buy)
    assert response.status_code == 302
    click = Click.objects.get()
    assert (click.channel, click.alert_id, click.offer_id) == ("alert", alert.pk, offer.pk)

    # Flapping around the target sends nothing more: 15.50 is within the re-arm margin.
    for price in ("15.50", "12.00", "15.70", "11.00"):
        check(
            offer,
            CheckResult(status=Offer.LinkStatus.OK, price=Decimal(price), currency="USD"),
            django_capture_on_commit_callbacks,
        )
    assert len(mail.outbox) == 1
    # Clearly above the target re-arms it; the next drop mails again.
    for price in ("19.00", "14.00"):
        check(
            offer,
            CheckResult(status=Offer.LinkStatus.OK, price=Decimal(price), currency="USD"),
            django_capture_on_commit_callbacks,
        )
    assert len(mail.outbox) == 2
    assert alert.notifications.count() == 2


def test_back_in_stock_found_by_the_link_checker(
    shop, shopper, django_capture_on_commit_callbacks
):
    product = published_product()
    offer = OfferFactory(product=product, out_of_stock=True, url=f"{shop}/p/head-refused")
    alert = alerts.create_alert(user=shopper, product=product, kind="back_in_stock")
    assert alert.armed
    check(offer, check_url(offer.url), django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Back in stock: {product} at {offer.retailer}"
    alert.refresh_from_db()
    assert not alert.armed and alert.last_fired_at is not None


def test_prices_in_other_currencies_are_compared_converted(
    shopper, django_capture_on_commit_callbacks
):
    from catalog.models import ExchangeRate

    day = timezone.now().date()
    ExchangeRate.objects.create(currency="USD", date=day, rate=Decimal("1.10"))
    product = published_product()
    offer = OfferFactory(product=product, price=Decimal("50.00"), currency="EUR")
    alerts.create_alert(
        user=shopper, product=product, kind="price_below", target_price=Decimal("30.00")
    )
    check(
        offer,
        CheckResult(status=Offer.LinkStatus.OK, price=Decimal("26.00"), currency="EUR"),
        django_capture_on_commit_callbacks,
    )
    # 26 EUR is 28.60 USD: below 30 USD.
    assert len(mail.outbox) == 1
    assert "about 28.60 USD" in mail.outbox[0].body


def test_unsubscribing_by_the_signed_link(client, shopper):
    product = published_product()
    alert = alerts.create_alert(user=shopper, product=product, kind="back_in_stock")
    token = alerts.unsubscribe_token("alert", alert.pk)
    page = client.get(f"/unsubscribe/{token}/")
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    alert.refresh_from_db()
    assert alert.is_active  # a GET (a mail scanner) changes nothing
    # One click from the mail program: a POST without cookies or CSRF token.
    one_click = Client(enforce_csrf_checks=True).post(
        f"/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    alert.refresh_from_db()
    assert not alert.is_active
    assert client.get("/unsubscribe/forged/").status_code == 400
    assert client.post(f"/unsubscribe/{token[:-2]}xx/").status_code == 400


def test_paused_alerts_do_not_fire(shopper, django_capture_on_commit_callbacks):
    product = published_product()
    offer = OfferFactory(product=product, out_of_stock=True)
    alert = alerts.create_alert(user=shopper, product=product, kind="back_in_stock")
    ProductAlert.objects.filter(pk=alert.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        offer.availability = Offer.Availability.IN_STOCK
        offer.save()
    assert mail.outbox == []


# Account pages


def test_setting_an_alert_from_the_product_page(client, shopper):
    product = published_product()
    OfferFactory(product=product, price=Decimal("40.00"))
    client.force_login(shopper)
    page = client.get(product.get_absolute_url())
    assert f'action="/accounts/alerts/{product.slug}/add/"' in page.content.decode()
    response = client.post(
        f"/accounts/alerts/{product.slug}/add/",
        {
            "kind": "price_below",
            "target_price": "35",
            "currency": "USD",
            "next": "/accounts/saved/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/saved/"
    alert = ProductAlert.objects.get(user=shopper)
    assert (alert.kind, alert.target_price, alert.currency, alert.armed) == (
        "price_below",
        Decimal("35.00"),
        "USD",
        True,
    )


def test_setting_an_alert_from_saved_items(client, shopper):
    product = published_product()
    SavedProduct.objects.create(user=shopper, product=product)
    client.force_login(shopper)
    page = client.get("/accounts/saved/").content.decode()
    assert f'action="/accounts/alerts/{product.slug}/add/"' in page
    client.post(f"/accounts/alerts/{product.slug}/add/", {"kind": "back_in_stock"})
    assert ProductAlert.objects.filter(user=shopper, kind="back_in_stock").exists()


@pytest.mark.parametrize(
    "data", [{"kind": "price_below"}, {"kind": "price_below", "target_price": "-1"}, {"kind": "x"}]
)
def test_a_bad_alert_is_refused_with_a_message(client, shopper, data):
    product = published_product()
    client.force_login(shopper)
    response = client.post(f"/accounts/alerts/{product.slug}/add/", data, follow=True)
    assert response.status_code == 200
    assert "The alert was not set" in response.content.decode()
    assert not ProductAlert.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    product = published_product()
    response = client.post(f"/accounts/alerts/{product.slug}/add/", {"kind": "back_in_stock"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_alerts_are_listed_paused_and_removed(client, shopper, django_assert_max_num_queries):
    for _ in range(5):
        alerts.create_alert(user=shopper, product=published_product(), kind="back_in_stock")
    other = alerts.create_alert(
        user=UserFactory(), product=published_product(), kind="back_in_stock"
    )
    client.force_login(shopper)
    with django_assert_max_num_queries(10):
        page = client.get("/accounts/alerts/")
    assert page.status_code == 200
    assert page.content.decode().count("data-alert=") == 5
    mine = ProductAlert.objects.filter(user=shopper).first()
    client.post(f"/accounts/alerts/{mine.pk}/active/", {"active": "0"})
    mine.refresh_from_db()
    assert not mine.is_active
    client.post(f"/accounts/alerts/{mine.pk}/remove/")
    assert not ProductAlert.objects.filter(pk=mine.pk).exists()
    assert client.post(f"/accounts/alerts/{other.pk}/remove/").status_code == 404


# The weekly digest


def test_the_weekly_digest_is_opt_in_and_weekly(
    client, shopper, django_capture_on_commit_callbacks
):
    artist = ArtistFactory()
    FollowedArtist.objects.create(user=shopper, artist=artist)
    VideoFactory(title="Before opting in", artists=[artist], draft=True)
    assert alerts.send_due_digests() == 0  # nobody opted in
    client.force_login(shopper)
    client.post("/accounts/alerts/digest/", {"weekly_digest": "1"})
    assert DigestSubscription.objects.get(user=shopper).weekly_digest
    video = Video.objects.get(title="Before opting in")
    video.status = Video.Status.PUBLISHED
    video.save()
    VideoFactory(title="Not followed", draft=False)
    with django_capture_on_commit_callbacks(execute=True):  # mail leaves after commit
        assert alerts.send_due_digests() == 1
    message = mail.outbox[0]
    assert "Before opting in" in message.body and "Not followed" not in message.body
    assert "List-Unsubscribe" in message.extra_headers
    assert alerts.send_due_digests() == 0  # one a week
    token = message.extra_headers["List-Unsubscribe"].strip("<>").rstrip("/").split("/")[-1]
    Client().post(f"/unsubscribe/{token}/")
    assert not DigestSubscription.objects.get(user=shopper).weekly_digest
