import importlib
from io import StringIO
from itertools import pairwise

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from catalog.management.synthetic import PRODUCT_PICTURE, delete_synthetic_catalog
from catalog.models import (
    Appearance,
    Artist,
    CastMember,
    Click,
    Offer,
    Product,
    ProductImage,
    Retailer,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
)
from catalog.tests.factories import ClickFactory, ProductFactory
from catalog.validators import validate_gtin

SIZE = {"artists": 4, "videos": 6, "scenes": 30, "products": 20, "offers": 50, "retailers": 5}


@pytest.fixture(autouse=True)
def reference_data(db):
    """The product types and styles of migration 0002, even after another test's flush."""
    migration = importlib.import_module("catalog.migrations.0002_reference_data")
    migration.seed_reference_data(apps, None)


def generate(*args, **size):
    out = StringIO()
    options = [f"--{name}={n}" for name, n in {**SIZE, **size}.items()]
    call_command("generate_catalog", *options, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def synthetic_counts():
    videos = Video.objects.filter(slug__startswith="syn-")
    products = Product.objects.filter(slug__startswith="syn-")
    return {
        "artists": Artist.objects.filter(slug__startswith="syn-").count(),
        "videos": videos.count(),
        "scenes": Scene.objects.filter(video__in=videos).count(),
        "products": products.count(),
        "offers": Offer.objects.filter(product__in=products).count(),
        "retailers": Retailer.objects.filter(slug__startswith="syn-").count(),
        "sources": VideoSource.objects.filter(video__in=videos).count(),
        "cast": CastMember.objects.filter(video__in=videos).count(),
        "appearances": Appearance.objects.filter(scene__video__in=videos).count(),
        "video_products": VideoProduct.objects.filter(video__in=videos).count(),
        "images": ProductImage.objects.filter(product__in=products).count(),
    }


def fingerprint():
    """What a seed decides, by natural keys (ids differ between runs)."""
    return {
        "artists": list(Artist.objects.order_by("slug").values_list("slug", "name")),
        "videos": list(Video.objects.order_by("slug").values_list("slug", "duration", "status")),
        "scenes": list(
            Scene.objects.order_by("video__slug", "start").values_list(
                "video__slug", "start", "end"
            )
        ),
        "products": list(Product.objects.order_by("upc").values_list("upc", "slug", "style")),
        "offers": list(
            Offer.objects.order_by("product__upc", "retailer__slug").values_list(
                "product__upc", "retailer__slug", "price", "currency", "availability"
            )
        ),
        "appearances": list(
            Appearance.objects.order_by(
                "scene__video__slug", "scene__start", "product__upc"
            ).values_list("scene__video__slug", "scene__start", "product__upc", "match")
        ),
    }


def test_a_small_run_makes_exactly_the_requested_counts():
    generate()

    counts = synthetic_counts()
    assert {name: counts[name] for name in SIZE} == SIZE
    assert counts["sources"] == SIZE["videos"]
    assert counts["images"] == SIZE["products"]
    assert counts["appearances"] == 2 * SIZE["scenes"]
    assert counts["video_products"] == 2 * SIZE["videos"]
    assert 2 * SIZE["videos"] <= counts["cast"] <= 4 * SIZE["videos"]
    assert not Video.objects.filter(slug__startswith="syn-", artists=None).exists()


def test_the_generated_rows_are_valid():
    generate()

    models = [Artist, Retailer, Video, VideoSource, CastMember, Scene, Product, ProductImage]
    models += [Offer, VideoProduct, Appearance]
    for model in models:
        rows = list(model.objects.all())
        assert rows, model
        for row in rows:
            row.full_clean()
    for upc in Product.objects.values_list("upc", flat=True):
        validate_gtin(upc)
    assert default_storage.exists(PRODUCT_PICTURE)


def test_scenes_tile_their_video_without_overlapping():
    generate()

    for video in Video.objects.prefetch_related("scenes"):
        scenes = sorted(video.scenes.all(), key=lambda scene: scene.start)
        assert all(scene.end > scene.start for scene in scenes)
        assert all(a.end <= b.start for a, b in pairwise(scenes))
        assert scenes[-1].end <= video.duration


def test_offers_are_unique_per_product_and_retailer_with_valid_prices():
    generate()

    pairs = list(Offer.objects.values_list("product_id", "retailer_id"))
    assert len(pairs) == len(set(pairs)) == SIZE["offers"]
    assert not Offer.objects.filter(price__lt=0).exists()


def test_appearances_are_worn_by_cast_of_their_own_video():
    generate()

    worn = Appearance.objects.exclude(cast_member=None).select_related("scene", "cast_member")
    assert worn.exists()
    assert all(a.cast_member.video_id == a.scene.video_id for a in worn)


def test_the_same_seed_makes_the_same_catalog():
    generate("--seed=7")
    first = fingerprint()

    generate("--seed=7", "--replace")
    assert fingerprint() == first

    generate("--seed=8", "--replace")
    assert fingerprint() != first


def test_a_second_run_without_replace_is_refused_and_changes_nothing():
    generate()
    before = fingerprint()

    with pytest.raises(CommandError, match=r"already in the database.*--replace"):
        generate("--seed=99")

    assert fingerprint() == before


def test_replace_keeps_what_curators_made_and_detaches_their_clicks():
    generate()
    own = ProductFactory()
    click = ClickFactory(offer=Offer.objects.first())

    generate("--replace")

    assert Product.objects.filter(pk=own.pk).exists()
    click.refresh_from_db()
    assert click.offer is None
    assert synthetic_counts()["offers"] == SIZE["offers"]


def test_the_output_summarises_what_was_made():
    output = generate()

    assert "Made a synthetic catalog (seed 42)" in output
    lines = {line.split()[0]: line.split()[1] for line in output.splitlines()[2:]}
    assert lines["offers"] == "50"
    assert lines["scenes"] == "30"
    assert lines["total"] == f"{sum(synthetic_counts().values()) + synthetic_link_rows():,}"


def synthetic_link_rows():
    videos = Video.objects.filter(slug__startswith="syn-")
    return (
        Video.artists.through.objects.filter(video__in=videos).count()
        + Scene.cast_members.through.objects.filter(scene__video__in=videos).count()
    )


def test_queries_do_not_grow_with_the_catalog_size():
    with CaptureQueriesContext(connection) as small:
        generate("--batch-size=1000")
    delete_synthetic_catalog()
    with CaptureQueriesContext(connection) as doubled:
        generate("--batch-size=1000", **{name: 2 * n for name, n in SIZE.items()})

    assert len(doubled) == len(small)


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ({"offers": 101}, "at most --products × --retailers"),
        ({"videos": -1}, "--videos must not be negative"),
        ({"artists": 0}, "Videos need at least one artist"),
    ],
)
def test_impossible_sizes_are_refused_with_the_reason(size, message):
    with pytest.raises(CommandError, match=message):
        generate(**size)

    assert not Video.objects.exists()
    assert not Retailer.objects.exists()


def test_clicks_survive_when_their_synthetic_offer_goes():
    generate()
    click = ClickFactory(offer=Offer.objects.first())

    delete_synthetic_catalog()

    assert Click.objects.filter(pk=click.pk).exists()
    assert not Offer.objects.exists()
