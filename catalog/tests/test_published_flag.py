"""Product.is_published: every write path that changes what it is derived from keeps it right."""

import json
import re
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
from rest_framework.test import APIClient

from catalog.models import (
    Appearance,
    Product,
    Scene,
    Video,
    VideoProduct,
    product_is_published,
)
from catalog.services import set_video_status

from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
)
from .test_api_fixtures import _fresh_throttle_counts, api_url  # noqa: F401
from .test_import_export import csv_bytes, import_file

pytestmark = pytest.mark.django_db


def flag(product: Product) -> bool:
    return Product.objects.values_list("is_published", flat=True).get(pk=product.pk)


def flags_follow_the_rule() -> bool:
    """True when every stored flag says what product_is_published() computes."""
    rule = Product.objects.filter(product_is_published("pk"))
    stored = Product.objects.filter(is_published=True)
    return set(rule.values_list("pk", flat=True)) == set(stored.values_list("pk", flat=True))


@pytest.fixture
def curator_api(curator):
    client = APIClient()
    client.force_authenticate(curator)
    return client


# The recompute


def test_refresh_sets_the_rule_in_two_updates_writing_only_wrong_rows(
    django_assert_num_queries,
):
    shown = VideoProductFactory().product
    seen = AppearanceFactory().product
    in_a_draft = AppearanceFactory(scene=SceneFactory(video=VideoFactory(draft=True))).product
    alone = ProductFactory()
    Product.objects.update(is_published=Q(pk__in=[in_a_draft.pk, alone.pk]))
    stamps = dict(Product.objects.values_list("pk", "updated_at"))

    with django_assert_num_queries(2):
        changed = Product.objects.refresh_published()

    assert changed == 4
    assert [flag(p) for p in (shown, seen, in_a_draft, alone)] == [True, True, False, False]
    assert dict(Product.objects.values_list("pk", "updated_at")) == stamps
    assert Product.objects.refresh_published() == 0


def test_refresh_touches_only_the_queryset():
    first, second = ProductFactory.create_batch(2)
    VideoProduct.objects.bulk_create(
        [VideoProduct(video=VideoFactory(), product=p) for p in (first, second)]
    )
    assert Product.objects.filter(pk=first.pk).refresh_published() == 1
    assert (flag(first), flag(second)) == (True, False)


def test_refresh_published_command_repairs_raw_writes_and_says_so():
    shown = VideoProductFactory().product
    ProductFactory()
    Product.objects.update(is_published=False)  # as a raw SQL writer would leave it
    out = StringIO()
    call_command("refresh_published", stdout=out)
    assert out.getvalue().strip() == "1 product flag corrected; 1 of 2 products are published."
    assert flag(shown) is True
    out = StringIO()
    call_command("refresh_published", stdout=out)
    assert out.getvalue().startswith("0 product flags corrected;")


def test_saving_a_stale_product_keeps_its_flag():
    product = ProductFactory()
    AppearanceFactory(product=product)
    assert product.is_published is False  # the instance predates the appearance
    product.name = "Renamed"
    product.save()
    assert flag(product) is True


# Videos


def test_publishing_and_unpublishing_a_video_by_save():
    video = VideoFactory(draft=True)
    seen = AppearanceFactory(scene=SceneFactory(video=video)).product
    shown = VideoProductFactory(video=video).product
    assert (flag(seen), flag(shown)) == (False, False)

    video.status = Video.Status.PUBLISHED
    video.save()
    assert (flag(seen), flag(shown)) == (True, True)

    video.status = Video.Status.DRAFT
    video.save()
    assert (flag(seen), flag(shown)) == (False, False)


def test_saving_a_video_without_a_status_change_refreshes_nothing(django_assert_num_queries):
    video = Video.objects.get(pk=AppearanceFactory().scene.video_id)
    video.is_featured = True
    # The old status (and the title and description, which the search texts hold), the
    # video's UPDATE, then its history row.
    with django_assert_num_queries(3):
        video.save()
    with django_assert_num_queries(2):
        video.save(update_fields=["is_featured"])


def test_a_stale_video_instance_still_refreshes():
    """The old status is read from the row: this instance outlived a bulk update."""
    video = VideoFactory()
    product = AppearanceFactory(scene=SceneFactory(video=video)).product
    set_video_status(videos=Video.objects.filter(pk=video.pk), status=Video.Status.DRAFT)
    assert flag(product) is False
    assert video.status == Video.Status.PUBLISHED  # stale in memory
    video.save()
    assert flag(product) is True

    video.refresh_from_db()
    video.status = Video.Status.DRAFT
    video.save()
    assert flag(product) is False


