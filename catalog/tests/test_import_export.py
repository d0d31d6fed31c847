"""Import in the admin, driven through its views as a curator would: the preview, natural
keys and idempotence, images by path and by URL."""

import io
import json
import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

import pytest
from PIL import Image

from catalog.ingest.resources import (
    ProductResource,
    SceneResource,
)
from catalog.models import (
    Appearance,
    Artist,
    Offer,
    Product,
    Retailer,
    Scene,
    Video,
)

from .admin_files import (
    CSV_FORMAT,
    JSON_FORMAT,
    XLSX_FORMAT,
    confirm,
    csv_bytes,
    export,
    import_file,
    product_row,
    totals,
    upload,
    xlsx_bytes,
)
from .factories import (
    ArtistFactory,
    CastMemberFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    make_upc,
)

pytestmark = pytest.mark.django_db


# The preview


def test_preview_counts_new_changed_unchanged_and_invalid_rows_and_writes_nothing(
    curator_client,
):
    unchanged, changed = ProductFactory(description="Same"), ProductFactory(description="Old")
    rows = [
        product_row(unchanged),
        product_row(changed, description="New"),
        product_row(name="Brand new jacket", type="Jacket"),
        product_row(upc="12345", name="Bad UPC"),
    ]
    before = list(Product.objects.values_list("upc", "description", "updated_at"))

    preview = upload(curator_client, "product", csv_bytes(rows))

    assert preview.status_code == 200
    assert totals(preview) == {"skip": 1, "update": 1, "new": 1, "invalid": 1}
    invalid = preview.context["result"].invalid_rows
    assert [row.number for row in invalid] == [4]
    assert invalid[0].field_specific_errors == {"upc": ["A UPC/GTIN has 8, 12, 13 or 14 digits."]}
    assert "A UPC/GTIN has 8, 12, 13 or 14 digits." in preview.content.decode()
    # A file with an invalid row is not offered for confirmation at all.
    assert preview.context.get("confirm_form") is None
    assert list(Product.objects.values_list("upc", "description", "updated_at")) == before


def test_confirmed_import_writes_every_row_with_type_and_style_by_name_or_slug(curator_client):
    rows = [
        product_row(upc=make_upc(901), name="Oxford", type="Shirt", style="As seen"),
        product_row(upc=make_upc(902), name="Chelsea boot", type="shoe", style="high_end"),
    ]

    result = import_file(curator_client, "product", csv_bytes(rows))

    assert result.totals["new"] == 2
    products = {p.name: p for p in Product.objects.select_related("product_type", "style")}
    assert products["Oxford"].product_type.slug == "shirt"
    assert products["Oxford"].style.slug == "original"
    assert products["Oxford"].slug == "acne-studios-oxford"
    assert products["Chelsea boot"].product_type.slug == "shoe"
    assert products["Chelsea boot"].style.slug == "high_end"
    assert LogEntry.objects.filter(object_repr="Acne Studios Oxford").count() == 1


def test_a_file_with_one_bad_row_writes_nothing_even_when_confirmed(curator_client):
    """The preview was clean, but by the time of confirming one row no longer is."""
    retailer = RetailerFactory(name="Zalando")
    product = ProductFactory()
    gone = ProductFactory()
    rows = [
        {"upc": product.upc, "retailer": "Zalando", "url": "https://z.example/1", "price": "10"},
        {"upc": gone.upc, "retailer": "Zalando", "url": "https://z.example/2", "price": "12"},
    ]
    preview = upload(curator_client, "offer", csv_bytes(rows))
    assert totals(preview) == {"new": 2}
    gone.delete()

    response = confirm(curator_client, "offer", preview)

    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert f"No product has UPC/GTIN “{gone.upc}”." in response.content.decode()
    assert not Offer.objects.filter(retailer=retailer).exists()


def test_a_crafted_confirmation_of_a_file_with_a_bad_row_writes_nothing(curator_client):
    from import_export.tmp_storages import TempFolderStorage

    product = ProductFactory()
    RetailerFactory(name="Zalando")
    rows = [
        {"upc": product.upc, "retailer": "Zalando", "url": "https://z.example/1", "price": "10"},
        {"upc": product.upc, "retailer": "Nowhere", "url": "https://z.example/2", "price": "1"},
    ]
    storage = TempFolderStorage(encoding="utf-8-sig", read_mode="r")
    storage.save(csv_bytes(rows))

    response = curator_client.post(
        reverse("admin:catalog_offer_process_import"),
        {
            "import_file_name": storage.name,
            "original_file_name": "feed.csv",
            "format": CSV_FORMAT,
            "resource": "0",
        },
    )

    assert response.status_code == 400
    assert "No retailer is named “Nowhere”." in response.content.decode()
    assert Offer.objects.count() == 0


