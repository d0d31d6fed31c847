"""Content-Security-Policy and Permissions-Policy on the storefront, the admin and the API docs."""

import re

from django.test import Client

import pytest

from catalog.tests.factories import UserFactory, VideoFactory, VideoSourceFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def pages(client):
    video = VideoFactory()
    VideoSourceFactory(video=video)
    return [
        "/",
        "/videos/",
        video.get_absolute_url(),
        "/products/",
        "/accounts/login/",
        "/api/v1/",
        "/api/docs/",
        "/api/redoc/",
        "/admin/login/",
    ]


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(UserFactory(superuser=True))
    return client


def test_every_kind_of_page_sends_a_policy_without_inline_scripts():
    client = Client()
    for path in pages(client):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        policy = directives(response)
        scripts = policy["script-src"]
        assert "'self'" in scripts, path
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["object-src"] == ["'none'"], path
        assert response["Permissions-Policy"].startswith("accelerometer=()"), path
        # Inline script elements are data (JSON) or carry the response's nonce.
        for attributes in INLINE_SCRIPT.findall(response.content.decode()):
            if "application/json" in attributes or "application/ld+json" in attributes:
                continue
            nonce = re.search(r'nonce="([^"]+)"', attributes)
            assert nonce and f"'nonce-{nonce.group(1)}'" in scripts, (path, attributes)


def test_the_admin_pages_send_the_policy(staff_client):
    for path in ["/admin/", "/admin/catalog/product/", "/admin/catalog/product/add/"]:
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in directives(response)["script-src"], path


def test_the_video_players_are_allowed_and_nothing_else_framed():
    policy = directives(Client().get("/"))

    assert "https://www.youtube-nocookie.com" in policy["frame-src"]
    assert "https://player.vimeo.com" in policy["frame-src"]
    assert "https://www.youtube.com" in policy["script-src"]


def test_swagger_ui_loads_its_start_up_script_as_a_file():
    page = Client().get("/api/docs/").content.decode()
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', page)

    assert script, page
    response = Client().get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()
