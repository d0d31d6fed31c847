from django.db import migrations

from catalog.groups import remove_curators, sync_curator_permissions

# The original's five types ("show" was a typo for shoe) and the clothing it lacked.
PRODUCT_TYPES = [
    ("shirt", "Shirt"),
    ("jeans", "Jeans"),
    ("dress", "Dress"),
    ("jacket", "Jacket"),
    ("shoe", "Shoe"),
    ("hat", "Hat"),
    ("accessory", "Accessory"),
    ("top", "Top"),
    ("trousers", "Trousers"),
    ("skirt", "Skirt"),
    ("shorts", "Shorts"),
    ("coat", "Coat"),
    ("knitwear", "Knitwear"),
    ("bag", "Bag"),
    ("jewellery", "Jewellery"),
    ("eyewear", "Eyewear"),
    ("other", "Other"),
]

# The original's tiers, with the names shoppers see.
PRODUCT_STYLES = [
    ("original", "As seen", 0),
    ("low_end", "Affordable", 1),
    ("high_end", "Premium", 2),
]


def seed_reference_data(apps, schema_editor):
    ProductType = apps.get_model("catalog", "ProductType")
    ProductStyle = apps.get_model("catalog", "ProductStyle")
    for slug, name in PRODUCT_TYPES:
        ProductType.objects.update_or_create(slug=slug, defaults={"name": name})
    for slug, name, position in PRODUCT_STYLES:
        ProductStyle.objects.update_or_create(
            slug=slug, defaults={"name": name, "position": position}
        )


def remove_reference_data(apps, schema_editor):
    ProductType = apps.get_model("catalog", "ProductType")
    ProductStyle = apps.get_model("catalog", "ProductStyle")
    ProductType.objects.filter(slug__in=[slug for slug, _ in PRODUCT_TYPES]).delete()
    ProductStyle.objects.filter(slug__in=[slug for slug, _, _ in PRODUCT_STYLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(seed_reference_data, remove_reference_data),
        migrations.RunPython(sync_curator_permissions, remove_curators),
    ]
