"""The `import_feed` command on generated feed files in every format it reads."""

import csv
import io
import json
from decimal import Decimal

from django.core.management import CommandError, call_command

import pytest
from openpyxl import Workbook

from catalog.models import Artist, Offer, Product, Retailer, Scene, Video

from .factories import ArtistFactory, OfferFactory, ProductFactory, RetailerFactory, make_upc

pytestmark = pytest.mark.django_db

OFFER_COLUMNS = ["upc", "retailer", "url", "price", "currency", "availability"]


def write_feed(path, rows, columns=OFFER_COLUMNS):
    """Write rows as CSV, JSON (an array), JSON lines or XLSX, after the file's suffix."""
    suffix = path.suffix
    if suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    elif suffix == ".json":
        path.write_text(json.dumps(rows, indent=1))
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    elif suffix == ".xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(column) for column in columns])
        workbook.save(path)
    return path


def offer_rows(products, retailers, price="19.99"):
    return [
        {
            "upc": product.upc,
            "retailer": retailer.name,
            "url": f"https://{retailer.slug}.example/p/{product.upc}",
            "price": price,
            "currency": "EUR",
            "availability": "in_stock",
        }
        for product in products
        for retailer in retailers
    ]


def run(path, *args):
    out = io.StringIO()
    call_command("import_feed", str(path), "--no-progress", *args, stdout=out)
    report = json.loads(path.with_name(path.name + ".report.json").read_text())
    return out.getvalue(), report


@pytest.fixture
def catalog_rows():
    products = ProductFactory.create_batch(120)
    retailers = RetailerFactory.create_batch(5)
    return products, retailers


def test_a_large_generated_feed_imports_in_batches_and_again_changes_nothing(
    tmp_path, catalog_rows
):
    products, retailers = catalog_rows
    feed = write_feed(tmp_path / "offers.csv", offer_rows(products, retailers))

    output, report = run(feed, "--batch-size", "128")

    assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (
        600,
        0,
        0,
        0,
    )
    assert "600 created, 0 updated, 0 unchanged, 0 rejected" in output
    assert Offer.objects.count() == 600
    assert set(Offer.objects.values_list("currency", "price")) == {("EUR", Decimal("19.99"))}
    stamps = dict(Offer.objects.values_list("pk", "updated_at"))

    _, again = run(feed, "--batch-size", "128")

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 600)
    assert dict(Offer.objects.values_list("pk", "updated_at")) == stamps


def test_changed_rows_are_updated_and_only_they(tmp_path, catalog_rows):
    products, retailers = catalog_rows
    rows = offer_rows(products[:10], retailers[:2])
    run(write_feed(tmp_path / "offers.csv", rows))
    rows[0]["price"] = "5.00"
    rows[1]["availability"] = "out_of_stock"

    _, report = run(write_feed(tmp_path / "offers.csv", rows))

    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 18)
    first = Offer.objects.get(product__upc=rows[0]["upc"], retailer__name=rows[0]["retailer"])
    assert first.price == Decimal("5.00")


def test_rejected_rows_are_reported_with_their_reasons_and_the_rest_imported(
    tmp_path, catalog_rows
):
    products, retailers = catalog_rows
    good = offer_rows(products[:3], retailers[:1])
    bad = [
        {**good[0], "upc": make_upc(99999)},
        {**good[0], "upc": products[3].upc, "retailer": "Nowhere"},
        {**good[0], "upc": products[4].upc, "price": "-1"},
        {**good[0], "upc": products[5].upc, "url": "ftp://example.com/x"},
        {**good[0], "upc": products[6].upc, "currency": "XXX"},
        {**good[0], "upc": products[7].upc, "price": "cheap"},
        dict(good[0]),
    ]
    feed = write_feed(tmp_path / "offers.csv", good + bad)

    output, report = run(feed, "--batch-size", "4")

    assert (report["created"], report["rejected"]) == (3, 7)
    reasons = {row["row"]: row["reason"] for row in report["rejected_rows"]}
    assert reasons[4] == f"No product has UPC/GTIN “{make_upc(99999)}”."
    assert reasons[5] == "No retailer is named “Nowhere”."
    # The field validator or, failing it, the database's check constraint.
    assert any(
        text in reasons[6]
        for text in ["greater than or equal to 0.", "A price cannot be negative."]
    )
    assert "Enter a valid URL that starts with http:// or https://." in reasons[7]
    assert "currency: Value 'XXX' is not a valid choice." in reasons[8]
    assert "price: “cheap” value must be a decimal number." in reasons[9]
    assert reasons[10] == "An earlier row has the same UPC and retailer."
    assert report["reasons"]["No product has UPC/GTIN “…”."] == 1
    assert "7 rejected" in output
    assert Offer.objects.count() == 3


