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
from storefront import sitemaps

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


def sitemap_text(client, host=HOST):
    """The sitemap index and every section it lists, as one text."""
    index = client.get(reverse("storefront:sitemap"), HTTP_HOST=host)
    assert index.status_code == 200
    assert index["Content-Type"] == "application/xml"
    assert index.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<sitemapindex" in index.text
    bodies = [index.text]
    for location in re.findall(r"<loc>([^<]+)</loc>", index.text):
        assert location.startswith(f"http://{host}/sitemap-")
        section = client.get(location.removeprefix(f"http://{host}"), HTTP_HOST=host)
        assert section.status_code == 200
        assert section["Content-Type"] == "application/xml"
        bodies.append(section.text)
    return "\n".join(bodies)


def test_sitemap_lists_published_pages_on_the_requested_host(client):
    artist = ArtistFactory()
    video = VideoFactory(artists=[artist])
    draft = VideoFactory(draft=True)
    product = ProductFactory()
    VideoProductFactory(video=video, product=product)
    hidden_product = ProductFactory()
    VideoProductFactory(video=draft, product=hidden_product)

    body = sitemap_text(client)

    for obj in [artist, video, product]:
        assert f"<loc>http://{HOST}{obj.get_absolute_url()}</loc>" in body
    assert draft.get_absolute_url() not in body
    assert hidden_product.get_absolute_url() not in body
    assert "example.com" not in body


def test_sitemap_sections_are_paged(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 2)
    products = []
    for _ in range(5):
        product = ProductFactory()
        VideoProductFactory(video=VideoFactory(), product=product)
        products.append(product)

    index = client.get(reverse("storefront:sitemap"), HTTP_HOST=HOST).text
    pages = [reverse("storefront:sitemap-section", args=["products", page]) for page in (1, 2, 3)]
    assert all(f"http://{HOST}{page}</loc>" in index for page in pages)
    third = client.get(pages[2], HTTP_HOST=HOST).text
    assert third.count("<url>") == 1
    assert products[-1].get_absolute_url() in third
    missing = reverse("storefront:sitemap-section", args=["products", 4])
    assert client.get(missing, HTTP_HOST=HOST).status_code == 404
    unknown = reverse("storefront:sitemap-section", args=["nothing", 1])
    assert client.get(unknown, HTTP_HOST=HOST).status_code == 404


def test_video_sitemap_carries_googles_video_extension(client):
    video = VideoFactory(
        title="Rain & Shine",
        description="The official video.",
        thumbnail="videos/rain.jpg",
        duration=timedelta(minutes=3, seconds=25),
    )
    VideoSourceFactory(video=video, provider="youtube", external_id="dQw4w9WgXcQ")
    VideoFactory(thumbnail="videos/alone.jpg")  # no source: Google would refuse it
    VideoFactory(draft=True, thumbnail="videos/draft.jpg")

    response = client.get(reverse("storefront:sitemap-section", args=["video", 1]), HTTP_HOST=HOST)

    assert response.status_code == 200
    body = response.text
    assert 'xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"' in body
    assert body.count("<video:video>") == 1
    assert f"<loc>http://{HOST}{video.get_absolute_url()}</loc>" in body
    assert "<video:title>Rain &amp; Shine</video:title>" in body
    assert "<video:description>The official video.</video:description>" in body
    assert f"<video:thumbnail_loc>http://{HOST}/media/videos/rain.jpg" in body
    assert "<video:player_loc>https://www.youtube.com/embed/dQw4w9WgXcQ</video:player_loc>" in (
        body
    )
    assert "<video:duration>205</video:duration>" in body


def test_video_sitemap_is_paged_by_its_own_smaller_page_size(client, monkeypatch):
    monkeypatch.setattr(sitemaps, "VIDEO_PAGE_SIZE", 2)
    videos = [VideoFactory(thumbnail=f"videos/{n}.jpg") for n in range(3)]
    for video in videos:
        VideoSourceFactory(video=video, provider="youtube", external_id=f"id{video.pk}")

    index = client.get(reverse("storefront:sitemap"), HTTP_HOST=HOST).text
    pages = [reverse("storefront:sitemap-section", args=["video", page]) for page in (1, 2, 3)]
    first, second = (client.get(page, HTTP_HOST=HOST) for page in pages[:2])

    assert f"{pages[1]}</loc>" in index and f"{pages[2]}</loc>" not in index
    assert first.text.count("<video:video>") == 2
    assert second.text.count("<video:video>") == 1
    assert videos[-1].get_absolute_url() in second.text
    assert client.get(pages[2], HTTP_HOST=HOST).status_code == 404
    assert sitemaps.VIDEO_PAGE_SIZE < sitemaps.PAGE_SIZE


def test_sitemap_is_cached_until_the_catalog_changes(client, django_assert_num_queries):
    product = ProductFactory()
    VideoProductFactory(video=VideoFactory(), product=product)
    section = reverse("storefront:sitemap-section", args=["products", 1])
    client.get(section, HTTP_HOST=HOST)
    with django_assert_num_queries(0):
        assert client.get(section, HTTP_HOST=HOST).status_code == 200
    other = ProductFactory()
    VideoProductFactory(video=VideoFactory(), product=other)
    assert other.get_absolute_url() in client.get(section, HTTP_HOST=HOST).text


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


@pytest.mark.parametrize("count", [2, 10])
def test_sitemap_query_counts_are_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        VideoSourceFactory(video=VideoFactory(artists=[ArtistFactory()], thumbnail="v.jpg"))
        VideoProductFactory(video=VideoFactory(), product=ProductFactory())
    index = reverse("storefront:sitemap")
    # a count per section: artists, videos, products, retailers, the video sitemap
    with django_assert_num_queries(5):
        client.get(index, HTTP_HOST=HOST)
    for section, queries in [("products", 1), ("artists", 1), ("video", 2)]:
        with django_assert_num_queries(queries):
            page = reverse("storefront:sitemap-section", args=[section, 1])
            assert client.get(page, HTTP_HOST=HOST).status_code == 200
