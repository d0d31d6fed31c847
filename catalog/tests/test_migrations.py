from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

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
