"""The back-office pages for shoppers' saves and follows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from catalog.tests.factories import ArtistFactory, ProductFactory, UserFactory
from storefront.models import FollowedArtist, SavedProduct

from .factories import FollowedArtistFactory, SavedProductFactory

pytestmark = pytest.mark.django_db

SHOPPER_LISTS = [(SavedProduct, SavedProductFactory), (FollowedArtist, FollowedArtistFactory)]
IDS = ["savedproduct", "followedartist"]


def admin_url(model, action, *args):
    return reverse(f"admin:storefront_{model._meta.model_name}_{action}", args=args)


def count_queries(client, url):
    # The first request fills per-process caches (content types); count the steady state.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(("model", "factory_class"), SHOPPER_LISTS, ids=IDS)
def test_changelist_query_count_does_not_grow_with_rows(client, staff_user, model, factory_class):
    client.force_login(staff_user)
    url = admin_url(model, "changelist")
    factory_class.create_batch(2)
    few = count_queries(client, url)
    factory_class.create_batch(18)
    assert count_queries(client, url) == few


@pytest.mark.parametrize(("model", "factory_class"), SHOPPER_LISTS, ids=IDS)
def test_changelist_shows_each_row_with_the_shoppers_email(
    client, staff_user, model, factory_class
):
    row = factory_class(user=UserFactory(email="ada@example.com"))
    client.force_login(staff_user)
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "ada@example.com" in response.text
    assert list(response.context["cl"].result_list) == [row]


@pytest.mark.parametrize(("model", "factory_class"), SHOPPER_LISTS, ids=IDS)
def test_changelist_filters_by_date(client, staff_user, model, factory_class):
    factory_class()
    client.force_login(staff_user)
    url = admin_url(model, "changelist")
    changelist = client.get(url).context["cl"]
    [date_filter] = changelist.filter_specs
    choices = {
        choice["display"]: choice["query_string"] for choice in date_filter.choices(changelist)
    }

    today = client.get(url + choices["Today"])
    last_year = client.get(url, {"created_at__lt": "2000-01-02T00:00:00+00:00"})

    assert today.context["cl"].result_count == 1
    assert last_year.context["cl"].result_count == 0


def search(client, model, term):
    response = client.get(admin_url(model, "changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_saves_are_found_by_email_and_by_product(client, staff_user):
    ada = SavedProductFactory(
        user=UserFactory(email="ada@example.com"), product=ProductFactory(name="Trench coat")
    )
    bob = SavedProductFactory(
        user=UserFactory(email="bob@example.com"), product=ProductFactory(name="Bucket hat")
    )
    client.force_login(staff_user)
    assert search(client, SavedProduct, "ada@example") == [ada]
    assert search(client, SavedProduct, "bucket") == [bob]
    assert search(client, SavedProduct, bob.product.upc) == [bob]


def test_follows_are_found_by_email_and_by_artist(client, staff_user):
    ada = FollowedArtistFactory(
        user=UserFactory(email="ada@example.com"), artist=ArtistFactory(name="Röyksopp")
    )
    bob = FollowedArtistFactory(
        user=UserFactory(email="bob@example.com"), artist=ArtistFactory(name="Air")
    )
    client.force_login(staff_user)
    assert search(client, FollowedArtist, "ada@") == [ada]
    assert search(client, FollowedArtist, "röyk") == [ada]
    assert search(client, FollowedArtist, "bob@example.com") == [bob]


@pytest.mark.parametrize(("model", "factory_class"), SHOPPER_LISTS, ids=IDS)
def test_staff_see_a_row_but_cannot_add_or_change_one(client, staff_user, model, factory_class):
    row = factory_class()
    client.force_login(staff_user)
    response = client.get(admin_url(model, "change", row.pk))
    assert response.status_code == 200
    assert "<select" not in response.text
    assert client.get(admin_url(model, "add")).status_code == 403
    other = UserFactory()
    client.post(admin_url(model, "change", row.pk), {"user": other.pk})
    row.refresh_from_db()
    assert row.user_id != other.pk


def test_curators_do_not_see_shoppers_lists(client, curator):
    client.force_login(curator)
    assert client.get(admin_url(SavedProduct, "changelist")).status_code == 403
    assert client.get(admin_url(FollowedArtist, "changelist")).status_code == 403
