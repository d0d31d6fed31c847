"""What a shopper meets: buyable offers, their order, the click-out of hidden offers, ?t=."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.models import Click, Offer
from catalog.tests.factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
)
from storefront.views import parse_start

pytestmark = pytest.mark.django_db

UNKNOWN = Offer.Availability.UNKNOWN


def published_product(**kwargs):
    product = ProductFactory(**kwargs)
    VideoProductFactory(video=VideoFactory(), product=product)
    return product


def test_an_offer_of_unknown_availability_is_buyable(settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 3
    unknown = OfferFactory(availability=UNKNOWN)
    in_stock = OfferFactory()
    OfferFactory(out_of_stock=True)
    OfferFactory(availability=UNKNOWN, failed_checks=3)

    assert set(Offer.objects.buyable()) == {unknown, in_stock}
    assert unknown.is_buyable and in_stock.is_buyable


def test_a_product_added_by_hand_has_a_buy_button_on_every_card(client):
    """An offer keeps the admin's default availability, "Unknown"."""
    video = VideoFactory()
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=10))
    product = ProductFactory(brand="Acme", name="Hand Added Jacket")
    AppearanceFactory(scene=scene, product=product)
    offer = OfferFactory(product=product, retailer=RetailerFactory(name="Shop One"))
    Offer.objects.filter(pk=offer.pk).update(availability=UNKNOWN)

    for url in (video.get_absolute_url(), "/products/", product.get_absolute_url()):
        body = client.get(url).content.decode()
        assert "Buy at Shop One" in body, url
        assert "No retailer sells this right now" not in body, url
        assert "Not in stock" not in body, url


def test_a_product_without_offers_says_so_plainly(client):
    product = published_product(name="Lonely Hat")

    body = client.get("/products/").content.decode()

    assert "No retailer sells this right now" in body
    assert (
        "No retailer offers this right now."
        in client.get(product.get_absolute_url()).content.decode()
    )


def test_the_best_offer_comes_first_and_carries_the_badge(client, settings):
    settings.CATALOG_CURRENCY = "USD"
    product = published_product()
    pounds = OfferFactory(product=product, price=Decimal("90.00"), currency="GBP")
    dollars = OfferFactory(product=product, price=Decimal("140.00"), currency="USD")
    cheap_but_gone = OfferFactory(product=product, price=Decimal("10.00"), out_of_stock=True)

    response = client.get(product.get_absolute_url())

    assert [offer.pk for offer in response.context["offers"]] == [
        dollars.pk,
        pounds.pk,
        cheap_but_gone.pk,
    ]
    assert response.context["best_offer"] == dollars
    body = response.content.decode()
    first = body.index(f'data-offer="{dollars.pk}"')
    assert first < body.index(f'data-offer="{pounds.pk}"')
    assert body.index("Best available price") < body.index(f'data-offer="{pounds.pk}"')


def test_an_out_of_stock_offer_has_no_active_buy_button(client):
    product = published_product()
    OfferFactory(product=product, retailer=RetailerFactory(name="Gone Shop"), out_of_stock=True)

    body = client.get(product.get_absolute_url()).content.decode()

    assert "Buy at Gone Shop" not in body
    assert 'aria-disabled="true">Out of stock' in body


def test_go_for_a_dead_link_returns_to_the_product_page(client, settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 3
    product = published_product()
    offer = OfferFactory(product=product, failed_checks=3, url="https://shop.example/dead")

    response = client.get(f"/go/{offer.pk}/")

    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()
    assert not Click.objects.exists()


def test_go_for_an_offer_of_a_hidden_product_is_not_found(client):
    offer = OfferFactory(product=ProductFactory())  # in no published video

    assert client.get(f"/go/{offer.pk}/").status_code == 404
    assert not Click.objects.exists()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("65", 65),
        ("65.5", 65),
        ("1:05", 65),
        ("01:05", 65),
        ("1:02:03", 3723),
        ("1m05s", 65),
        ("1m5s", 65),
        ("65s", 65),
        ("2m", 120),
        ("1h2m3s", 3723),
        ("", 0),
        ("abc", 0),
        ("1:99", 0),
        ("-5", 0),
        ("nan", 0),
        (None, 0),
    ],
)
def test_t_takes_seconds_minutes_and_youtube_style(value, seconds):
    assert parse_start(value) == seconds


def test_the_last_scene_stays_at_and_past_the_end_of_the_video(client):
    video = VideoFactory(duration=timedelta(seconds=12))
    SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=6))
    last = SceneFactory(video=video, start=timedelta(seconds=6), end=timedelta(seconds=12))

    for t in ("12", "0:12", "30", "0:11"):
        response = client.get(video.get_absolute_url(), {"t": t})
        assert response.context["current_scene"] == last, t


def test_the_home_page_shows_trending_looks_and_new_products(client):
    from django.utils import timezone

    from catalog.analytics.rollup import refresh_click_rollup
    from catalog.tests.factories import ClickFactory

    popular, quiet = published_product(name="Popular Coat"), published_product(name="Quiet Hat")
    ClickFactory.create_batch(3, offer=OfferFactory(product=popular))
    ClickFactory(offer=OfferFactory(product=quiet))
    refresh_click_rollup(now=timezone.now() + timedelta(minutes=1))

    response = client.get("/")

    assert response.context["trending_products"] == [popular, quiet]
    assert set(response.context["newest_products"]) == {popular, quiet}
    assert "Trending looks" in response.text and "New in the shop" in response.text


def test_browse_shows_the_filters_in_use_as_removable_chips(client):
    from catalog.models import ProductType

    jacket_type = ProductType.objects.get(slug="jacket")
    OfferFactory(product=published_product(product_type=jacket_type))

    response = client.get("/products/", {"type": "jacket", "in_stock": "true", "page": "1"})

    chips = response.context["active_filters"]
    assert [chip["label"] for chip in chips] == ["Type: Jacket", "In stock only"]
    assert chips[0]["url"] == "?in_stock=true"
    assert chips[1]["url"] == "?type=jacket"
    assert 'aria-label="Remove Type: Jacket"' in response.text


def test_timecodes_have_one_format_on_the_video_page(client):
    video = VideoFactory()
    SceneFactory(
        video=video, start=timedelta(seconds=38.5), end=timedelta(seconds=42), title="Late"
    )

    body = client.get(video.get_absolute_url()).text

    assert "0:38.500" not in body
    assert "0:38–0:42" in body


def test_the_site_has_a_favicon(client):
    body = client.get("/").text

    assert 'rel="icon"' in body
    href = body.split('rel="icon" href="', 1)[1].split('"', 1)[0]
    assert client.get(href).status_code == 200


def test_account_pages_say_sign_up_and_sign_in_one_way(client):
    for url in ("/accounts/signup/", "/accounts/login/"):
        body = client.get(url).text
        for variant in ("Sign Up", "Signup", "Sign In"):
            assert variant not in body, (url, variant)
