"""Writing through the API: permissions and the error contract."""

import pytest
from rest_framework.test import APIClient

from catalog.models import (
    Offer,
    ProductType,
)

from .factories import (
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    ProductStyleFactory,
    ProductTypeFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoSourceFactory,
    make_upc,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url, png_base64  # noqa: F401

pytestmark = pytest.mark.django_db


def product_payload(**overrides):
    payload = {
        "upc": make_upc(424242),
        "brand": "Vivienne Westwood",
        "model_number": "ignored",  # unknown keys are ignored, never a 500
        "name": "Mountain hat",
        "slug": "vivienne-westwood-mountain-hat",
        "product_type": "hat",
        "style": "original",
    }
    payload.update(overrides)
    return payload


def cases():
    """For each resource: (payload to create, object to patch and its change, object to delete)."""
    video = VideoFactory()
    scene = SceneFactory(video=video)
    product = ProductFactory()
    return {
        "artist": (
            {"name": "Daft Punk", "slug": "daft-punk"},
            ArtistFactory(),
            {"bio": "French duo."},
            ArtistFactory(),
        ),
        "video": (
            {
                "title": "Get Lucky",
                "slug": "get-lucky",
                "artist_slugs": [ArtistFactory().slug],
                "status": "in_review",
            },
            VideoFactory(),
            {"is_featured": True},
            VideoFactory(),
        ),
        "videosource": (
            {
                "video": video.slug,
                "provider": "vimeo",
                "external_id": "76979871",
                "url": "https://vimeo.com/76979871",
            },
            VideoSourceFactory(video=video),
            {"offset": "00:00:02"},
            VideoSourceFactory(is_primary=False),
        ),
        "scene": (
            {"video": video.slug, "title": "Chorus", "start": "00:03:15", "end": "00:03:25"},
            scene,
            {"title": "Bridge"},
            SceneFactory(),
        ),
        "castmember": (
            {"video": video.slug, "name": "Dancer", "performer_name": "Someone"},
            CastMemberFactory(video=video),
            {"performer_name": "Someone else"},
            CastMemberFactory(),
        ),
        "appearance": (
            {"scene": scene.pk, "product": ProductFactory().slug, "match": "similar"},
            _appearance(scene, product),
            {"match": "alternative"},
            _appearance(SceneFactory(), ProductFactory()),
        ),
        "product": (
            product_payload(),
            product,
            {"description": "Felt, with a wide brim."},
            ProductFactory(),
        ),
        "productimage": (
            {
                "product": product.slug,
                "image": png_base64(),
                "alt_text": "Front view",
                "position": 7,
            },
            ProductImageFactory(product=product),
            {"alt_text": "Side view"},
            ProductImageFactory(),
        ),
        "producttype": (
            {"name": "Scarf", "slug": "scarf"},
            ProductTypeFactory(),
            {"name": "Scarves"},
            ProductTypeFactory(),
        ),
        "productstyle": (
            {"name": "Vintage", "slug": "vintage", "position": 9},
            ProductStyleFactory(),
            {"position": 42},
            ProductStyleFactory(),
        ),
        "retailer": (
            {"name": "Shop", "slug": "shop", "homepage_url": "https://shop.example.com/"},
            RetailerFactory(),
            {"link_template": "{url}?utm_source=inspired"},
            RetailerFactory(),
        ),
        "offer": (
            {
                "product": product.slug,
                "retailer": RetailerFactory().slug,
                "url": "https://shop.example.com/p/1",
                "price": "12.50",
                "currency": "EUR",
                "availability": "in_stock",
            },
            OfferFactory(product=product),
            {"price": "11.00"},
            OfferFactory(),
        ),
    }


def _appearance(scene, product):
    from .factories import AppearanceFactory

    return AppearanceFactory(scene=scene, product=product)


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

USERS = {
    "anonymous": (lambda: None, 401),
    "plain user": (lambda: UserFactory(), 403),
    "staff without the permission": (lambda: UserFactory(staff=True), 403),
    "curator": (lambda: UserFactory(curator=True), None),
}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("resource", RESOURCES)
def test_permission_matrix_for_create_update_and_delete(api_client, resource, who):
    make_user, refused = USERS[who]
    payload, to_change, change, to_delete = cases()[resource]
    user = make_user()
    if user is not None:
        api_client.force_authenticate(user)
    model = type(to_change)
    before = model.objects.count()
    created = api_client.post(api_url(f"{resource}-list"), payload, format="json")
    changed = api_client.patch(
        api_url(f"{resource}-detail", pk=to_change.pk), change, format="json"
    )
    deleted = api_client.delete(api_url(f"{resource}-detail", pk=to_delete.pk))
    if refused:
        assert (created.status_code, changed.status_code, deleted.status_code) == (refused,) * 3
        assert model.objects.count() == before
        if refused == 401:
            assert created["WWW-Authenticate"] == "Token"
        return
    assert created.status_code == 201, created.json()
    assert changed.status_code == 200, changed.json()
    assert deleted.status_code == 204
    assert model.objects.count() == before
    for key, value in change.items():
        assert changed.json()[key] == value
    assert not model.objects.filter(pk=to_delete.pk).exists()


def test_superuser_may_write(api_client, staff_user):
    api_client.force_authenticate(staff_user)
    response = api_client.post(
        api_url("artist-list"), {"name": "Björk", "slug": "bjork"}, format="json"
    )
    assert response.status_code == 201


def test_session_writes_need_the_csrf_token(db):
    curator = UserFactory(curator=True)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username=curator.username, password="correct horse battery staple")
    response = client.post(api_url("artist-list"), {"name": "A", "slug": "a"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# The original's create tests, in spirit


@pytest.mark.parametrize(
    ("resource", "payloads"),
    [
        ("artist", [{"name": "One", "slug": "one"}, {"name": "Two", "slug": "two"}]),
        ("producttype", [{"name": "Cape", "slug": "cape"}, {"name": "Belt", "slug": "belt"}]),
        ("productstyle", [{"name": "Retro", "slug": "retro"}, {"name": "Neo", "slug": "neo"}]),
    ],
)
def test_creating_two_gives_two_ids_in_order(curator_api_client, resource, payloads):
    first, second = (
        curator_api_client.post(api_url(f"{resource}-list"), payload, format="json")
        for payload in payloads
    )
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] > first.json()["id"]
    assert second.json()["name"] == payloads[1]["name"]


@pytest.mark.parametrize(
    ("resource", "existing"),
    [
        ("artist", lambda: ArtistFactory(name="Taken")),
        ("producttype", lambda: ProductTypeFactory(name="Taken")),
        ("productstyle", lambda: ProductStyleFactory(name="Taken")),
        ("retailer", lambda: RetailerFactory(name="Taken")),
    ],
)
def test_duplicate_name_is_a_400_on_the_name(curator_api_client, resource, existing):
    existing()
    response = curator_api_client.post(
        api_url(f"{resource}-list"), {"name": "Taken", "slug": "taken-2"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert "already exists" in response.json()["name"][0]


def test_duplicate_upc_is_a_400_on_the_upc(curator_api_client):
    ProductFactory(upc=make_upc(424242))
    response = curator_api_client.post(api_url("product-list"), product_payload(), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["upc"]


def test_duplicate_offer_for_a_retailer_is_a_400_on_the_retailer(curator_api_client):
    offer = OfferFactory()
    response = curator_api_client.post(
        api_url("offer-list"),
        {
            "product": offer.product.slug,
            "retailer": offer.retailer.slug,
            "url": "https://shop.example.com/p/2",
            "price": "10.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "retailer": ["This retailer already has an offer for this product."]
    }


@pytest.mark.parametrize("field", ["product_type", "style"])
def test_missing_type_or_style_is_a_400_naming_it(curator_api_client, field):
    payload = product_payload()
    del payload[field]
    response = curator_api_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]}


@pytest.mark.parametrize("field", ["product_type", "style"])
def test_unknown_type_or_style_is_a_400_naming_it(curator_api_client, field):
    response = curator_api_client.post(
        api_url("product-list"), product_payload(**{field: "no-such-thing"}), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {field: ["Object with slug=no-such-thing does not exist."]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://shop.example.com/p"}, "url"),
        ({"price": "-1.00"}, "price"),
        ({"price": "cheap"}, "price"),
        ({"currency": "XXX"}, "currency"),
        ({"retailer": "nobody"}, "retailer"),
        ({"availability": "sometimes"}, "availability"),
    ],
)
def test_bad_offer_values_are_field_errors(curator_api_client, change, field):
    product = ProductFactory()
    payload = {
        "product": product.slug,
        "retailer": RetailerFactory().slug,
        "url": "https://shop.example.com/p/1",
        "price": "10.00",
        **change,
    }
    response = curator_api_client.post(api_url("offer-list"), payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Offer.objects.count() == 0


HTTP_URL_MESSAGE = "Enter a valid URL that starts with http:// or https://."
BAD_URLS = ["javascript:alert(1)", "ftp://x", "not a url"]


def offer_url_writes(product, retailer, url):
    """Every API request that writes an offer's URL, as (name, method, url, payload)."""
    offer = OfferFactory(product=product)
    new_offer = {"product": product.slug, "retailer": retailer.slug, "url": url, "price": "1"}
    nested = product_payload(offers=[{"retailer": retailer.slug, "url": url, "price": "1"}])
    return [
        ("create", "post", api_url("offer-list"), new_offer),
        ("update", "patch", api_url("offer-detail", pk=offer.pk), {"url": url}),
        ("upsert", "post", api_url("offer-upsert"), new_offer),
        ("with a product", "post", api_url("product-list"), nested),
    ]


def url_errors(body):
    return body["offers"]["0"]["url"] if "offers" in body else body["url"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_offer_url_is_one_message_on_every_write(curator_api_client, url):
    writes = offer_url_writes(ProductFactory(), RetailerFactory(), url)
    for name, method, endpoint, payload in writes:
        response = getattr(curator_api_client, method)(endpoint, payload, format="json")
        assert response.status_code == 400, name
        assert url_errors(response.json()) == [HTTP_URL_MESSAGE], name


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_homepage_or_source_url_is_one_message(curator_api_client, url):
    retailer = curator_api_client.post(
        api_url("retailer-list"), {"name": "Shop", "slug": "shop", "homepage_url": url}
    )
    source = curator_api_client.post(
        api_url("videosource-list"),
        {"video": VideoFactory().slug, "provider": "hls", "url": url},
    )
    assert retailer.json() == {"homepage_url": [HTTP_URL_MESSAGE]}
    assert source.json() == {"url": [HTTP_URL_MESSAGE]}


def test_an_url_error_keeps_the_other_errors_of_the_field(curator_api_client):
    response = curator_api_client.post(
        api_url("offer-list"),
        {
            "product": ProductFactory().slug,
            "retailer": RetailerFactory().slug,
            "url": "javascript:alert(1)",
            "price": "-1",
        },
    )
    assert response.json() == {
        "url": [HTTP_URL_MESSAGE],
        "price": ["A price cannot be negative."],
    }


def test_negative_price_message_is_the_models(curator_api_client):
    offer = OfferFactory()
    response = curator_api_client.patch(
        api_url("offer-detail", pk=offer.pk), {"price": "-5"}, format="json"
    )
    assert response.json() == {"price": ["A price cannot be negative."]}


def test_scene_that_ends_before_it_starts_is_an_error_on_end(curator_api_client):
    video = VideoFactory()
    response = curator_api_client.post(
        api_url("scene-list"),
        {"video": video.slug, "start": "00:01:00", "end": "00:00:30"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"end": ["A scene must end after it starts."]}


def test_bad_upc_check_digit_is_an_error_on_upc(curator_api_client):
    response = curator_api_client.post(
        api_url("product-list"), product_payload(upc="012345678901"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"upc": ["The last digit of this UPC/GTIN is not its check digit."]}


def test_retailer_homepage_must_be_http(curator_api_client):
    response = curator_api_client.post(
        api_url("retailer-list"),
        {"name": "Bad", "slug": "bad", "homepage_url": "javascript:alert(1)"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["homepage_url"]


def test_youtube_source_needs_the_id(curator_api_client):
    response = curator_api_client.post(
        api_url("videosource-list"),
        {"video": VideoFactory().slug, "provider": "youtube", "url": "https://youtu.be/x"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]


def test_cast_member_of_another_video_is_an_error_on_cast_member(curator_api_client):
    scene = SceneFactory()
    stranger = CastMemberFactory()
    response = curator_api_client.post(
        api_url("appearance-list"),
        {"scene": scene.pk, "product": ProductFactory().slug, "cast_member": stranger.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"cast_member": ["This cast member belongs to another video."]}


def test_deleting_a_type_still_in_use_is_a_409(curator_api_client):
    product = ProductFactory()
    response = curator_api_client.delete(api_url("producttype-detail", pk=product.product_type.pk))
    assert response.status_code == 409
    assert "products" in response.json()["detail"]
    assert ProductType.objects.filter(pk=product.product_type.pk).exists()


def test_malformed_json_is_a_400(curator_api_client):
    response = curator_api_client.post(
        api_url("artist-list"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