def test_saving_an_appearance_without_a_change_refreshes_nothing(django_assert_num_queries):
    appearance = AppearanceFactory()
    appearance.match = Appearance.Match.SIMILAR
    # The old product and scene, the UPDATE, then the history row.
    with django_assert_num_queries(3):
        appearance.save()


def test_a_product_in_another_published_video_stays_published():
    product = ProductFactory()
    video = VideoFactory()
    AppearanceFactory(scene=SceneFactory(video=video), product=product)
    VideoProductFactory(product=product)
    video.status = Video.Status.DRAFT
    video.save()
    assert flag(product) is True


@pytest.mark.parametrize(
    ("action", "start", "expected"),
    [("publish", Video.Status.DRAFT, True), ("unpublish", Video.Status.PUBLISHED, False)],
)
def test_admin_publish_actions(client, action, start, expected):
    video = VideoFactory(status=start)
    seen = AppearanceFactory(scene=SceneFactory(video=video)).product
    shown = VideoProductFactory(video=video).product
    client.force_login(UserFactory(reviewer=True))
    response = client.post(
        reverse("admin:catalog_video_changelist"),
        {"action": action, "_selected_action": [video.pk]},
    )
    assert response.status_code == 302
    assert (flag(seen), flag(shown)) == (expected, expected)


def test_deleting_a_video_unpublishes_what_only_it_showed():
    video = VideoFactory()
    only_here = ProductFactory()
    elsewhere = ProductFactory()
    AppearanceFactory(scene=SceneFactory(video=video), product=only_here)
    VideoProductFactory(video=video, product=only_here)
    AppearanceFactory(scene=SceneFactory(video=video), product=elsewhere)
    AppearanceFactory(product=elsewhere)

    video.delete()
    assert (flag(only_here), flag(elsewhere)) == (False, True)


def test_deleting_a_video_refreshes_its_products_once_whatever_its_size():
    def delete_video_with(appearances):
        video = VideoFactory()
        scene = SceneFactory(video=video)
        AppearanceFactory.create_batch(appearances, scene=scene)
        VideoProductFactory(video=video)
        with CaptureQueriesContext(connection) as queries:
            video.delete()
        # Each deleted row leaves a history row; the products are read and updated once
        # (their search terms, another table, are written in batches of rows).
        product_table = re.compile(r"[`\"]catalog_product[`\"]")
        return len([q for q in queries if product_table.search(q["sql"].split("WHERE")[0])])

    assert delete_video_with(2) == delete_video_with(8) > 0


# Scenes


def test_deleting_a_scene_unpublishes_its_products():
    appearance = AppearanceFactory()
    appearance.scene.delete()
    assert flag(appearance.product) is False


def test_moving_a_scene_to_another_video():
    appearance = AppearanceFactory()
    scene = Scene.objects.get(pk=appearance.scene_id)
    scene.video = VideoFactory(draft=True)
    scene.save()
    assert flag(appearance.product) is False

    scene.video = VideoFactory()
    scene.save()
    assert flag(appearance.product) is True


# Appearances and products shown with a video


def test_adding_and_removing_an_appearance():
    product = ProductFactory()
    appearance = Appearance.objects.create(scene=SceneFactory(), product=product)
    assert flag(product) is True
    appearance.delete()
    assert flag(product) is False


def test_moving_an_appearance_between_scenes_and_products():
    published_scene = SceneFactory()
    draft_scene = SceneFactory(video=VideoFactory(draft=True))
    appearance = AppearanceFactory(scene=published_scene)
    product = appearance.product

    appearance.scene = draft_scene
    appearance.save()
    assert flag(product) is False
    appearance.scene = published_scene
    appearance.save()
    assert flag(product) is True

    other = ProductFactory()
    appearance.product = other
    appearance.save()
    assert (flag(product), flag(other)) == (False, True)


def test_deleting_appearances_as_a_queryset():
    scene = SceneFactory()
    products = [AppearanceFactory(scene=scene).product for _ in range(3)]
    Appearance.objects.filter(scene=scene).delete()
    assert [flag(p) for p in products] == [False, False, False]


