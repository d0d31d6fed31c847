from datetime import date, timedelta

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

import pytest

from catalog.groups import CURATORS
from catalog.models import ProductStyle, ProductType


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_run_back_to_zero_and_forward_again():
    call_command("migrate", "catalog", "zero", verbosity=0)
    assert not Group.objects.filter(name=CURATORS).exists()
    call_command("migrate", verbosity=0)
    assert ProductType.objects.filter(slug="shoe").exists()
    assert ProductStyle.objects.get(slug="original").name == "As seen"
    assert Group.objects.get(name=CURATORS).permissions.exists()


def test_curators_hold_exactly_the_catalog_permissions(db):
    granted = set(
        Group.objects.get(name=CURATORS).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    catalog = set(
        Permission.objects.filter(content_type__app_label="catalog").values_list(
            "content_type__app_label", "codename"
        )
    )
    assert granted <= catalog
    assert ("catalog", "change_product") in granted
    assert ("catalog", "delete_offer") in granted
    assert ("catalog", "view_click") in granted
    assert ("catalog", "change_click") not in granted
    assert ("catalog", "delete_click") not in granted


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_0007_starts_the_click_rollups_again_from_the_raw_clicks():
    before, after = [("catalog", "0006_api_filter_indexes")], [("catalog", "0007_click_totals")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    click = old.get_model("catalog", "Click").objects.create(target_url="https://shop.example/")
    old.get_model("catalog", "ClickDaily").objects.create(day=date(2026, 11, 30), clicks=1)
    old.get_model("catalog", "ClickRollupState").objects.create(pk=1, last_click_id=click.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    assert not new.get_model("catalog", "ClickDaily").objects.exists()
    assert new.get_model("catalog", "ClickRollupState").objects.get().last_click_id == 0
    assert new.get_model("catalog", "Click").objects.filter(pk=click.pk).exists()

    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_0008_marks_the_products_of_published_videos():
    before, after = [("catalog", "0007_click_totals")], [("catalog", "0008_product_is_published")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    shirt = old.get_model("catalog", "ProductType").objects.get(slug="shirt")
    original = old.get_model("catalog", "ProductStyle").objects.get(slug="original")
    videos = old.get_model("catalog", "Video").objects
    published = videos.create(title="On", slug="on", status="published")
    draft = videos.create(title="Off", slug="off", status="draft")

    def product(upc):
        return old.get_model("catalog", "Product").objects.create(
            upc=upc, brand="B", name=upc, slug=upc, product_type=shirt, style=original
        )

    seen, shown, in_draft, alone = (
        product(upc) for upc in ("96385074", "40170725", "12345670", "55123457")
    )
    scenes = old.get_model("catalog", "Scene").objects
    appearances = old.get_model("catalog", "Appearance").objects
    appearances.create(
        scene=scenes.create(video=published, start=timedelta(0), end=timedelta(seconds=5)),
        product=seen,
    )
    appearances.create(
        scene=scenes.create(video=draft, start=timedelta(0), end=timedelta(seconds=5)),
        product=in_draft,
    )
    video_products = old.get_model("catalog", "VideoProduct").objects
    video_products.create(video=published, product=shown)
    video_products.create(video=draft, product=seen)
    stamps = dict(old.get_model("catalog", "Product").objects.values_list("pk", "updated_at"))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("catalog", "Product").objects
    assert dict(new.values_list("pk", "is_published")) == {
        seen.pk: True,
        shown.pk: True,
        in_draft.pk: False,
        alone.pk: False,
    }
    assert dict(new.values_list("pk", "updated_at")) == stamps

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)  # the reverse is a no-op before the column goes
    call_command("migrate", verbosity=0)
