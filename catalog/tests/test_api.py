"""Reading the catalog through the API: shapes, drafts, docs, conditional GET."""

from datetime import timedelta
from decimal import Decimal

import pytest

from catalog.models import Appearance, Offer, ProductImage

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401

pytestmark = pytest.mark.django_db

RESOURCES = [
    "artist",
    "video",
    "videosource",
    "scene",
    "castmember",
    "appearance",
    "product",
    "productimage",
    "producttype",
    "productstyle",
    "retailer",
    "offer",
]


@pytest.fixture
def shop():
    """One published video with a scene, a cast member and a product on offer."""
    artist = ArtistFactory(name="Pharrell Williams", slug="pharrell-williams")
    video = VideoFactory(title="Happy", slug="happy", artists=[artist])
    source = VideoSourceFactory(video=video)
    scene = SceneFactory(video=video, start=timedelta(seconds=5), end=timedelta(seconds=12))
    cast = CastMemberFactory(video=video, name="Lead", artist=artist)
    product = ProductFactory(brand="Vivienne Westwood", name="Mountain hat")
    image = ProductImageFactory(product=product, position=0)
    offer = OfferFactory(product=product, price=Decimal("103.81"))
    appearance = AppearanceFactory(scene=scene, product=product, cast_member=cast)
    return {
        "artist": artist,
        "video": video,
        "videosource": source,
        "scene": scene,
        "castmember": cast,
        "appearance": appearance,
        "product": product,
        "productimage": image,
        "offer": offer,
        "retailer": offer.retailer,
        "producttype": product.product_type,
        "productstyle": product.style,
    }


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_lists_and_shows_by_id_anonymously(api_client, shop, resource):
    listing = api_client.get(api_url(f"{resource}-list"))
    assert listing.status_code == 200
    ids = [row["id"] for row in listing.json()["results"]]
    assert shop[resource].pk in ids
    detail = api_client.get(api_url(f"{resource}-detail", pk=shop[resource].pk))
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == shop[resource].pk
    assert {"created_at", "updated_at"} <= body.keys()


@pytest.mark.parametrize("resource", RESOURCES)
def test_unknown_id_is_404_as_json(api_client, db, resource):
    response = api_client.get(api_url(f"{resource}-detail", pk=999999))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].endswith("matches the given query.")


def test_artist_detail_has_names_and_storefront_link(api_client, shop):
    body = api_client.get(api_url("artist-detail", pk=shop["artist"].pk)).json()
    assert body["name"] == "Pharrell Williams"
    assert body["slug"] == "pharrell-williams"
    assert {"first_name", "last_name", "bio", "image"} <= body.keys()
    assert body["web_url"] == "http://testserver/artists/pharrell-williams/"


def test_video_detail_carries_artists_sources_and_timed_scenes(api_client, shop):
    video = shop["video"]
    SceneFactory(video=video, start=timedelta(seconds=1), end=timedelta(seconds=4))
    body = api_client.get(api_url("video-detail", pk=video.pk)).json()
    assert [artist["slug"] for artist in body["artists"]] == ["pharrell-williams"]
    source = body["sources"][0]
    assert source["provider"] == "youtube"
    assert source["external_id"] == shop["videosource"].external_id
    assert source["url"].startswith("https://www.youtube.com/")
    assert source["offset"] == "00:00:00"
    assert [(s["start"], s["end"]) for s in body["scenes"]] == [
        ("00:00:01", "00:00:04"),
        ("00:00:05", "00:00:12"),
    ]
    assert body["web_url"] == "http://testserver/videos/happy/"


def test_video_scenes_list_products_with_wearer_and_match(api_client, shop):
    response = api_client.get(api_url("video-scenes", pk=shop["video"].pk))
    assert response.status_code == 200
    scene = response.json()["results"][0]
    assert scene["start_seconds"] == 5.0
    assert scene["end_seconds"] == 12.0
    appearance = scene["appearances"][0]
    assert appearance["product"]["slug"] == shop["product"].slug
    assert appearance["cast_member"]["name"] == "Lead"
    assert appearance["match"] == "exact"


def test_video_products_lists_each_product_once(api_client, shop):
    video, product = shop["video"], shop["product"]
    VideoProductFactory(video=video, product=product)  # shown with the video and in a scene
    extra = VideoProductFactory(video=video).product
    ProductFactory()  # in no video
    response = api_client.get(api_url("video-products", pk=video.pk))
    assert response.status_code == 200
    assert sorted(row["id"] for row in response.json()["results"]) == sorted(
        [product.pk, extra.pk]
    )