def test_adding_changing_and_removing_a_video_product():
    product = ProductFactory()
    shown = VideoProduct.objects.create(video=VideoFactory(), product=product)
    assert flag(product) is True

    shown.video = VideoFactory(draft=True)
    shown.save()
    assert flag(product) is False
    shown.video = VideoFactory()
    shown.save()
    assert flag(product) is True

    shown.delete()
    assert flag(product) is False


def test_products_added_and_removed_through_the_videos_relation():
    video = VideoFactory()
    first, second = ProductFactory.create_batch(2)
    video.products.add(first, second)
    assert (flag(first), flag(second)) == (True, True)
    video.products.remove(first)
    assert (flag(first), flag(second)) == (False, True)
    second.videos.clear()
    assert flag(second) is False


def test_a_product_shown_and_seen_needs_both_gone():
    video = VideoFactory()
    appearance = AppearanceFactory(scene=SceneFactory(video=video))
    shown = VideoProductFactory(video=video, product=appearance.product)
    appearance.delete()
    assert flag(shown.product) is True
    shown.delete()
    assert flag(shown.product) is False


def test_deleting_a_product_with_appearances():
    product = AppearanceFactory().product
    VideoProductFactory(product=product)
    product.delete()
    assert not Product.objects.filter(pk=product.pk).exists()


# The API and the admin's import


def test_api_create_and_delete_of_an_appearance(curator_api):
    scene = SceneFactory()
    product = ProductFactory()
    response = curator_api.post(
        api_url("appearance-list"), {"scene": scene.pk, "product": product.slug}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert flag(product) is True

    response = curator_api.delete(api_url("appearance-detail", pk=response.json()["id"]))
    assert response.status_code == 204
    assert flag(product) is False


def test_scene_import_publishes_added_and_unpublishes_dropped_products(client, curator):
    video = VideoFactory(slug="hit")
    kept, dropped, added = ProductFactory.create_batch(3)
    scene = SceneFactory(video=video, start=timedelta(seconds=10), end=timedelta(seconds=20))
    Appearance.objects.create(scene=scene, product=kept)
    Appearance.objects.create(scene=scene, product=dropped)
    client.force_login(curator)
    rows = [
        {
            "video": "hit",
            "start": "0:00:10",
            "end": "0:00:20",
            "title": "",
            "appearances": json.dumps([{"upc": kept.upc}, {"upc": added.upc}]),
        }
    ]

    import_file(client, "scene", csv_bytes(rows))
    assert (flag(kept), flag(dropped), flag(added)) == (True, False, True)


# Commands that write raw rows


def test_load_demo_sets_the_flags():
    call_command("load_demo", stdout=StringIO())
    assert Product.objects.filter(is_published=True).exists()
    assert flags_follow_the_rule()


def test_generate_catalog_sets_the_flags():
    sizes = {"artists": 2, "videos": 6, "scenes": 12, "products": 30, "offers": 30}
    options = [f"--{name}={n}" for name, n in sizes.items()]
    call_command(
        "generate_catalog", *options, "--retailers=2", stdout=StringIO(), stderr=StringIO()
    )
    assert Product.objects.filter(is_published=True).exists()
    assert flags_follow_the_rule()


# What shoppers see


def test_storefront_and_api_show_exactly_the_published_products(client):
    video = VideoFactory()
    shown = AppearanceFactory(scene=SceneFactory(video=video)).product
    hidden = AppearanceFactory(scene=SceneFactory(video=VideoFactory(draft=True))).product
    for product in (shown, hidden):
        OfferFactory(product=product)
    assert list(Product.objects.published()) == [shown]

    browse = client.get(reverse("storefront:product-list"))
    assert [p.pk for p in browse.context["products"]] == [shown.pk]
    assert client.get(hidden.get_absolute_url()).status_code == 404
    sitemap = client.get(reverse("storefront:sitemap-section", args=["products", 1])).text
    assert shown.slug in sitemap
    assert hidden.slug not in sitemap
    api = APIClient()
    products = api.get(api_url("product-list")).json()["results"]
    assert [p["slug"] for p in products] == [shown.slug]
    offers = api.get(api_url("offer-list")).json()["results"]
    assert {o["product"] for o in offers} == {shown.slug}

    video.status = Video.Status.DRAFT
    video.save()
    assert not api.get(api_url("product-list")).json()["results"]
    assert not api.get(api_url("offer-list")).json()["results"]
