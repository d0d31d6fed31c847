"""The Curators group: the people who keep the catalog, with exactly the rights to do so."""

CURATORS = "Curators"

# Click-throughs and link checks are evidence, not catalog content: curators read them but
# never edit them. The roll-up tables are derived from clicks by code.
READ_ONLY_MODELS = {"click", "clickdaily", "clickrollupstate", "offercheck", "pricehistory"}


def sync_curator_permissions(apps, schema_editor):
    """Give the Curators group every catalog permission (view only on read-only models).

    Data migrations that add catalog models call this again, so the group keeps up.
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("catalog")
    # Permissions are normally created after migrate finishes; create them now so the
    # group can be given them inside this migration.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS)
    permissions = Permission.objects.filter(content_type__app_label="catalog").select_related(
        "content_type"
    )
    allowed = [
        permission
        for permission in permissions
        if permission.content_type.model not in READ_ONLY_MODELS
        or permission.codename.startswith("view_")
    ]
    group.permissions.set(allowed)


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CURATORS).delete()