def test_rows_the_database_refuses_are_rejected_alone_with_the_models_message(tmp_path):
    """A slug taken by another product passes the field validators; the bulk write
    fails, and only the clashing rows are rejected, the rest of the batch is written."""
    taken = ProductFactory(slug="taken")
    columns = ["upc", "brand", "name", "slug", "type", "style"]
    rows = [
        {"upc": make_upc(800 + n), "brand": "Zara", "name": f"Coat {n}", "type": "coat"}
        for n in range(4)
    ]
    for row in rows:
        row["style"] = "original"
    rows[1]["slug"] = taken.slug
    # Two new rows of one batch that clash only with each other.
    rows[2]["slug"] = rows[3]["slug"] = "twin"

    _, report = run(write_feed(tmp_path / "p.csv", rows, columns), "--model", "products")

    assert (report["created"], report["rejected"]) == (2, 2)
    reasons = {row["row"]: row["reason"] for row in report["rejected_rows"]}
    assert reasons[2] == "slug: Product with this Slug already exists."
    assert reasons[4].startswith("Refused: ")
    assert sorted(Product.objects.values_list("slug", flat=True)) == sorted(
        ["taken", "zara-coat-0", "twin"]
    )


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".xlsx", ".csv"])
def test_every_format_imports_the_same_offers(tmp_path, catalog_rows, suffix):
    products, retailers = catalog_rows
    rows = offer_rows(products[:20], retailers[:3])

    _, report = run(write_feed(tmp_path / f"offers{suffix}", rows), "--batch-size", "7")

    assert (report["created"], report["rejected"]) == (60, 0)
    assert Offer.objects.count() == 60


def test_a_json_array_larger_than_the_read_buffer_is_streamed(tmp_path, catalog_rows):
    products, retailers = catalog_rows
    rows = offer_rows(products, retailers)
    for row in rows:
        row["url"] += "?" + "x" * 2000  # ~1.3 MB in all, more than one read chunk

    _, report = run(write_feed(tmp_path / "offers.json", rows))

    assert report["created"] == 600


