from datetime import date

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
