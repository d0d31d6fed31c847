"""Writing through the API: permissions, the error contract, nested and upsert writes."""

import threading
from decimal import Decimal

from django.db import connection
from django.db.models.signals import pre_save

import pytest
from rest_framework.test import APIClient

from catalog.models import (
    Artist,
    Offer,
    Product,
    ProductImage,
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
                "status": "published",
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
            {"video": video.slug, "title": "Chorus", "start": "00:02:00", "end": "00:02:30"},
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


@pytest.fixture
def curator_client(api_client, curator):
    api_client.force_authenticate(curator)
    return api_client


# The original's create tests, in spirit


@pytest.mark.parametrize(
    ("resource", "payloads"),
    [
        ("artist", [{"name": "One", "slug": "one"}, {"name": "Two", "slug": "two"}]),
        ("producttype", [{"name": "Cape", "slug": "cape"}, {"name": "Belt", "slug": "belt"}]),
        ("productstyle", [{"name": "Retro", "slug": "retro"}, {"name": "Neo", "slug": "neo"}]),
    ],
)
def test_creating_two_gives_two_ids_in_order(curator_client, resource, payloads):
    first, second = (
        curator_client.post(api_url(f"{resource}-list"), payload, format="json")
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
def test_duplicate_name_is_a_400_on_the_name(curator_client, resource, existing):
    existing()
    response = curator_client.post(
        api_url(f"{resource}-list"), {"name": "Taken", "slug": "taken-2"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert "already exists" in response.json()["name"][0]


def test_duplicate_upc_is_a_400_on_the_upc(curator_client):
    ProductFactory(upc=make_upc(424242))
    response = curator_client.post(api_url("product-list"), product_payload(), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["upc"]


def test_duplicate_offer_for_a_retailer_is_a_400_on_the_retailer(curator_client):
    offer = OfferFactory()
    response = curator_client.post(
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
def test_missing_type_or_style_is_a_400_naming_it(curator_client, field):
    payload = product_payload()
    del payload[field]
    response = curator_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]}


@pytest.mark.parametrize("field", ["product_type", "style"])
def test_unknown_type_or_style_is_a_400_naming_it(curator_client, field):
    response = curator_client.post(
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
def test_bad_offer_values_are_field_errors(curator_client, change, field):
    product = ProductFactory()
    payload = {
        "product": product.slug,
        "retailer": RetailerFactory().slug,
        "url": "https://shop.example.com/p/1",
        "price": "10.00",
        **change,
    }
    response = curator_client.post(api_url("offer-list"), payload, format="json")
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
def test_a_bad_offer_url_is_one_message_on_every_write(curator_client, url):
    writes = offer_url_writes(ProductFactory(), RetailerFactory(), url)
    for name, method, endpoint, payload in writes:
        response = getattr(curator_client, method)(endpoint, payload, format="json")
        assert response.status_code == 400, name
        assert url_errors(response.json()) == [HTTP_URL_MESSAGE], name


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_homepage_or_source_url_is_one_message(curator_client, url):
    retailer = curator_client.post(
        api_url("retailer-list"), {"name": "Shop", "slug": "shop", "homepage_url": url}
    )
    source = curator_client.post(
        api_url("videosource-list"),
        {"video": VideoFactory().slug, "provider": "hls", "url": url},
    )
    assert retailer.json() == {"homepage_url": [HTTP_URL_MESSAGE]}
    assert source.json() == {"url": [HTTP_URL_MESSAGE]}


def test_an_url_error_keeps_the_other_errors_of_the_field(curator_client):
    response = curator_client.post(
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


def test_negative_price_message_is_the_models(curator_client):
    offer = OfferFactory()
    response = curator_client.patch(
        api_url("offer-detail", pk=offer.pk), {"price": "-5"}, format="json"
    )
    assert response.json() == {"price": ["A price cannot be negative."]}


def test_scene_that_ends_before_it_starts_is_an_error_on_end(curator_client):
    video = VideoFactory()
    response = curator_client.post(
        api_url("scene-list"),
        {"video": video.slug, "start": "00:01:00", "end": "00:00:30"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"end": ["A scene must end after it starts."]}


def test_bad_upc_check_digit_is_an_error_on_upc(curator_client):
    response = curator_client.post(
        api_url("product-list"), product_payload(upc="012345678901"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"upc": ["The last digit of this UPC/GTIN is not its check digit."]}


def test_retailer_homepage_must_be_http(curator_client):
    response = curator_client.post(
        api_url("retailer-list"),
        {"name": "Bad", "slug": "bad", "homepage_url": "javascript:alert(1)"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["homepage_url"]


def test_youtube_source_needs_the_id(curator_client):
    response = curator_client.post(
        api_url("videosource-list"),
        {"video": VideoFactory().slug, "provider": "youtube", "url": "https://youtu.be/x"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]


def test_cast_member_of_another_video_is_an_error_on_cast_member(curator_client):
    scene = SceneFactory()
    stranger = CastMemberFactory()
    response = curator_client.post(
        api_url("appearance-list"),
        {"scene": scene.pk, "product": ProductFactory().slug, "cast_member": stranger.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"cast_member": ["This cast member belongs to another video."]}


def test_deleting_a_type_still_in_use_is_a_409(curator_client):
    product = ProductFactory()
    response = curator_client.delete(api_url("producttype-detail", pk=product.product_type.pk))
    assert response.status_code == 409
    assert "products" in response.json()["detail"]
    assert ProductType.objects.filter(pk=product.product_type.pk).exists()


def test_malformed_json_is_a_400(curator_client):
    response = curator_client.post(
        api_url("artist-list"), "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


# Races: a concurrent request commits the same key between our validation and our INSERT.


@pytest.fixture
def rival_commits_first():
    """Right before our row is saved, commit a rival row from another connection.

    The rival runs in its own thread, so on its own database connection, exactly as a
    concurrent request would; validation has passed by then, so only the database
    constraint can catch the duplicate.
    """
    receivers = []

    def arrange(model, make_rival):
        def commit_rival():
            make_rival()
            connection.close()

        def receiver(sender, instance, **kwargs):
            if not receiver.fired:
                receiver.fired = True
                thread = threading.Thread(target=commit_rival)
                thread.start()
                thread.join()

        receiver.fired = False
        receivers.append((receiver, model))
        pre_save.connect(receiver, sender=model)

    yield arrange
    for receiver, model in receivers:
        pre_save.disconnect(receiver, sender=model)


RACE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@RACE
def test_duplicate_offer_race_is_a_400_on_the_retailer(api_client, rival_commits_first):
    api_client.force_authenticate(UserFactory(curator=True))
    product, retailer = ProductFactory(), RetailerFactory()
    rival_commits_first(
        Offer,
        lambda: Offer.objects.create(
            product=product, retailer=retailer, url="https://r.example.com/", price=1
        ),
    )
    response = api_client.post(
        api_url("offer-list"),
        {
            "product": product.slug,
            "retailer": retailer.slug,
            "url": "https://shop.example.com/p/1",
            "price": "10.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "retailer": ["This retailer already has an offer for this product."]
    }
    assert Offer.objects.count() == 1


@RACE
def test_duplicate_upc_race_is_a_400_on_the_upc(api_client, rival_commits_first):
    api_client.force_authenticate(UserFactory(curator=True))
    product = ProductFactory()
    upc = make_upc(777)
    rival_commits_first(Product, lambda: ProductFactory(upc=upc, slug="rival"))
    response = api_client.patch(
        api_url("product-detail", pk=product.pk), {"upc": upc}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["upc"]
    assert Product.objects.filter(upc=upc).count() == 1


# A product with its images and offers in one request


def test_product_is_created_with_images_and_offers(curator_client):
    retailers = RetailerFactory.create_batch(2)
    payload = product_payload(
        images=[
            {"image": png_base64("red"), "alt_text": "Front", "position": 0},
            {"image": f"data:image/png;base64,{png_base64('blue')}", "alt_text": "Back"},
        ],
        offers=[
            {"retailer": retailers[0].slug, "url": "https://a.example.com/1", "price": "30.00"},
            {
                "retailer": retailers[1].slug,
                "url": "https://b.example.com/1",
                "price": "20.00",
                "availability": "in_stock",
            },
        ],
    )
    payload["images"][1]["position"] = 1
    response = curator_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["upc"] == payload["upc"]
    assert [image["alt_text"] for image in body["images"]] == ["Front", "Back"]
    assert body["images"][0]["image"].endswith(".png")
    assert [offer["price"] for offer in body["offers"]] == ["20.00", "30.00"]


def test_a_bad_offer_leaves_no_product_or_image_behind(curator_client):
    retailer = RetailerFactory()
    payload = product_payload(
        images=[{"image": png_base64(), "alt_text": "Front", "position": 0}],
        offers=[
            {"retailer": retailer.slug, "url": "https://a.example.com/1", "price": "30.00"},
            {"retailer": retailer.slug, "url": "https://a.example.com/2", "price": "-1"},
        ],
    )
    response = curator_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    errors = response.json()["offers"]
    assert list(errors) == ["1"]
    assert errors["1"]["price"] == ["A price cannot be negative."]
    # The same retailer twice is caught too, on the second offer.
    assert errors["1"]["retailer"] == ["This retailer already has an offer for this product."]
    assert not Product.objects.filter(upc=payload["upc"]).exists()
    assert ProductImage.objects.count() == 0
    assert Offer.objects.count() == 0


def test_an_unknown_retailer_in_a_nested_offer_is_a_field_error(curator_client):
    payload = product_payload(
        offers=[{"retailer": "nobody", "url": "https://a.example.com/1", "price": "3.00"}]
    )
    response = curator_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "offers": {"0": {"retailer": ["Object with slug=nobody does not exist."]}}
    }
    assert Product.objects.count() == 0


def test_a_bad_image_is_a_field_error(curator_client):
    payload = product_payload(images=[{"image": "bm90IGFuIGltYWdl", "alt_text": "x"}])
    response = curator_client.post(api_url("product-list"), payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["images"]["0"]) == ["image"]
    assert Product.objects.count() == 0


def test_image_upload_as_multipart(curator_client):
    import base64
    from io import BytesIO

    product = ProductFactory()
    upload = BytesIO(base64.b64decode(png_base64()))
    upload.name = "front.png"
    response = curator_client.post(
        api_url("productimage-list"),
        {"product": product.slug, "image": upload, "alt_text": "Front", "position": 3},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert product.images.get().position == 3


# Feed sync: upserts


def test_upsert_product_by_upc_creates_then_updates(curator_client):
    payload = product_payload()
    payload.pop("model_number")
    first = curator_client.post(api_url("product-upsert"), payload, format="json")
    assert first.status_code == 201, first.json()
    second = curator_client.post(
        api_url("product-upsert"), {**payload, "name": "Mountain hat II"}, format="json"
    )
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert Product.objects.get(upc=payload["upc"]).name == "Mountain hat II"
    assert Product.objects.count() == 1


def test_upsert_offer_by_product_and_retailer(curator_client):
    product, retailer = ProductFactory(), RetailerFactory()
    payload = {
        "product": product.slug,
        "retailer": retailer.slug,
        "url": "https://shop.example.com/p/1",
        "price": "10.00",
        "availability": "in_stock",
    }
    first = curator_client.post(api_url("offer-upsert"), payload, format="json")
    assert first.status_code == 201, first.json()
    second = curator_client.post(
        api_url("offer-upsert"), {**payload, "price": "8.00"}, format="json"
    )
    assert second.status_code == 200
    assert Offer.objects.get().price == Decimal("8.00")


def test_upsert_validates_with_the_model(curator_client):
    response = curator_client.post(
        api_url("offer-upsert"),
        {
            "product": ProductFactory().slug,
            "retailer": RetailerFactory().slug,
            "url": "javascript:alert(1)",
            "price": "-3",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"url", "price"}
    assert Offer.objects.count() == 0


@pytest.mark.parametrize("name", ["product-upsert", "offer-upsert"])
def test_upserts_need_permissions(api_client, name):
    assert api_client.post(api_url(name), {}, format="json").status_code == 401
    api_client.force_authenticate(UserFactory())
    assert api_client.post(api_url(name), {}, format="json").status_code == 403


def test_video_artists_are_set_by_slug(curator_client):
    artists = ArtistFactory.create_batch(2)
    response = curator_client.post(
        api_url("video-list"),
        {"title": "Duet", "slug": "duet", "artist_slugs": [a.slug for a in artists]},
        format="json",
    )
    assert response.status_code == 201
    assert sorted(a["slug"] for a in response.json()["artists"]) == sorted(a.slug for a in artists)
    assert Artist.objects.get(slug=artists[0].slug).videos.get().slug == "duet"
