"""Share URLs of scenes and products, and their Open Graph cards drawn with Pillow."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from catalog.integrations import sharecards
from catalog.tests.factories import (
    AppearanceFactory,
    ProductFactory,
    ProductImageFactory,
    SceneFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _card_dir(settings, tmp_path):
    settings.CATALOG_SHARE_CARD_DIR = tmp_path / "cards"


@pytest.fixture
def scene():
    video = VideoFactory(title="Midnight Drive")
    scene = SceneFactory(video=video, start=timedelta(minutes=1, seconds=23))
    for colour in ("red", "navy"):
        product = ProductFactory(brand="Acme", name=f"{colour} jacket")
        ProductImageFactory(product=product, image__color=colour, image__width=60)
        AppearanceFactory(scene=scene, product=product)
    return scene


def card_of(client, page_url):
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    image = re.search(r'<meta property="og:image" content="([^"]+)"', html).group(1)
    response = client.get(image.removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return html, Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_a_scene_share_url_has_a_card_with_the_look_title_and_time(client, scene):
    html, card = card_of(client, f"/share/scenes/{scene.pk}/")
    assert card.size == (1200, 630)
    assert 'content="Acme red jacket, Acme navy jacket: seen in Midnight Drive at 1:23"' in html
    assert f'href="{scene.get_absolute_url()}"' in html
    # The look: the first picture's colour fills the left of the card.
    red, green, blue = card.getpixel((60, 300))
    assert red > 240 and green < 20 and blue < 20
    red, green, blue = card.getpixel((560, 300))  # the second picture, navy
    assert blue > 100 and red < 20
    card_data = sharecards.scene_card(scene)
    assert (card_data.title, card_data.moment) == ("Midnight Drive", "at 1:23")


def test_a_product_share_url_names_the_video_and_moment(client, scene):
    product = scene.appearances.first().product
    html, card = card_of(client, f"/share/products/{product.slug}/")
    assert card.size == (1200, 630)
    assert "seen in Midnight Drive at 1:23" in html


def test_cards_are_drawn_once_and_redrawn_when_the_look_changes(client, scene, monkeypatch):
    drawn = []
    original = sharecards.draw
    monkeypatch.setattr(sharecards, "draw", lambda card: drawn.append(card) or original(card))
    for _ in range(3):
        client.get(f"/share/scenes/{scene.pk}/card.png")
    assert len(drawn) == 1
    scene.video.title = "Midnight Drive (Live)"
    scene.video.save()
    client.get(f"/share/scenes/{scene.pk}/card.png")
    assert len(drawn) == 2


def test_drafts_and_unknown_scenes_have_no_share_page(client):
    draft_scene = SceneFactory(video=VideoFactory(draft=True))
    assert client.get(f"/share/scenes/{draft_scene.pk}/").status_code == 404
    assert client.get(f"/share/scenes/{draft_scene.pk}/card.png").status_code == 404
    assert client.get("/share/products/nothing-here/").status_code == 404


def test_pages_link_to_their_share_urls(client, scene):
    page = client.get(scene.video.get_absolute_url()).content.decode()
    assert f'href="/share/scenes/{scene.pk}/"' in page
    product = scene.appearances.first().product
    product_page = client.get(product.get_absolute_url()).content.decode()
    assert f"share%2Fproducts%2F{product.slug}" in product_page
