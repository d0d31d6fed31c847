from django.db import migrations

import catalog.search


def search_field():
    return catalog.search.SearchTextField(
        blank=True,
        db_default="",
        default="",
        editable=False,
        help_text="Normalised words for the shoppers' search. Kept by the catalog.",
    )


def index_catalog(apps, schema_editor):
    """Fill every row's search text, then create the engine's index (FULLTEXT or FTS5)."""
    catalog.search.rebuild(apps, using=schema_editor.connection.alias)


def drop_index(apps, schema_editor):
    catalog.search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_product_from_price"),
    ]

    operations = [
        migrations.AddField(model_name="artist", name="search_text", field=search_field()),
        migrations.AddField(model_name="product", name="search_text", field=search_field()),
        migrations.AddField(model_name="video", name="search_text", field=search_field()),
        migrations.RunPython(index_catalog, drop_index, elidable=False),
    ]