def test_products_feed_with_types_styles_and_images(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stored = default_storage.save("products/a.png", ContentFile(b"png"))
    existing = ProductFactory(upc=make_upc(700), description="Old")
    columns = ["upc", "brand", "name", "slug", "description", "type", "style", "images"]
    rows = [
        {
            "upc": existing.upc,
            "brand": existing.brand,
            "name": existing.name,
            "slug": existing.slug,
            "description": "New",
            "type": "Shirt",
            "style": "original",
            "images": "",
        },
        {
            "upc": make_upc(701),
            "brand": "Zara",
            "name": "Trench",
            "slug": "",
            "description": "",
            "type": "coat",
            "style": "Premium",
            "images": stored,
        },
        {"upc": make_upc(702), "brand": "Zara", "name": "No type", "type": "", "style": ""},
        {"upc": make_upc(703), "brand": "Zara", "name": "Odd", "type": "Cape", "style": "x"},
    ]
    feed = write_feed(tmp_path / "products.csv", rows, columns)

    _, report = run(feed, "--model", "products")
    _, again = run(feed, "--model", "products")

    assert (report["created"], report["updated"], report["rejected"]) == (1, 1, 2)
    reasons = [row["reason"] for row in report["rejected_rows"]]
    assert reasons == [
        "A new product needs a type and a style.",
        "No product type is named “Cape”.",
    ]
    trench = Product.objects.get(upc=make_upc(701))
    assert (trench.slug, trench.product_type.slug, trench.style.slug) == (
        "zara-trench",
        "coat",
        "high_end",
    )
    assert list(trench.images.values_list("image", flat=True)) == [stored]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_dry_run_counts_but_writes_nothing(tmp_path, catalog_rows):
    products, retailers = catalog_rows
    OfferFactory(product=products[0], retailer=retailers[0], price=Decimal("1.00"))
    rows = offer_rows(products[:2], retailers[:1])

    output, report = run(write_feed(tmp_path / "offers.csv", rows), "--dry-run")

    assert (report["created"], report["updated"]) == (1, 1)
    assert output.startswith("Would import")
    assert Offer.objects.get().price == Decimal("1.00")


def test_unreadable_input_is_a_clear_command_error(tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        call_command("import_feed", str(tmp_path / "missing.csv"))
    (tmp_path / "feed.txt").write_text("x")
    with pytest.raises(CommandError, match="Cannot tell the format"):
        call_command("import_feed", str(tmp_path / "feed.txt"))
    (tmp_path / "broken.json").write_text('[{"upc": "1"}, {"upc": ')
    with pytest.raises(CommandError, match="Invalid JSON after row 1"):
        call_command("import_feed", str(tmp_path / "broken.json"), "--no-progress")


# Retailers, artists, videos and scenes go through the admin's own import resources


def test_retailers_feed_creates_then_changes_nothing_and_rejects_bad_rows(tmp_path):
    columns = ["name", "slug", "homepage_url", "link_template"]
    rows = [
        {"name": f"Shop {n}", "slug": "", "homepage_url": f"https://shop{n}.example/"}
        for n in range(12)
    ]
    rows.append({"name": "Bad Shop", "slug": "bad", "homepage_url": "ftp://bad.example/"})
    feed = write_feed(tmp_path / "retailers.csv", rows, columns)

    out, report = run(feed, "--model", "retailers", "--batch-size", "5")

    assert (report["created"], report["unchanged"], report["rejected"]) == (12, 0, 1)
    (rejected,) = report["rejected_rows"]
    assert rejected["row"] == 13 and rejected["key"] == "bad"  # data rows count from 1
    assert "homepage_url" in rejected["reason"]
    assert Retailer.objects.filter(slug__startswith="shop-").count() == 12
    assert not Retailer.objects.filter(slug="bad").exists()
    assert "12 created, 0 updated, 0 unchanged, 1 rejected" in out

    _, again = run(feed, "--model", "retailers", "--batch-size", "5")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 12)


def test_artists_feed_updates_only_the_changed_rows(tmp_path):
    ArtistFactory(name="Robyn", slug="robyn", bio="Swedish")
    ArtistFactory(name="Lykke Li", slug="lykke-li", bio="")
    columns = ["name", "slug", "bio"]
    rows = [
        {"name": "Robyn", "slug": "robyn", "bio": "Swedish"},
        {"name": "Lykke Li", "slug": "lykke-li", "bio": "Also Swedish"},
        {"name": "Neneh Cherry", "slug": "", "bio": ""},
    ]
    _, report = run(write_feed(tmp_path / "artists.json", rows, columns), "--model", "artists")
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert Artist.objects.get(slug="lykke-li").bio == "Also Swedish"
    assert Artist.objects.filter(slug="neneh-cherry").exists()


def test_videos_and_scenes_feeds_bring_sources_and_appearances(tmp_path):
    ArtistFactory(name="Robyn", slug="robyn")
    coat = ProductFactory()
    video_columns = ["title", "slug", "artists", "status", "sources"]
    videos = [
        {
            "title": "Dancing On My Own",
            "slug": "",
            "artists": "robyn",
            "status": "published",
            "sources": json.dumps([{"provider": "youtube", "external_id": "abc123"}]),
        }
    ]
    _, report = run(
        write_feed(tmp_path / "videos.xlsx", videos, video_columns), "--model", "videos"
    )
    assert report["created"] == 1
    video = Video.objects.get(slug="dancing-on-my-own")
    assert list(video.sources.values_list("provider", "external_id")) == [("youtube", "abc123")]

    scene_columns = ["video", "start", "end", "title", "appearances"]
    scenes = [
        {
            "video": video.slug,
            "start": "0:10",
            "end": "0:20",
            "title": "Verse",
            "appearances": coat.upc,
        },
        {"video": "no-such-video", "start": "0:00", "end": "0:05", "title": "", "appearances": ""},
    ]
    scene_feed = write_feed(tmp_path / "scenes.csv", scenes, scene_columns)
    _, report = run(scene_feed, "--model", "scenes")
    assert (report["created"], report["rejected"]) == (1, 1)
    assert "no-such-video" in report["rejected_rows"][0]["key"]
    scene = Scene.objects.get(video=video)
    assert list(scene.appearances.values_list("product", flat=True)) == [coat.pk]

    _, again = run(scene_feed, "--model", "scenes")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)


def test_a_dry_run_of_a_resource_feed_writes_nothing(tmp_path):
    feed = write_feed(
        tmp_path / "artists.csv", [{"name": "Robyn", "slug": "robyn"}], ["name", "slug"]
    )
    out, report = run(feed, "--model", "artists", "--dry-run")
    assert report["created"] == 1 and report["dry_run"] is True
    assert "Would import" in out
    assert not Artist.objects.exists()
