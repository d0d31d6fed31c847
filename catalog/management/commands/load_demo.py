from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog import search
from catalog.models import Appearance, Artist, Offer, Product, Retailer, Scene, Video

FIXTURE = "demo_catalog"


def demo_media_root() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "media"


def copy_demo_media(source: Path) -> tuple[int, int]:
    """Copy the demo pictures and clip into the default storage; return (copied, kept).

    A file already stored with the same size is kept, so a second run copies nothing.
    One with another size is an older generation of the demo file and is replaced:
    `save()` alone would store it under a new, suffixed name that the fixture does not use.
    """
    copied = kept = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        if default_storage.exists(name):
            if default_storage.size(name) == path.stat().st_size:
                kept += 1
                continue
            default_storage.delete(name)
        with path.open("rb") as handle:
            default_storage.save(name, File(handle, name=path.name))
        copied += 1
    return copied, kept


class Command(BaseCommand):
    help = (
        "Load the demo catalog: copy fixtures/media into the media storage, then loaddata "
        "demo_catalog. Safe to run again; a second run changes nothing."
    )

    def handle(self, *args, **options):
        copied, kept = copy_demo_media(demo_media_root())
        call_command("loaddata", FIXTURE, verbosity=0)
        # loaddata saves raw rows, which the receivers of the derived columns skip.
        Product.objects.refresh_published()
        Product.objects.refresh_prices()
        search.rebuild()
        self.stdout.write(
            self.style.SUCCESS("Loaded the demo catalog: ")
            + f"{Video.objects.count()} videos, {Scene.objects.count()} scenes, "
            f"{Artist.objects.count()} artists, {Product.objects.count()} products, "
            f"{Appearance.objects.count()} appearances, {Offer.objects.count()} offers from "
            f"{Retailer.objects.count()} retailers; media files: {copied} copied, "
            f"{kept} already there."
        )
