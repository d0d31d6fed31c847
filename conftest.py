from django.core.cache import cache

import pytest
from rest_framework.test import APIClient

from catalog.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep files that tests upload out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with no cached pages, facet counts or throttle counts."""
    from storefront.caching import local_pages

    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def curator(db):
    return UserFactory(curator=True)


@pytest.fixture
def staff_user(db):
    return UserFactory(superuser=True)


@pytest.fixture
def plain_user(db):
    return UserFactory()


@pytest.fixture
def curator_client(client, curator):
    """Django's test client, signed in as a curator (the admin's views)."""
    client.force_login(curator)
    return client


@pytest.fixture
def curator_api_client(api_client, curator):
    """The API's test client, authenticated as a curator."""
    api_client.force_authenticate(curator)
    return api_client