def test_product_detail_has_type_style_images_offers_by_price_and_videos(api_client, shop):
    product = shop["product"]
    ProductImageFactory(product=product, position=1)
    OfferFactory(product=product, price=Decimal("20.00"), out_of_stock=True)
    body = api_client.get(api_url("product-detail", pk=product.pk)).json()
    assert body["upc"] == product.upc
    assert body["brand"] == "Vivienne Westwood"
    assert body["name"] == "Mountain hat"
    assert body["product_type"] == "shirt"
    assert body["style"] == "original"
    assert [image["position"] for image in body["images"]] == [0, 1]
    assert [offer["price"] for offer in body["offers"]] == ["20.00", "103.81"]
    offer = body["offers"][1]
    assert offer["retailer"]["name"] == shop["retailer"].name
    assert {"logo", "slug"} <= offer["retailer"].keys()
    assert offer["currency"] == "USD"
    assert offer["availability"] == "in_stock"
    assert "last_checked_at" in offer
    assert [video["slug"] for video in body["videos"]] == ["happy"]


def test_product_list_shows_only_shoppable_offers(api_client, shop):
    OfferFactory(product=shop["product"], out_of_stock=True)
    row = api_client.get(api_url("product-list")).json()["results"][0]
    assert [offer["id"] for offer in row["offers"]] == [shop["offer"].pk]


def test_offer_buy_url_applies_the_retailer_template(api_client, db):
    retailer = RetailerFactory(link_template="{url}?utm_source=inspired")
    offer = OfferFactory(retailer=retailer, url="https://shop.example.com/p/1")
    VideoProductFactory(product=offer.product)
    body = api_client.get(api_url("offer-detail", pk=offer.pk)).json()
    assert body["buy_url"] == "https://shop.example.com/p/1?utm_source=inspired"


# Drafts


@pytest.fixture
def draft():
    video = VideoFactory(draft=True)
    source = VideoSourceFactory(video=video)
    scene = SceneFactory(video=video)
    cast = CastMemberFactory(video=video)
    product = ProductFactory()
    appearance = AppearanceFactory(scene=scene, product=product)
    image = ProductImageFactory(product=product)
    offer = OfferFactory(product=product)
    return {
        "video": video,
        "videosource": source,
        "scene": scene,
        "castmember": cast,
        "appearance": appearance,
        "product": product,
        "productimage": image,
        "offer": offer,
    }


DRAFT_RESOURCES = [
    "video",
    "videosource",
    "scene",
    "castmember",
    "appearance",
    "product",
    "productimage",
    "offer",
]


@pytest.mark.parametrize("resource", DRAFT_RESOURCES)
def test_drafts_are_404_and_unlisted_for_everybody_but_staff(
    api_client, draft, plain_user, resource
):
    url = api_url(f"{resource}-detail", pk=draft[resource].pk)
    assert api_client.get(url).status_code == 404
    assert api_client.get(api_url(f"{resource}-list")).json()["results"] == []
    api_client.force_authenticate(plain_user)
    assert api_client.get(url).status_code == 404
    api_client.force_authenticate(UserFactory(staff=True))
    assert api_client.get(url).status_code == 200
    listed = api_client.get(api_url(f"{resource}-list")).json()["results"]
    assert [row["id"] for row in listed] == [draft[resource].pk]


def test_draft_video_actions_are_404_for_the_public(api_client, draft):
    assert api_client.get(api_url("video-scenes", pk=draft["video"].pk)).status_code == 404
    assert api_client.get(api_url("video-products", pk=draft["video"].pk)).status_code == 404


def test_product_detail_lists_only_the_videos_the_reader_may_see(api_client, shop):
    draft_video = VideoFactory(draft=True)
    VideoProductFactory(video=draft_video, product=shop["product"])
    body = api_client.get(api_url("product-detail", pk=shop["product"].pk)).json()
    assert [video["slug"] for video in body["videos"]] == ["happy"]


# No user data


def test_no_endpoint_exposes_users_passwords_or_emails(api_client, shop, staff_user):
    api_client.force_authenticate(staff_user)
    root = api_client.get("/api/v1/").json()
    assert not any("user" in name for name in root)
    for resource in RESOURCES:
        text = api_client.get(api_url(f"{resource}-list")).content.decode()
        assert "password" not in text
        assert staff_user.email not in text
        assert "@example.com" not in text


# Pagination


def test_page_number_lists_default_to_20_and_allow_up_to_100(api_client, db):
    ArtistFactory.create_batch(25)
    body = api_client.get(api_url("artist-list")).json()
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"] is not None
    assert len(api_client.get(api_url("artist-list"), {"page_size": 100}).json()["results"]) == 25


