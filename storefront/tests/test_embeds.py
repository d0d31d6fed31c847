"""The embeddable player and oEmbed: framable only there, no cookies, credited click-outs."""

import json
from urllib.parse import quote

import pytest

from catalog.models import Click
from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoSourceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def video():
    video = VideoFactory(title="Neon Nights", artists=[ArtistFactory(name="Lumen")])
    VideoSourceFactory(video=video)
    scene = SceneFactory(video=video)
    AppearanceFactory(scene=scene, product=OfferFactory().product)
    return video


def test_the_embed_page_may_be_framed_and_sets_no_cookies(client, video):
    signed_in = UserFactory()
    client.force_login(signed_in)
    response = client.get(f"/embed/videos/{video.slug}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors *"
    assert "X-Frame-Options" not in response
    assert not response.cookies
    assert "public" in response["Cache-Control"]
    page = response.content.decode()
    assert 'id="player"' in page and "data-scene-panel" in page
    assert "<script>" not in page  # no inline script: the page keeps a strict CSP
    assert "via=embed" in page and 'target="_blank"' in page


def test_other_pages_may_not_be_framed(client, video):
    response = client.get(video.get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"


def test_drafts_are_not_embeddable(client):
    draft = VideoFactory(draft=True)
    assert client.get(f"/embed/videos/{draft.slug}/").status_code == 404


def test_oembed_answers_a_rich_player(client, video):
    url = f"http://testserver{video.get_absolute_url()}"
    response = client.get("/oembed", {"url": url, "format": "json", "maxwidth": "640"})
    assert response.status_code == 200
    data = response.json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["title"] == "Neon Nights" and data["author_name"] == "Lumen"
    assert data["width"] == 640 and data["height"] == 400
    assert f'src="http://testserver/embed/videos/{video.slug}/"' in data["html"]
    assert data["provider_name"] == "Inspired"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"url": "not a url"}, 404),
        ({"url": "https://elsewhere.example/videos/x/"}, 404),
        ({"url": "http://testserver/products/"}, 404),
        ({"url": "http://testserver/videos/no-such-video/"}, 404),
        ({"url": "http://testserver/videos/x/", "format": "xml"}, 501),
        ({"url": "http://testserver/videos/x/", "maxwidth": "-5"}, 400),
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, query, status):
    assert client.get("/oembed", query).status_code == status


def test_video_pages_carry_the_discovery_link(client, video):
    page = client.get(video.get_absolute_url()).content.decode()
    page_url = quote(f"http://testserver{video.get_absolute_url()}", safe="")
    assert (
        '<link rel="alternate" type="application/json+oembed" '
        f'href="http://testserver/oembed?url={page_url}&amp;format=json"'
    ) in page


def test_click_outs_from_an_embed_are_credited_to_it_and_its_host(client, video):
    offer = video.scenes.first().appearances.first().product.offers.first()
    scene = video.scenes.first()
    response = client.get(
        f"/go/{offer.pk}/",
        {"scene": scene.pk, "via": "embed", "host": "blog.example.org"},
    )
    assert response.status_code == 302
    click = Click.objects.get()
    assert (click.channel, click.embed_host, click.scene_id) == (
        "embed",
        "blog.example.org",
        scene.pk,
    )
    client.get(f"/go/{offer.pk}/", {"via": "embed", "host": "<script>"})
    assert Click.objects.latest("id").embed_host == ""


def test_the_oembed_answer_is_json_with_cors(client, video):
    url = f"http://testserver{video.get_absolute_url()}"
    response = client.get("/oembed", {"url": url})
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    json.loads(response.content)
