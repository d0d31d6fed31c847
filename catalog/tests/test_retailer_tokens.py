"""Retailer-scoped API tokens: a retailer's integration updates its own offers, nothing else."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import Offer, RetailerToken

from .factories import ArtistFactory, OfferFactory, ProductFactory, RetailerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    retailer = RetailerFactory(name="Shop", slug="shop")
    row, token = RetailerToken.objects.issue(retailer=retailer, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return retailer, client, row


def test_the_token_is_stored_hashed(shop):
    _retailer, client, row = shop
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert token.startswith("rtk_")
    assert token not in (row.digest, row.key_prefix) and len(row.digest) == 64


def test_it_updates_its_own_offers_price_availability_and_url(shop):
    retailer, client, row = shop
    offer = OfferFactory(retailer=retailer, price=Decimal("10.00"))
    response = client.patch(
        f"/api/v1/offers/{offer.pk}/",
        {"price": "8.50", "availability": "out_of_stock", "url": "https://shop.example.com/n"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert (offer.price, offer.availability, offer.url) == (
        Decimal("8.50"),
        Offer.Availability.OUT_OF_STOCK,
        "https://shop.example.com/n",
    )
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_it_cannot_touch_another_retailers_offer(shop):
    _, client, _ = shop
    other = OfferFactory(price=Decimal("10.00"))
    response = client.patch(f"/api/v1/offers/{other.pk}/", {"price": "1.00"}, format="json")
    assert response.status_code in (403, 404)
    other.refresh_from_db()
    assert other.price == Decimal("10.00")


def test_it_cannot_change_other_fields_of_its_offer(shop):
    retailer, client, _ = shop
    offer = OfferFactory(retailer=retailer)
    other_product = ProductFactory()
    response = client.patch(
        f"/api/v1/offers/{offer.pk}/", {"product": other_product.slug}, format="json"
    )
    assert response.status_code == 400
    assert "product" in response.json()
    offer.refresh_from_db()
    assert offer.product_id != other_product.pk


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("post", "/api/v1/offers/", {}),
        ("post", "/api/v1/artists/", {"name": "X", "slug": "x"}),
        ("post", "/api/v1/products/upsert/", {"upc": "00000000000"}),
        ("post", "/api/v1/webhooks/", {}),
        ("get", "/api/v1/webhooks/", None),
    ],
)
def test_nothing_else_is_allowed(shop, method, path, payload):
    _, client, _ = shop
    response = getattr(client, method)(path, payload, format="json")
    assert response.status_code == 403


def test_it_cannot_delete_its_offers_or_edit_artists(shop):
    retailer, client, _ = shop
    offer = OfferFactory(retailer=retailer)
    artist = ArtistFactory()
    assert client.delete(f"/api/v1/offers/{offer.pk}/").status_code == 403
    assert client.patch(f"/api/v1/artists/{artist.pk}/", {"name": "Y"}).status_code == 403
    assert Offer.objects.filter(pk=offer.pk).exists()


def test_upsert_updates_its_existing_offer(shop):
    retailer, client, _ = shop
    offer = OfferFactory(retailer=retailer, price=Decimal("30.00"))
    response = client.post(
        "/api/v1/offers/upsert/",
        {"product": offer.product.slug, "price": "25.00", "availability": "in_stock"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["price"] == "25.00"
    offer.refresh_from_db()
    assert offer.price == Decimal("25.00")


def test_upsert_refuses_other_retailers_new_offers_and_other_fields(shop):
    _retailer, client, _ = shop
    other = OfferFactory()
    product = ProductFactory()
    answers = [
        client.post(
            "/api/v1/offers/upsert/",
            {"product": other.product.slug, "retailer": other.retailer.slug, "price": "1.00"},
            format="json",
        ),
        client.post(
            "/api/v1/offers/upsert/", {"product": product.slug, "price": "1.00"}, format="json"
        ),
        client.post(
            "/api/v1/offers/upsert/",
            {"product": product.slug, "last_checked_at": "2026-01-01T00:00:00Z"},
            format="json",
        ),
    ]
    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert "retailer" in answers[0].json()
    assert "product" in answers[1].json()
    assert "last_checked_at" in answers[2].json()
    assert not Offer.objects.filter(product=product).exists()
    other.refresh_from_db()
    assert other.price != Decimal("1.00")


def test_a_bad_price_is_a_400(shop):
    retailer, client, _ = shop
    offer = OfferFactory(retailer=retailer)
    response = client.patch(f"/api/v1/offers/{offer.pk}/", {"price": "-3"}, format="json")
    assert response.status_code == 400
    assert "price" in response.json()


def test_revoked_and_unknown_tokens_are_401(shop):
    retailer, client, row = shop
    offer = OfferFactory(retailer=retailer)
    row.revoke()
    assert client.patch(f"/api/v1/offers/{offer.pk}/", {"price": "1"}).status_code == 401
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token rtk_made_up")
    assert stranger.get("/api/v1/offers/").status_code == 401


def test_the_admin_issues_a_token_once(client, staff_user):
    retailer = RetailerFactory()
    client.force_login(staff_user)
    response = client.post(
        "/admin/catalog/retailertoken/add/",
        {"retailer": retailer.pk, "name": "Feed sync"},
        follow=True,
    )
    assert response.status_code == 200
    row = RetailerToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    token = next(word for m in shown for word in m.split() if word.startswith("rtk_"))
    assert RetailerToken.objects.authenticate(token) == row
    assert (
        token not in client.get(f"/admin/catalog/retailertoken/{row.pk}/change/").content.decode()
    )
