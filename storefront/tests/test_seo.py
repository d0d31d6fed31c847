import json
import re
from datetime import timedelta

from django.urls import reverse

import pytest

from catalog.tests.factories import (
    AppearanceFactory,
    ArtistFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)

pytestmark = pytest.mark.django_db

HOST = "shop.inspired.test"


@pytest.fixture(autouse=True)
def _allow_host(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]


def json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def meta(html, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    return match.group(1) if match else None


def test_video_page_has_canonical_social_tags_and_a_clip_per_scene(client):
    video = VideoFactory(
        title="Night Drive", description="Neon and leather.", artists=[ArtistFactory()]
    )
    VideoSourceFactory(video=video)
    SceneFactory(video=video, title="Intro", start=timedelta(0), end=timedelta(seconds=4))
    SceneFactory(video=video, title="Bridge", start=timedelta(seconds=4), end=timedelta(seconds=8))

    html = client.get(video.get_absolute_url() + "?t=4&utm_source=x", HTTP_HOST=HOST).text

    canonical = f"http://{HOST}/videos/night-drive/"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert meta(html, "name", "description") == "Neon and leather."
    assert meta(html, "property", "og:title") == "Night Drive: shop the looks"
    assert meta(html, "property", "og:url") == canonical
    assert meta(html, "name", "twitter:card") == "summary"
    (data,) = json_ld(html)
    assert data["@type"] == "VideoObject"
    assert data["name"] == "Night Drive"
    assert data["duration"] == "PT0H3M30S"
    assert [(clip["@type"], clip["name"], clip["startOffset"]) for clip in data["hasPart"]] == [
        ("Clip", "Intro", 0),
        ("Clip", "Bridge", 4),
    ]
    assert data["hasPart"][1]["url"] == f"{canonical}?t=4"


def test_product_page_has_product_json_ld_with_its_offers(client):
    product = ProductFactory(brand="Acme", name="Moto Jacket", description="Black leather.")
    VideoProductFactory(product=product)
    ProductImageFactory(product=product)
    offer = OfferFactory(product=product, currency="EUR")
    OfferFactory(product=product, out_of_stock=True)

    html = client.get(product.get_absolute_url(), HTTP_HOST=HOST).text

    assert f'<link rel="canonical" href="http://{HOST}/products/acme-moto-jacket/">' in html
    assert meta(html, "property", "og:type") == "product"
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    (data,) = json_ld(html)
    assert data["@type"] == "Product"
    assert data["brand"] == {"@type": "Brand", "name": "Acme"}
    assert data["gtin"] == product.upc
    assert len(data["image"]) == 1
    availability = {item["availability"] for item in data["offers"]}
    assert availability == {"https://schema.org/InStock", "https://schema.org/OutOfStock"}
    assert {"price": str(offer.price), "priceCurrency": "EUR"}.items() <= next(
        item for item in data["offers"] if item["priceCurrency"] == "EUR"
    ).items()


def test_json_ld_cannot_be_broken_out_of(client):
    product = ProductFactory(name="</script><script>alert(1)</script>", slug="hostile")
    VideoProductFactory(product=product)

    html = client.get(product.get_absolute_url()).text

    assert "</script><script>alert(1)" not in html
    assert json_ld(html)[0]["name"] == "</script><script>alert(1)</script>"


def test_share_links_on_video_and_product_pages(client):
    product = ProductFactory()
    VideoProductFactory(product=product)
    video = product.video_products.get().video

    # A product is shared by its share URL, whose preview is the look's card.
    pages = [
        (video.get_absolute_url(), video.get_absolute_url()),
        (product.get_absolute_url(), f"/share/products/{product.slug}/"),
    ]
    for url, shared in pages:
        html = client.get(url, HTTP_HOST=HOST).text
        encoded = f"http%3A%2F%2F{HOST}{shared.replace('/', '%2F')}"
        assert f"https://www.facebook.com/sharer/sharer.php?u={encoded}" in html
        assert f"https://x.com/intent/post?url={encoded}" in html
        assert f"https://www.pinterest.com/pin/create/button/?url={encoded}" in html
        assert "mailto:?subject=" in html


def test_sitemap_lists_published_pages_on_the_requested_host(client):
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist])
    draft = VideoFactory(draft=True)
    product = ProductFactory()
    VideoProductFactory(video=video, product=product)
    hidden_product = ProductFactory()
    VideoProductFactory(video=draft, product=hidden_product)

    response = client.get(reverse("storefront:sitemap"), HTTP_HOST=HOST)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    body = response.text
    for obj in [artist, video, product]:
        assert f"<loc>http://{HOST}{obj.get_absolute_url()}</loc>" in body
    assert draft.get_absolute_url() not in body
    assert hidden_product.get_absolute_url() not in body
    assert "example.com" not in body


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_off_the_click_out(client):
    response = client.get("/robots.txt", HTTP_HOST=HOST)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "Disallow: /go/" in lines
    assert f"Sitemap: http://{HOST}/sitemap.xml" in lines


def test_every_image_has_alt_text(client):
    scene = SceneFactory(video=VideoFactory(artists=[ArtistFactory()]))
    product = ProductFactory()
    ProductImageFactory(product=product)
    AppearanceFactory(scene=scene, product=product)

    for url in [
        reverse("storefront:home"),
        scene.video.get_absolute_url(),
        product.get_absolute_url(),
        reverse("storefront:product-list"),
    ]:
        html = client.get(url).text
        images = re.findall(r"<img\b[^>]*>", html)
        assert images or url == reverse("storefront:home")
        assert all(re.search(r'\salt="[^"]+"', tag) for tag in images), url
