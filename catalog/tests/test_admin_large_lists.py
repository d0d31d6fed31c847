"""The change lists of the large tables: bounded counts, indexed filters, full-text search."""

from decimal import Decimal

from django.urls import reverse

import pytest

from catalog.admin import paginator

from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db
# MariaDB's FULLTEXT index sees only committed rows: the search tests commit theirs.
searching = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OFFERS = reverse("admin:catalog_offer_changelist")
APPEARANCES = reverse("admin:catalog_appearance_changelist")


def listed(response):
    return list(response.context["cl"].result_list)


def test_a_filtered_list_is_counted_up_to_a_cap_and_says_there_are_more(
    curator_client, monkeypatch
):
    monkeypatch.setattr(paginator, "FILTERED_COUNT_UP_TO", 3)
    for _ in range(5):
        OfferFactory(currency="EUR")
    OfferFactory(currency="GBP")

    capped = curator_client.get(OFFERS, {"currency": "EUR"})
    exact = curator_client.get(OFFERS, {"currency": "GBP"})

    assert capped.context["cl"].result_count == 3
    assert "3+ offers" in " ".join(capped.content.decode().split())
    assert exact.context["cl"].result_count == 1
    assert "1 offer" in " ".join(exact.content.decode().split())
    assert "1+" not in exact.content.decode()


def test_the_currency_filter_lists_the_currencies_in_use(curator_client):
    OfferFactory(currency="JPY")
    OfferFactory(currency="EUR")
    response = curator_client.get(OFFERS)
    choices = [
        choice["display"]
        for spec in response.context["cl"].filter_specs
        if spec.title == "currency"
        for choice in spec.choices(response.context["cl"])
    ]
    assert choices == ["All", "EUR", "JPY"]


def test_the_healthy_filter_leaves_out_the_offers_that_need_attention(curator_client):
    healthy = OfferFactory()
    failing = OfferFactory(failed_checks=1)
    assert listed(curator_client.get(OFFERS, {"needs_attention": "no"})) == [healthy]
    assert listed(curator_client.get(OFFERS, {"needs_attention": "yes"})) == [failing]


@searching
def test_offers_are_searched_by_their_product_words_and_by_whole_url(curator_client):
    rains = ProductFactory(brand="Rains", name="Long Jacket")
    levis = ProductFactory(brand="Levi's", name="Trucker Jacket")
    other = ProductFactory(brand="Umbra", name="Satin Top")
    rains_offer = OfferFactory(product=rains, url="https://shop.example.com/rains-long")
    levis_offer = OfferFactory(product=levis)
    OfferFactory(product=other)

    assert set(listed(curator_client.get(OFFERS, {"q": "jackets"}))) == {
        rains_offer,
        levis_offer,
    }
    assert listed(curator_client.get(OFFERS, {"q": "LEVIS trucker"})) == [levis_offer]
    assert listed(curator_client.get(OFFERS, {"q": rains.upc})) == [rains_offer]
    assert listed(curator_client.get(OFFERS, {"q": "https://shop.example.com/rains-long"})) == [
        rains_offer
    ]
    assert listed(curator_client.get(OFFERS, {"q": "nothing-like-this"})) == []


@searching
def test_appearances_are_searched_by_product_and_by_the_title_of_their_video(curator_client):
    video = VideoFactory(title="Midnight Rain")
    seen = AppearanceFactory(scene=SceneFactory(video=video), product__name="Velvet Coat")
    AppearanceFactory(product__name="Denim Shirt")

    assert listed(curator_client.get(APPEARANCES, {"q": "velvet"})) == [seen]
    assert listed(curator_client.get(APPEARANCES, {"q": "midnight rain"})) == [seen]


def test_the_search_box_says_what_it_searches(curator_client):
    response = curator_client.get(OFFERS)
    assert "Or an offer&#x27;s whole URL." in response.content.decode()


def test_a_price_is_not_a_search_word_that_breaks_the_list(curator_client):
    OfferFactory(price=Decimal("9.99"))
    assert curator_client.get(OFFERS, {"q": "9.99"}).status_code == 200