@pytest.mark.parametrize("value", ["0", "101", "abc", "-5"])
def test_bad_page_size_is_a_400_naming_it(api_client, db, value):
    response = api_client.get(api_url("artist-list"), {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_products_page_by_cursor_without_count(api_client, db):
    products = ProductFactory.create_batch(7)
    for product in products:
        VideoProductFactory(product=product)
    first = api_client.get(api_url("product-list"), {"page_size": 5}).json()
    assert "count" not in first
    assert [row["id"] for row in first["results"]] == [p.pk for p in products[:5]]
    second = api_client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [p.pk for p in products[5:]]
    assert second["next"] is None


def test_offers_page_by_cursor_in_price_order(api_client, db):
    product = ProductFactory()
    VideoProductFactory(product=product)
    prices = ["30.00", "10.00", "20.00"]
    for price in prices:
        OfferFactory(product=product, price=Decimal(price))
    first = api_client.get(api_url("offer-list"), {"ordering": "price", "page_size": 2}).json()
    assert [row["price"] for row in first["results"]] == ["10.00", "20.00"]
    second = api_client.get(first["next"]).json()
    assert [row["price"] for row in second["results"]] == ["30.00"]
    assert "count" not in first


def make_shown_image():
    image = ProductImageFactory()
    VideoProductFactory(product=image.product)
    return image


CURSOR_LISTS = [
    ("appearance-list", AppearanceFactory, Appearance),
    ("productimage-list", make_shown_image, ProductImage),
]


def follow_pages(client, url, params):
    """Return every page of a cursor list, following `next` from the first."""
    pages = [client.get(url, params).json()]
    while pages[-1]["next"]:
        assert len(pages) < 10, "the cursor never ends"
        pages.append(client.get(pages[-1]["next"]).json())
    return pages


@pytest.mark.parametrize(("name", "make", "model"), CURSOR_LISTS, ids=["appearances", "images"])
@pytest.mark.parametrize("ordering", ["id", "-id", "updated_at", "-updated_at"])
def test_large_lists_page_by_cursor_through_every_row_once(
    api_client, name, make, model, ordering
):
    rows = [make() for _ in range(7)]
    # Rows written in one feed share a timestamp; the id breaks the tie on every page.
    model.objects.filter(pk__in=[row.pk for row in rows[2:5]]).update(
        updated_at=rows[2].updated_at
    )

    pages = follow_pages(api_client, api_url(name), {"ordering": ordering, "page_size": 3})

    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert all("count" not in page for page in pages)
    seen = [row["id"] for page in pages for row in page["results"]]
    expected = model.objects.order_by(ordering, ordering.replace("updated_at", "id"))
    assert seen == list(expected.values_list("id", flat=True))


def test_bad_cursor_is_a_client_error(api_client, db):
    response = api_client.get(api_url("product-list"), {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


# Conditional GET


def test_detail_answers_304_to_a_matching_etag(api_client, shop):
    url = api_url("product-detail", pk=shop["product"].pk)
    first = api_client.get(url)
    etag = first["ETag"]
    again = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_etag_changes_when_an_offer_of_the_product_changes(api_client, shop):
    url = api_url("product-detail", pk=shop["product"].pk)
    etag = api_client.get(url)["ETag"]
    Offer.objects.filter(pk=shop["offer"].pk).update(price=Decimal("99.00"))
    response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_detail_endpoint_supports_conditional_get(api_client, shop, resource):
    url = api_url(f"{resource}-detail", pk=shop[resource].pk)
    etag = api_client.get(url)["ETag"]
    assert api_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


# Browsable API and documentation


@pytest.mark.parametrize("resource", RESOURCES)
def test_browsable_api_renders_every_list_and_detail(client, shop, staff_user, resource):
    client.force_login(staff_user)
    for url in (
        api_url(f"{resource}-list"),
        api_url(f"{resource}-detail", pk=shop[resource].pk),
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        # The page carries the CSRF token its forms and AJAX writes send back.
        assert b'id="drf_csrf"' in response.content
        assert b'"csrfToken": ""' not in response.content


def test_browsable_api_renders_the_root_and_video_actions(client, shop):
    assert client.get("/api/v1/", HTTP_ACCEPT="text/html").status_code == 200
    for name in ("video-scenes", "video-products"):
        response = client.get(api_url(name, pk=shop["video"].pk), HTTP_ACCEPT="text/html")
        assert response.status_code == 200


def test_docs_pages_serve_their_assets_locally(client, db):
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert "cdn.jsdelivr" not in page
        assert "unpkg.com" not in page
        assert "/static/drf_spectacular_sidecar/" in page


def test_schema_endpoint_serves_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_browsable_api_offers_a_session_login(client, db):
    page = client.get("/api/v1/", HTTP_ACCEPT="text/html").content.decode()
    assert "/api/auth/login/" in page
    assert client.get("/api/auth/login/").status_code == 200


def test_unknown_api_paths_answer_json(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]