def test_confirming_the_same_upload_twice_or_a_made_up_file_is_a_clear_400(curator_client):
    product = ProductFactory()
    RetailerFactory(name="Zalando")
    rows = [{"upc": product.upc, "retailer": "Zalando", "url": "https://z.example/", "price": "1"}]
    preview = upload(curator_client, "offer", csv_bytes(rows))
    assert confirm(curator_client, "offer", preview).status_code == 302

    again = confirm(curator_client, "offer", preview)
    made_up = curator_client.post(
        reverse("admin:catalog_offer_process_import"),
        {**preview.context["confirm_form"].initial, "import_file_name": "../../etc/passwd"},
    )

    for response in (again, made_up):
        assert response.status_code == 400
        assert "The uploaded file is gone; upload it again." in response.content.decode()
    assert Offer.objects.count() == 1


# Natural keys and idempotence


@pytest.mark.parametrize(
    ("fmt", "name"), [(CSV_FORMAT, "p.csv"), (XLSX_FORMAT, "p.xlsx"), (JSON_FORMAT, "p.json")]
)
def test_importing_an_export_again_changes_nothing(curator_client, fmt, name):
    products = ProductFactory.create_batch(3)
    ProductImageFactory(product=products[0], position=0)
    ProductImageFactory(product=products[0], position=1)
    before = list(Product.objects.order_by("pk").values_list("pk", "updated_at"))
    exported = export(curator_client, "product", ProductResource, fmt=fmt).content

    preview = upload(curator_client, "product", exported, fmt, name)
    import_file(curator_client, "product", exported, fmt, name)

    assert totals(preview) == {"skip": 3}
    assert list(Product.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert products[0].images.count() == 2


def test_offers_match_on_upc_and_retailer_name_so_a_second_import_only_updates(curator_client):
    product = ProductFactory()
    RetailerFactory(name="Zalando", slug="zalando")
    rows = [
        {
            "upc": product.upc,
            "retailer": "zalando",
            "url": "https://z.example/1",
            "price": "10.00",
            "currency": "EUR",
            "availability": "in_stock",
        }
    ]
    import_file(curator_client, "offer", csv_bytes(rows))
    rows[0]["price"] = "8.50"

    preview = upload(curator_client, "offer", csv_bytes(rows))
    import_file(curator_client, "offer", csv_bytes(rows))

    assert totals(preview) == {"update": 1}
    offer = Offer.objects.get()
    assert (offer.product, offer.retailer.name, offer.price) == (
        product,
        "Zalando",
        Decimal("8.50"),
    )
    assert totals(upload(curator_client, "offer", csv_bytes(rows))) == {"skip": 1}


def test_offer_rows_name_what_is_wrong_with_them(curator_client):
    product = ProductFactory()
    RetailerFactory(name="Zalando")
    rows = [
        {"upc": "00000000000", "retailer": "Zalando", "url": "https://z.example/", "price": "1"},
        {"upc": product.upc, "retailer": "Nowhere", "url": "https://z.example/", "price": "1"},
        {"upc": product.upc, "retailer": "Zalando", "url": "javascript:alert(1)", "price": "1"},
    ]

    preview = upload(curator_client, "offer", csv_bytes(rows))

    errors = {
        row.number: row.field_specific_errors for row in preview.context["result"].invalid_rows
    }
    assert errors[1] == {"product": ["No product has UPC/GTIN “00000000000”."]}
    assert errors[2] == {"retailer": ["No retailer is named “Nowhere”."]}
    assert "Enter a valid URL that starts with http:// or https://." in errors[3]["url"]
    assert sorted(errors) == [1, 2, 3]


def test_video_import_with_artists_and_sources_is_idempotent(curator_client):
    ArtistFactory(name="Robyn", slug="robyn")
    ArtistFactory(name="Lykke Li", slug="lykke-li")
    sources = [
        {"provider": "youtube", "external_id": "abc123", "is_primary": True},
        {"provider": "mp4", "url": "https://cdn.example/v.mp4", "offset": "0:00:02"},
    ]
    rows = [
        {
            "title": "Dancing On My Own",
            "slug": "",
            "artists": "robyn | Lykke Li",
            "status": "published",
            "is_featured": "1",
            "release_date": "2010-06-01",
            "duration": "0:04:48",
            "description": "",
            "sources": json.dumps(sources),
        }
    ]

    import_file(curator_client, "video", csv_bytes(rows))
    preview = upload(curator_client, "video", csv_bytes(rows))

    video = Video.objects.get(slug="dancing-on-my-own")
    assert sorted(video.artists.values_list("slug", flat=True)) == ["lykke-li", "robyn"]
    assert sorted(video.sources.values_list("provider", "is_primary")) == [
        ("mp4", False),
        ("youtube", True),
    ]
    assert str(video.sources.get(provider="mp4").offset) == "0:00:02"
    assert totals(preview) == {"skip": 1}


def test_video_sources_are_validated_by_the_model(curator_client):
    rows = [
        {
            "title": "No id",
            "slug": "no-id",
            "status": "draft",
            "sources": json.dumps([{"provider": "youtube"}]),
        }
    ]

    preview = upload(curator_client, "video", csv_bytes(rows))

    (invalid,) = preview.context["result"].invalid_rows
    assert invalid.field_specific_errors == {
        "sources": ["Source 1: YouTube and Vimeo sources need the provider's video id."]
    }


def test_scene_import_with_appearances_replaces_what_the_scene_showed(curator_client):
    video = VideoFactory(slug="hit")
    singer = CastMemberFactory(video=video, name="Singer")
    kept, dropped, added = ProductFactory.create_batch(3)
    scene = SceneFactory(
        video=video, start=timedelta(seconds=10), end=timedelta(seconds=20), title="Chorus"
    )
    Appearance.objects.create(scene=scene, product=kept)
    Appearance.objects.create(scene=scene, product=dropped)
    appearances = [
        {"upc": kept.upc, "match": "similar", "worn_by": "Singer"},
        {"upc": added.upc},
    ]
    rows = [
        {
            "video": "hit",
            "start": "0:00:10",
            "end": "0:00:25",
            "title": "Chorus",
            "appearances": json.dumps(appearances),
        },
        {"video": "hit", "start": "1:05", "end": "1:15", "title": "", "appearances": added.upc},
    ]

    import_file(curator_client, "scene", csv_bytes(rows))

    scene.refresh_from_db()
    assert str(scene.end) == "0:00:25"
    assert sorted(scene.appearances.values_list("product__upc", "match", "cast_member")) == sorted(
        [(kept.upc, "similar", singer.pk), (added.upc, "exact", None)]
    )
    second = Scene.objects.get(video=video, start=timedelta(minutes=1, seconds=5))
    assert list(second.appearances.values_list("product__upc", flat=True)) == [added.upc]
    exported = export(curator_client, "scene", SceneResource)
    assert totals(upload(curator_client, "scene", exported.content)) == {"skip": 2}


def test_retailers_and_artists_round_trip(curator_client):
    RetailerFactory(name="Zalando", link_template="{url}?utm_source=inspired")
    ArtistFactory(name="Robyn")
    rows = [
        {"name": "ASOS", "slug": "", "homepage_url": "https://asos.example/", "link_template": ""}
    ]

    import_file(curator_client, "retailer", csv_bytes(rows))
    import_file(
        curator_client, "artist", csv_bytes([{"name": "Lorde", "slug": "", "first_name": "Ella"}])
    )

    assert Retailer.objects.get(slug="asos").homepage_url == "https://asos.example/"
    assert Artist.objects.get(slug="lorde").first_name == "Ella"


# Images by path and by URL


def png_bytes(color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def image_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving a PNG and counting its requests."""
    (tmp_path / "shirt.png").write_bytes(png_bytes())
    (tmp_path / "notes.txt").write_text("not an image")
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = requests
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_images_by_media_path_and_by_url_are_attached_in_order(
    curator_client, image_server, settings
):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    stored = default_storage.save("products/front.png", ContentFile(png_bytes("blue")))
    rows = [product_row(images=f"{stored} | {image_server.url}/shirt.png")]

    import_file(curator_client, "product", csv_bytes(rows))

    product = Product.objects.get()
    names = list(product.images.order_by("position").values_list("image", flat=True))
    assert names[0] == "products/front.png"
    assert names[1].startswith("products/imported/") and names[1].endswith(".png")
    assert default_storage.open(names[1]).read() == png_bytes()
    # Preview and confirm each fetched once; a re-import reuses the stored copy.
    assert image_server.requests == ["/shirt.png", "/shirt.png"]
    assert totals(upload(curator_client, "product", csv_bytes(rows))) == {"skip": 1}
    assert len(image_server.requests) == 2


def test_image_references_that_are_not_images_or_outside_the_storage_are_rejected(
    curator_client, image_server, settings
):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    rows = [
        product_row(upc=make_upc(911), images="../../etc/passwd"),
        product_row(upc=make_upc(912), images="products/missing.png"),
        product_row(upc=make_upc(913), images=f"{image_server.url}/notes.txt"),
        product_row(upc=make_upc(914), images=f"{image_server.url}/absent.png"),
    ]

    preview = upload(curator_client, "product", csv_bytes(rows))

    errors = {
        row.number: row.field_specific_errors["images"]
        for row in preview.context["result"].invalid_rows
    }
    assert errors == {
        1: ["“../../etc/passwd” is not a path inside the media storage."],
        2: ["No stored file “products/missing.png”."],
        3: ["The file is not an image."],
        4: [f"Could not fetch {image_server.url}/absent.png: the server answered 404."],
    }
    assert Product.objects.count() == 0


def test_image_urls_to_private_addresses_are_refused_without_any_request(
    curator_client, image_server, settings
):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = []
    rows = [
        product_row(upc=make_upc(921), images=f"{image_server.url}/shirt.png"),
        product_row(upc=make_upc(922), images="http://169.254.169.254/latest/meta-data/"),
    ]

    preview = upload(curator_client, "product", csv_bytes(rows))

    errors = [
        row.field_specific_errors["images"][0] for row in preview.context["result"].invalid_rows
    ]
    assert len(errors) == 2
    assert all(error.startswith("Could not fetch") for error in errors)
    assert image_server.requests == []


# Permissions


def test_import_and_export_need_the_model_permissions(client):
    client.force_login(UserFactory(staff=True))

    assert client.get(reverse("admin:catalog_product_import")).status_code == 403
    assert upload(client, "product", csv_bytes([product_row(name="X")])).status_code == 403
    assert export(client, "product", ProductResource).status_code == 403


def test_curators_see_the_import_and_export_buttons(curator_client):
    response = curator_client.get(reverse("admin:catalog_offer_changelist"))

    assert reverse("admin:catalog_offer_import") in response.content.decode()
    assert reverse("admin:catalog_offer_export") in response.content.decode()


def test_an_unreadable_file_is_a_form_error_not_a_crash(curator_client):
    response = upload(curator_client, "offer", b"\x00\x01garbage", XLSX_FORMAT, "feed.xlsx")

    assert response.status_code == 200
    assert "Ensure you have chosen the correct format for the file." in response.content.decode()


def test_a_file_without_the_key_column_is_reported(curator_client):
    response = upload(curator_client, "offer", csv_bytes([{"price": "1"}]))

    assert response.status_code == 200
    assert response.context["result"].has_errors()
    assert Offer.objects.count() == 0


def test_xlsx_upload_with_numeric_upc_cells(curator_client):
    product = ProductFactory(upc="5012345678900")
    RetailerFactory(name="Zalando")
    rows = [
        {"upc": int(product.upc), "retailer": "Zalando", "url": "https://z.example/", "price": 9.5}
    ]

    import_file(curator_client, "offer", xlsx_bytes(rows), XLSX_FORMAT, "feed.xlsx")

    assert Offer.objects.get().price == Decimal("9.50")


# Files too long for a request


def test_a_file_longer_than_the_admin_takes_points_to_import_feed(curator_client, settings):
    settings.CATALOG_ADMIN_IMPORT_MAX_ROWS = 3
    rows = [{"name": f"Shop {n}", "slug": f"shop-{n}"} for n in range(4)]

    response = upload(curator_client, "retailer", csv_bytes(rows))

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert errors == [
        "This file has 4 rows; the admin imports at most 3 at a time. Upload it under “Feed "
        "imports” (no limit, imported in the background, with a report), or import it from "
        "the shell with “manage.py import_feed”."
    ]
    assert "result" not in response.context or response.context["result"] is None
    assert not Retailer.objects.filter(slug__startswith="shop-").exists()


def test_a_file_within_the_limit_is_previewed(curator_client, settings):
    settings.CATALOG_ADMIN_IMPORT_MAX_ROWS = 3
    rows = [{"name": f"Shop {n}", "slug": f"shop-{n}"} for n in range(3)]
    for content, fmt, name in [
        (csv_bytes(rows), CSV_FORMAT, "feed.csv"),
        (xlsx_bytes(rows), XLSX_FORMAT, "feed.xlsx"),
    ]:
        preview = upload(curator_client, "retailer", content, fmt, name)
        assert totals(preview) == {"new": 3}
    form = curator_client.get(reverse("admin:catalog_retailer_import"))
    assert (
        "Up to 3 rows. Larger feeds: Feed imports (a background import, any length), or "
        "manage.py import_feed."
    ) in form.content.decode()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width by height pixels in a few dozen bytes: a decompression bomb."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [12_000, 40_000])  # past the warning, past the hard limit
def test_a_decompression_bomb_is_a_row_error(
    curator_client, image_server, settings, tmp_path, side
):
    settings.CATALOG_LINKCHECK_ALLOWED_HOSTS = ["127.0.0.1"]
    (tmp_path / "bomb.png").write_bytes(png_header_only(side, side))

    preview = upload(
        curator_client,
        "product",
        csv_bytes([product_row(images=f"{image_server.url}/bomb.png")]),
    )

    assert preview.status_code == 200
    [row] = preview.context["result"].invalid_rows
    assert row.field_specific_errors["images"] == [
        "The image is too large to open (more than 89,478,485 pixels)."
    ]
    assert Product.objects.count() == 0
