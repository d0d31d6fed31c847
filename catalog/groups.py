"""The Curators and Reviewers groups: the people who keep the catalog, with exactly the
rights to do so. Reviewers have the curators' rights and may publish videos too."""

CURATORS = "Curators"
REVIEWERS = "Reviewers"
# Held by reviewers only; with CATALOG_REVIEW_REQUIRED off, change_video is enough.
PUBLISH = "publish_video"

# Click-throughs and link checks are evidence, not catalog content: curators read them but
# never edit them. The roll-up tables are derived from clicks by code.
READ_ONLY_MODELS = {
    "click",
    "clickdaily",
    "clickrollupstate",
    "offercheck",
    "pricehistory",
    "webhookdelivery",
    "exchangerate",
}
# Shoppers' own settings: staff with a superuser's rights look after those, not curators.
PRIVATE_MODELS = {"productalert", "alertnotification", "digestsubscription"}


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
        if permission.content_type.model not in PRIVATE_MODELS
        and (
            permission.content_type.model not in READ_ONLY_MODELS
            or permission.codename.startswith("view_")
        )
        and permission.codename != PUBLISH
    ]
    group.permissions.set(allowed)
    if Group.objects.filter(name=REVIEWERS).exists():
        sync_reviewer_permissions(apps, schema_editor)


def sync_reviewer_permissions(apps, schema_editor):
    """Give the Reviewers group the curators' permissions and the right to publish."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    curators = Group.objects.get(name=CURATORS)
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    publish = Permission.objects.get(content_type__app_label="catalog", codename=PUBLISH)
    reviewers.permissions.set([*curators.permissions.all(), publish])


def create_reviewers(apps, schema_editor):
    sync_curator_permissions(apps, schema_editor)
    sync_reviewer_permissions(apps, schema_editor)


def remove_reviewers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=REVIEWERS).delete()


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CURATORS).delete()
