"""The merchant feed: every healthy offer of a published product, for Google Merchant Center.

One item per offer. Rows are read in keyset pages of FEED_PAGE offers (bounded memory for
200,000 products and more) and written to a file in CATALOG_FEED_DIR, which the views
serve until it is older than CATALOG_FEED_MAX_AGE; a rebuild writes a new file and swaps
it in, so readers never see half a feed.
"""

import csv
import io
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch

from ..locks import LockHeld, exclusive_run
from ..models import Offer, Product, ProductImage, of_published_product

FEED_PAGE = 2000
FORMATS = {
    "xml": "application/xml; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
COLUMNS = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "availability",
    "price",
    "brand",
    "gtin",
]
# Merchant Center's limits for these attributes.
MAX_LENGTHS = {"id": 50, "title": 150, "description": 5000, "brand": 70}
AVAILABILITY = {
    Offer.Availability.IN_STOCK: "in_stock",
    Offer.Availability.OUT_OF_STOCK: "out_of_stock",
}


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def absolute(url: str) -> str:
    """Storage URLs are absolute on object storage and paths on the local file system."""
    return url if "://" in url else settings.SITE_URL + url


def feed_offers():
    """Healthy offers of published products that have a picture and a known availability."""
    # EXISTS rather than joins: the offers are walked in primary-key order, a page at a time.
    pictured = ProductImage.objects.filter(product=OuterRef("product_id"))
    return (
        Offer.objects.healthy()
        .filter(of_published_product(), Exists(pictured), availability__in=list(AVAILABILITY))
        .order_by("id")
    )


def rows() -> Iterator[dict]:
    """Yield one dict of COLUMNS per offer, a page of offers at a time."""
    last_id = 0
    while True:
        page = list(
            feed_offers()
            .filter(id__gt=last_id)
            .select_related("retailer")
            .prefetch_related(
                Prefetch(
                    "product",
                    queryset=Product.objects.prefetch_related(
                        Prefetch(
                            "images", queryset=ProductImage.objects.order_by("position", "id")
                        )
                    ),
                )
            )[:FEED_PAGE]
        )
        if not page:
            return
        for offer in page:
            product = offer.product
            image = product.images.all()[0]
            title = clip(f"{product.brand} {product.name}", MAX_LENGTHS["title"])
            description = product.description.strip() or f"{title}, sold by {offer.retailer.name}."
            yield {
                "id": f"offer-{offer.pk}",
                "title": title,
                "description": clip(description, MAX_LENGTHS["description"]),
                "link": settings.SITE_URL + product.get_absolute_url() + f"?offer={offer.pk}",
                "image_link": absolute(image.image.url),
                "availability": AVAILABILITY[offer.availability],
                "price": f"{offer.price:.2f} {offer.currency}",
                "brand": clip(product.brand, MAX_LENGTHS["brand"]),
                "gtin": product.upc,
            }
        last_id = page[-1].pk


def xml_chunks(items: Iterator[dict]) -> Iterator[str]:
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        "<title>Inspired</title>\n"
        f"<link>{escape(settings.SITE_URL)}/</link>\n"
        "<description>Products seen in music videos, with their retailers' offers.</description>\n"
    )
    for row in items:
        fields = "".join(f"<g:{name}>{escape(row[name])}</g:{name}>" for name in COLUMNS)
        yield f"<item>{fields}</item>\n"
    yield "</channel>\n</rss>\n"


def tsv_chunks(items: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in items:
        # Tabs and line breaks would break a row; Merchant Center wants none inside a value.
        writer.writerow([" ".join(str(row[name]).split()) for name in COLUMNS])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def feed_path(fmt: str) -> Path:
    return Path(settings.CATALOG_FEED_DIR) / f"products.{fmt}"


def build(fmt: str) -> Path:
    """Write the feed to a new file and swap it in; return its path."""
    chunks = xml_chunks(rows()) if fmt == "xml" else tsv_chunks(rows())
    path = feed_path(fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".products.{fmt}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            for chunk in chunks:
                out.write(chunk)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the feed is public
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def is_fresh(path: Path) -> bool:
    return path.exists() and time.time() - path.stat().st_mtime < settings.CATALOG_FEED_MAX_AGE


def current_feed(fmt: str) -> Path:
    """Return a fresh feed file, building it when it is missing or stale.

    One process builds at a time; the others serve the previous file while there is one,
    or wait for the builder.
    """
    path = feed_path(fmt)
    if is_fresh(path):
        return path
    for _ in range(600):
        try:
            with exclusive_run(f"merchant-feed-{fmt}"):
                if not is_fresh(path):
                    build(fmt)
                return path
        except LockHeld:
            if path.exists():
                return path
            time.sleep(0.5)
    return path
