"""The demo catalog (fixtures/demo_catalog.json), its media and `manage.py load_demo`."""

import json
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from itertools import pairwise
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

import pytest
from PIL import Image

from catalog.models import (
    Appearance,
    Artist,
    Offer,
    Product,
    ProductImage,
    Retailer,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
FIXTURE_FILE = FIXTURES / "demo_catalog.json"
DEMO_MEDIA = FIXTURES / "media"
MEDIA_SCRIPT = Path(settings.BASE_DIR) / "scripts" / "make_demo_media.py"
MP4_VIDEO = "neon-hours"
# The file fields of the fixture's models: every value must name a file in fixtures/media.
FILE_FIELDS = {
    "catalog.artist": "image",
    "catalog.video": "thumbnail",
    "catalog.productimage": "image",
    "catalog.retailer": "logo",
    "catalog.videosource": "file",
}


def load_fixture():
    """Load the demo fixture as load_demo does: loaddata, then the published flags."""
    call_command("loaddata", "demo_catalog", verbosity=0)
    Product.objects.refresh_published()


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker):
    """Load the demo catalog once for the tests that only read it; roll it back after.

    A load takes ~900 queries (natural keys resolve one by one), so loading it per test
    would dominate this module's run time. Each test still runs in its own savepoint
    inside this transaction, as pytest-django's `db` nests.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        load_fixture()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def fixture_records():
    return json.loads(FIXTURE_FILE.read_text())


def catalog_snapshot():
    """Every column of every catalog table, join tables included, in primary-key order."""
    snapshot = {}
    for model in apps.get_app_config("catalog").get_models(include_auto_created=True):
        columns = [field.attname for field in model._meta.concrete_fields]
        snapshot[model._meta.label] = list(
            model._base_manager.order_by("pk").values_list(*columns)
        )
    return snapshot


def referenced_media():
    for record in fixture_records():
        field = FILE_FIELDS.get(record["model"])
        if field and record["fields"][field]:
            yield record["fields"][field]


def mp4_duration(data: bytes) -> timedelta:
    """Read the movie header (moov/mvhd) of an MP4: its duration over its timescale."""

    def boxes(chunk):
        offset = 0
        while offset + 8 <= len(chunk):
            size = int.from_bytes(chunk[offset : offset + 4], "big")
            kind = chunk[offset + 4 : offset + 8]
            yield kind, chunk[offset + 8 : offset + size]
            offset += size

    moov = next(body for kind, body in boxes(data) if kind == b"moov")
    mvhd = next(body for kind, body in boxes(moov) if kind == b"mvhd")
    if mvhd[0] == 1:
        timescale = int.from_bytes(mvhd[20:24], "big")
        duration = int.from_bytes(mvhd[24:32], "big")
    else:
        timescale = int.from_bytes(mvhd[12:16], "big")
        duration = int.from_bytes(mvhd[16:20], "big")
    return timedelta(seconds=duration / timescale)


# The fixture file


def test_fixture_uses_natural_keys_and_explicit_timestamps():
    records = fixture_records()

    assert records
    assert [r for r in records if "pk" in r] == []
    assert [r for r in records if not {"created_at", "updated_at"} <= r["fields"].keys()] == []


def test_fixture_leaves_reference_data_to_the_migration():
    models = {record["model"] for record in fixture_records()}

    assert "catalog.producttype" not in models
    assert "catalog.productstyle" not in models


# Loading it


def test_fixture_loads_twice_and_the_second_load_changes_nothing():
    load_fixture()
    first = catalog_snapshot()
    load_fixture()

    assert catalog_snapshot() == first
    assert len(first["catalog.Video"]) >= 3
    assert len(first["catalog.Offer"]) > 0


def test_every_demo_record_passes_model_validation(demo_catalog):

    for model in apps.get_app_config("catalog").get_models():
        if model.__name__.startswith("Historical"):
            continue  # past versions, written by django-simple-history
        for instance in model._base_manager.all():
            # Raises on a bad GTIN, URL, currency or scene time, naming the record.
            instance.full_clean()


def test_every_demo_video_is_published_with_a_primary_source_scenes_and_cast(demo_catalog):
    videos = Video.objects.annotate(
        scene_count=Count("scenes", distinct=True),
        cast_count=Count("cast_members", distinct=True),
    )

    assert videos.count() >= 4
    for video in videos:
        assert video.is_published, video
        assert video.sources.filter(is_primary=True).count() == 1, video
        assert video.scene_count >= 3, video
        assert video.cast_count >= 2, video
        assert video.thumbnail, video
        assert video.artists.exists(), video


def test_every_scene_has_a_title_cast_and_products_with_two_retailers(demo_catalog):
    scenes = Scene.objects.prefetch_related("cast_members", "appearances")

    for scene in scenes:
        assert scene.title, scene
        assert scene.end > scene.start, scene
        assert scene.cast_members.all(), scene
        assert scene.appearances.all(), scene
    under_two_retailers = Product.objects.filter(appearances__isnull=False).annotate(
        retailers=Count("offers__retailer", distinct=True)
    )

    assert [p for p in under_two_retailers if p.retailers < 2] == []


def test_scenes_of_a_video_do_not_overlap_and_fit_its_duration(demo_catalog):

    for video in Video.objects.prefetch_related("scenes"):
        scenes = sorted(video.scenes.all(), key=lambda scene: scene.start)
        for before, after in pairwise(scenes):
            assert before.end <= after.start, (before, after)
        assert scenes[-1].end <= video.duration, video


def test_appearances_are_worn_by_cast_of_the_same_video_in_every_match(demo_catalog):
    appearances = Appearance.objects.select_related("scene", "cast_member")

    assert {a.match for a in appearances} == {"exact", "similar", "alternative"}
    for appearance in appearances:
        assert appearance.cast_member is not None, appearance
        assert appearance.cast_member.video_id == appearance.scene.video_id, appearance
        assert appearance.cast_member in appearance.scene.cast_members.all(), appearance


def test_every_product_has_images_with_alt_text_and_every_style_is_used(demo_catalog):
    products = Product.objects.annotate(image_count=Count("images"))

    assert {p.style.slug for p in products} == {"original", "low_end", "high_end"}
    assert [p for p in products if not 1 <= p.image_count <= 3] == []
    assert not ProductImage.objects.filter(alt_text="").exists()
    assert not Product.objects.filter(description="").exists()


def test_the_original_videos_have_their_artists_and_youtube_sources(demo_catalog):
    originals = {
        "what-about-love": ("Austin Mahone", "2PEG82Udb90"),
        "i-knew-you-were-trouble": ("Taylor Swift", "vNoKguSdy4Y"),
        "give-your-heart-a-break": ("Demi Lovato", "1zfzka5VwRc"),
    }

    for slug, (artist, youtube_id) in originals.items():
        video = Video.objects.get(slug=slug)
        source = video.sources.get(is_primary=True)
        assert [a.name for a in video.artists.all()] == [artist]
        assert (source.provider, source.external_id) == ("youtube", youtube_id)
        assert source.url == f"https://www.youtube.com/watch?v={youtube_id}"
        assert Artist.objects.get(name=artist).bio
        assert video.cast_members.filter(artist__name=artist).exists()
    assert Video.objects.featured().count() in {1, 2}


def test_the_paul_smith_striped_beanie_comes_in_its_three_tiers(demo_catalog):
    what_about_love = Video.objects.get(slug="what-about-love")
    beanies = Product.objects.filter(
        brand="Paul Smith", name__icontains="striped", product_type__slug="hat"
    ).in_video(what_about_love)

    assert sorted(b.style.name for b in beanies) == ["Affordable", "As seen", "Premium"]
    # The original's one real offer: the beanie at Farfetch for 103.81.
    as_seen = beanies.get(style__slug="original")
    farfetch = as_seen.offers.get(retailer__slug="farfetch")
    assert (farfetch.price, farfetch.currency) == (Decimal("103.81"), "USD")
    assert as_seen.images.count() == 3


def test_retailers_include_farfetch_and_the_originals_others_with_logos(demo_catalog):
    retailers = Retailer.objects.all()

    assert {"Farfetch", "SSENSE", "Nordstrom", "ASOS"} <= {r.name for r in retailers}
    for retailer in retailers:
        assert retailer.logo, retailer
        assert retailer.homepage_url.startswith("https://"), retailer
        assert retailer.offers.exists(), retailer


def test_demo_offers_cover_stock_currencies_and_whole_video_products(demo_catalog):

    assert Offer.objects.filter(availability=Offer.Availability.OUT_OF_STOCK).count() >= 1
    assert Offer.objects.values("currency").distinct().count() >= 2
    assert Offer.objects.buyable().count() == Offer.objects.count() - 1
    assert VideoProduct.objects.count() >= 2


# Media


def test_every_file_the_fixture_names_is_shipped_and_small():
    paths = list(referenced_media())

    assert len(paths) > 40
    for name in paths:
        path = DEMO_MEDIA / name
        assert name.startswith("demo/"), name
        assert path.is_file(), name
        if path.suffix in {".png", ".jpg"}:
            with Image.open(path) as image:
                image.verify()
            assert path.stat().st_size < 20 * 1024, name


def test_fixtures_media_holds_only_what_the_fixture_names():
    shipped = {p.relative_to(DEMO_MEDIA).as_posix() for p in DEMO_MEDIA.rglob("*") if p.is_file()}

    assert shipped == set(referenced_media())


def test_the_demo_mp4_is_small_and_its_scenes_match_its_timeline(demo_catalog):
    video = Video.objects.get(slug=MP4_VIDEO)
    source = video.sources.get(is_primary=True)
    data = (DEMO_MEDIA / source.file.name).read_bytes()
    scenes = list(video.scenes.order_by("start"))

    assert (source.provider, source.url, source.external_id) == ("mp4", "", "")
    assert source.file.name == "demo/videos/sources/neon-hours.mp4"
    assert len(data) < 200 * 1024
    assert data[4:8] == b"ftyp"
    # Scene 1 is 0-4 s, scene 2 4-8 s, scene 3 8-12 s: the numbers the clip shows.
    assert [(s.start_seconds, s.end_seconds) for s in scenes] == [(0, 4), (4, 8), (8, 12)]
    assert mp4_duration(data) == video.duration == timedelta(seconds=12)


@pytest.mark.browser
@pytest.mark.slow
def test_the_demo_mp4_plays_in_headless_chromium_and_shows_each_scene():
    # In a subprocess: Playwright's sync API runs an event loop, which must not meet the
    # session-wide one the storefront's browser fixture may have open.
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(MEDIA_SCRIPT), "--check"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    seen = json.loads(completed.stdout)

    assert seen["error"] is None
    assert seen["readyState"] >= 2
    assert seen["currentTime"] > 1
    assert (seen["width"], seen["height"], seen["duration"]) == (320, 180, 12)
    for pixel, expected in zip(seen["colours"], seen["expected_colours"], strict=True):
        assert all(abs(a - b) <= 16 for a, b in zip(pixel, expected, strict=True)), seen


# manage.py load_demo


def stored_files(root: Path):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_load_demo_copies_the_media_and_loads_the_catalog():
    out = StringIO()

    call_command("load_demo", stdout=out)

    shipped = stored_files(DEMO_MEDIA)
    assert stored_files(Path(settings.MEDIA_ROOT)) == shipped
    assert f"{len(shipped)} copied, 0 already there" in out.getvalue()
    assert "4 videos" in out.getvalue()
    assert Video.objects.count() == 4
    mp4 = VideoSource.objects.get(video__slug=MP4_VIDEO, is_primary=True)
    assert (Path(settings.MEDIA_ROOT) / mp4.file.name).is_file()


def test_load_demo_twice_copies_nothing_and_changes_nothing():
    call_command("load_demo", stdout=StringIO())
    files, rows = stored_files(Path(settings.MEDIA_ROOT)), catalog_snapshot()
    out = StringIO()

    call_command("load_demo", stdout=out)

    # No "_aB3xYz"-suffixed duplicates and no row rewritten.
    assert stored_files(Path(settings.MEDIA_ROOT)) == files
    assert catalog_snapshot() == rows
    assert f"0 copied, {len(files)} already there" in out.getvalue()


def test_load_demo_replaces_a_stale_copy_under_the_same_name():
    stale = Path(settings.MEDIA_ROOT) / "demo" / "artists" / "austin-mahone.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an older picture")

    call_command("load_demo", stdout=StringIO())

    assert stale.read_bytes() == (DEMO_MEDIA / "demo/artists/austin-mahone.png").read_bytes()
    assert sorted(p.name for p in stale.parent.iterdir() if p.name.startswith("austin")) == [
        "austin-mahone.png"
    ]
