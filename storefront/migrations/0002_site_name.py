from django.conf import settings
from django.db import migrations


def name_the_site(apps, schema_editor):
    """allauth signs its mails with the Site's name ("Hello from example.com!").

    On a new database the sites app creates its example.com row only after every
    migration ran, and only if there is none: create it here under our name instead.
    A name an operator already changed is left alone.
    """
    Site = apps.get_model("sites", "Site")
    site, created = Site.objects.get_or_create(
        pk=settings.SITE_ID, defaults={"domain": "example.com", "name": "Inspired"}
    )
    if not created and site.name == "example.com":
        site.name = "Inspired"
        site.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("storefront", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
