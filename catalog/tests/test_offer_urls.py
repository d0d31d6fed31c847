"""Offer links and retailers' link templates pass the link checker's guard when saved."""

from django.core.exceptions import ValidationError

import pytest

from catalog.models import Offer, Retailer
from catalog.tests.factories import OfferFactory, ProductFactory, RetailerFactory
from catalog.tests.test_api_fixtures import api_url

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    "http://127.0.0.1/p/1",
    "http://localhost/p/1",
    "http://shop.localhost/p/1",
    "http://10.0.0.7/p/1",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/p/1",
    "http://192.0.0.8/p/1",
    "http://[2002:a00:1::1]/p/1",
    "https://shop.example.com:8443/p/1",
    "https://user:pw@shop.example.com/p/1",
]


@pytest.fixture
def guarded(settings):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = []


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_an_offer_link_the_checker_would_refuse_is_not_stored(guarded, url):
    offer = OfferFactory.build(product=ProductFactory(), retailer=RetailerFactory(), url=url)

    with pytest.raises(ValidationError) as error:
        offer.full_clean()

    assert list(error.value.message_dict) == ["url"]
    assert error.value.message_dict["url"][0].startswith("This link cannot be used: ")


def test_a_public_link_is_stored(guarded):
    offer = OfferFactory.build(
        product=ProductFactory(), retailer=RetailerFactory(), url="https://shop.example.com/p/1"
    )
    offer.full_clean()


def test_the_api_refuses_a_private_offer_link(guarded, api_client, curator):
    api_client.force_authenticate(curator)
    response = api_client.post(
        api_url("offer-list"),
        {
            "product": ProductFactory().slug,
            "retailer": RetailerFactory().slug,
            "url": "http://169.254.169.254/latest/meta-data/",
            "price": "10.00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["url"]
    assert Offer.objects.count() == 0


@pytest.mark.parametrize(
    "template",
    [
        "http://10.0.0.1/go?u={url_encoded}",
        "http://localhost/?u={url_encoded}",
        "https://go.example.com:2222/?u={url_encoded}",
        "{url_encoded}",
        "javascript:alert(1)//{url}",
        "{url_encoded}@127.0.0.1",
    ],
)
def test_a_link_template_is_checked_as_the_whole_link_it_makes(guarded, template):
    retailer = Retailer(name="Shop", slug="shop", link_template=template)

    with pytest.raises(ValidationError) as error:
        retailer.full_clean()

    assert list(error.value.message_dict) == ["link_template"]


@pytest.mark.parametrize(
    "template",
    ["https://go.example.com/?id=1&url={url_encoded}", "{url}?utm_source=inspired", ""],
)
def test_good_link_templates_are_accepted(guarded, template):
    Retailer(name="Shop", slug="shop", link_template=template).full_clean()
