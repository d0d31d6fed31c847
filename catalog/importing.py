"""Row rules shared by the admin's import resources and the `import_feed` command.

One home per rule: how a cell that lists several things is split, how a product type,
style, retailer or artist is found from what a curator typed, how an image reference
becomes a stored file, and how a feed file is read row by row without loading it whole.
Field rules themselves (a valid UPC, URL, currency, price) stay on the models and run
through `full_clean()`.
"""

import copy
import csv
import hashlib
import io
import json
import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.text import slugify

# Cells that hold several values (artists, images) separate them with "|" or new lines.
LIST_SEPARATOR = " | "

FEED_FORMATS = ("csv", "json", "jsonl", "xlsx")
# Where images fetched from a URL are stored, named by a hash of that URL so that
# importing the same file again finds the file it stored last time instead of fetching.
IMPORTED_IMAGES_DIR = "products/imported"


def split_list(value) -> list[str]:
    """Return the non-empty items of a "a | b" or one-per-line cell, in order."""
    if value is None:
        return []
    text = str(value).replace("\r", "\n").replace("|", "\n")
    return [item.strip() for item in text.split("\n") if item.strip()]


def join_list(values) -> str:
    return LIST_SEPARATOR.join(str(value) for value in values)


def cell_text(value) -> str:
    """Return a cell as stripped text: XLSX gives numbers, CSV and JSON give strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A UPC typed into a spreadsheet comes back as 12345678905.0.
        value = int(value)
    return str(value).strip()


def default_slug(*parts) -> str:
    """Return the slug a row gets when its file leaves the slug column empty."""
    return slugify(" ".join(str(part) for part in parts if part))


class NameOrSlugIndex:
    """Find rows of a small reference table by name or slug, case-insensitively.

    Product types, styles and retailers are a few hundred rows at most, so one query
    loads them all; the same rule then holds on SQLite (case-sensitive) and MariaDB
    (case-insensitive collation).
    """

    def __init__(self, model):
        self.model = model
        self._by_key = None

    def _load(self):
        self._by_key = {}
        for obj in self.model.objects.only("pk", "name", "slug").order_by("pk"):
            self._by_key.setdefault(obj.slug.casefold(), obj)
            self._by_key.setdefault(obj.name.casefold(), obj)

    def get(self, value):
        """Return the row named or slugged `value`, or raise ValueError saying so."""
        if self._by_key is None:
            self._load()
        text = cell_text(value)
        obj = self._by_key.get(text.casefold())
        if obj is None:
            raise ValueError(f"No {self.model._meta.verbose_name} is named “{text}”.")
        return obj


# Images


def image_reference_is_url(reference: str) -> bool:
    return reference.lower().startswith(("http://", "https://"))


def clean_storage_path(reference: str) -> str:
    """Return a stored file's name from a path relative to the media storage."""
    path = posixpath.normpath(reference.replace("\\", "/"))
    if reference.startswith("/") or path.startswith("..") or path in {".", ""}:
        raise ValidationError(
            f"“{reference}” is not a path inside the media storage.", code="image_path_outside"
        )
    if not default_storage.exists(path):
        raise ValidationError(f"No stored file “{path}”.", code="image_path_missing")
    return path


def imported_image_name(url: str, extension: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"{IMPORTED_IMAGES_DIR}/{digest}.{extension}"


IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def image_extension(content: bytes) -> str:
    """Return the file extension of an image's bytes, or raise if they are no image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError("The file is not an image.", code="image_invalid") from error
    if kind not in IMAGE_EXTENSIONS:
        raise ValidationError(f"{kind} images are not accepted.", code="image_format")
    return IMAGE_EXTENSIONS[kind]


def resolve_image(reference: str, *, store: bool) -> str:
    """Return the stored name for an image reference: a media path or an http(s) URL.

    A URL is fetched through the guarded fetcher. With `store` false (the preview), the
    image is fetched and checked but nothing is written to the storage.
    """
    if not image_reference_is_url(reference):
        return clean_storage_path(reference)
    for extension in IMAGE_EXTENSIONS.values():
        name = imported_image_name(reference, extension)
        if default_storage.exists(name):
            return name
    content = download(reference)
    name = imported_image_name(reference, image_extension(content))
    if store:
        # The name is derived from the URL; a rolled-back import leaves the file behind
        # for the next attempt to reuse, never a second copy.
        default_storage.save(name, ContentFile(content))
    return name


def download(url: str) -> bytes:
    """Return the body at `url`, fetched through the link checker's SSRF guard."""
    from . import linkcheck

    try:
        response = linkcheck.fetch(url)
    except (linkcheck.LinkRefused, linkcheck.FetchError) as error:
        raise ValidationError(f"Could not fetch {url}: {error}", code="image_fetch") from error
    if response.status != 200:
        raise ValidationError(
            f"Could not fetch {url}: the server answered {response.status}.", code="image_fetch"
        )
    if response.truncated:
        raise ValidationError(f"The image at {url} is too large.", code="image_too_large")
    return response.body


# Reading feed files row by row


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"ndjson", "jsonlines"}:
        return "jsonl"
    if suffix in FEED_FORMATS:
        return suffix
    raise ValueError(
        f"Cannot tell the format of {path.name}; pass --format ({', '.join(FEED_FORMATS)})."
    )


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict]]:
    """Yield (row number, {column: value}) from a feed file without loading it whole.

    Row numbers count data rows from 1, as the admin's preview does.
    """
    if fmt == "csv":
        yield from _read_csv(path)
    elif fmt in {"json", "jsonl"}:
        yield from _read_json(path)
    elif fmt == "xlsx":
        yield from _read_xlsx(path)
    else:
        raise ValueError(f"Unknown format “{fmt}”; use one of {', '.join(FEED_FORMATS)}.")


def _read_csv(path: Path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from enumerate(csv.DictReader(handle), 1)


def _read_xlsx(path: Path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        headers = [cell_text(cell) for cell in next(rows, ())]
        number = 0
        for values in rows:
            if all(value is None or value == "" for value in values):
                continue
            number += 1
            yield number, dict(zip(headers, values, strict=False))
    finally:
        workbook.close()


def _read_json(path: Path):
    """Read JSON lines, or a JSON array of objects (what the admin's export writes).

    The array is decoded object by object from a sliding buffer, so a file of a million
    offers never sits in memory whole.
    """
    decoder = json.JSONDecoder()
    chunk_size = 1 << 20
    with path.open(encoding="utf-8-sig") as handle:
        buffer, position, number, at_end = "", 0, 0, False
        while True:
            # Skip what separates objects: whitespace, the array's brackets and commas.
            while position < len(buffer) and buffer[position] in " \t\r\n,[]":
                position += 1
            needs_more = position == len(buffer)
            if not needs_more:
                try:
                    value, end = decoder.raw_decode(buffer, position)
                except json.JSONDecodeError as error:
                    if at_end:
                        raise ValueError(
                            f"Invalid JSON after row {number}: {error.msg}."
                        ) from None
                    needs_more = True
                else:
                    # A value that ends the buffer may go on in the next chunk.
                    needs_more = end == len(buffer) and not at_end
            if needs_more:
                if at_end:
                    return
                more = handle.read(chunk_size)
                at_end = not more
                buffer, position = buffer[position:] + more, 0
                continue
            number += 1
            if not isinstance(value, dict):
                raise ValueError(f"Row {number} is not a JSON object.")
            yield number, value
            position = end


def product_image_names(product) -> list[str]:
    """Return the stored names of a product's images, featured first."""
    images = sorted(product.images.all(), key=lambda image: (image.position, image.pk))
    return [image.image.name for image in images]


def replace_product_images(product, names: list[str]) -> None:
    """Make `names`, in order, the product's images; alt texts of kept images stay."""
    from .models import ProductImage

    alt_texts = {image.image.name: image.alt_text for image in product.images.all()}
    product.images.all().delete()
    ProductImage.objects.bulk_create(
        ProductImage(
            product=product,
            image=name,
            alt_text=alt_texts.get(name) or f"Photo of {product}",
            position=position,
        )
        for position, name in enumerate(names)
    )
    if hasattr(product, "_prefetched_objects_cache"):
        product._prefetched_objects_cache.pop("images", None)


def resolve_images(value, *, store: bool) -> list[str]:
    """Return the stored names for a cell of image references, or raise every problem."""
    names, problems = [], []
    for reference in split_list(value):
        try:
            names.append(resolve_image(reference, store=store))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    if len(set(names)) != len(names):
        raise ValidationError("The same image is listed twice.", code="image_twice")
    return names


# Feeds too large for the admin: batched natural-key lookups and bulk writes


MAX_REPORTED_ROWS = 100_000


@dataclass
class FeedSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    reasons: Counter = field(default_factory=Counter)
    rejected_rows: list = field(default_factory=list)

    def reject(self, number: int, key: str, reason: str) -> None:
        self.rejected += 1
        self.reasons[reason_kind(reason)] += 1
        if len(self.rejected_rows) < MAX_REPORTED_ROWS:
            self.rejected_rows.append({"row": number, "key": key, "reason": reason})

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "reasons": dict(self.reasons.most_common()),
            "rejected_rows": self.rejected_rows,
            "rejected_rows_left_out": max(0, self.rejected - len(self.rejected_rows)),
        }


def reason_kind(reason: str) -> str:
    """Group reasons that differ only in the value quoted: “No product has UPC …”."""
    return re.sub(r"“[^”]*”", "“…”", reason)


def validation_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


@dataclass
class Candidate:
    number: int
    key: str
    instance: object
    existing: object | None
    images: list[str] | None = None


class FeedImporter:
    """Import one model's rows in batches: look keys up per batch, validate each row with
    the model's field validators and clean(), then bulk-create and bulk-update.

    Each batch is one transaction. The database's own constraints (unique slugs,
    non-negative prices) are checked by the bulk write; when it fails, the batch's rows
    are checked one by one so that only the offending rows are rejected.
    """

    model = None
    # Model fields a row may set, by column name.
    columns: dict[str, str] = {}
    # Fields resolved by the importer itself, left out of full_clean().
    resolved: list[str] = []

    def __init__(self, *, dry_run: bool = False):
        self.dry_run = dry_run
        self.summary = FeedSummary()
        self.seen_keys = set()

    def import_rows(self, rows, *, batch_size: int, progress=None) -> FeedSummary:
        batch = []
        for numbered_row in rows:
            batch.append(numbered_row)
            if len(batch) >= batch_size:
                self.import_batch(batch)
                if progress is not None:
                    progress.update(len(batch))
                batch = []
        if batch:
            self.import_batch(batch)
            if progress is not None:
                progress.update(len(batch))
        return self.summary

    def import_batch(self, batch) -> None:
        candidates = self.prepare(batch)
        changed = []
        for candidate in candidates:
            if candidate.existing is not None and not self.differs(candidate):
                self.summary.unchanged += 1
            else:
                changed.append(candidate)
        if self.dry_run:
            self.count_written(changed)
            return
        with transaction.atomic():
            written = self.write(changed)
            self.after_write(written)
        self.count_written(written)

    def count_written(self, candidates) -> None:
        for candidate in candidates:
            if candidate.existing is None:
                self.summary.created += 1
            else:
                self.summary.updated += 1

    def given(self, row: dict) -> dict:
        """Return {field: value} for the row's non-empty cells; empty cells keep the value."""
        values = {}
        for column, name in self.columns.items():
            if column in row and cell_text(row[column]) != "":
                value = row[column]
                values[name] = value.strip() if isinstance(value, str) else value
        return values

    def build(self, number, key, existing, values, fixed) -> Candidate | None:
        instance = copy.copy(existing) if existing is not None else self.model()
        for name, value in {**values, **fixed}.items():
            setattr(instance, name, value)
        try:
            instance.full_clean(
                exclude=self.resolved, validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            self.summary.reject(number, key, validation_text(error))
            return None
        return Candidate(number, key, instance, existing)

    def differs(self, candidate: Candidate) -> bool:
        fields = list(self.columns.values()) + [f"{name}_id" for name in self.resolved]
        return any(
            getattr(candidate.instance, name) != getattr(candidate.existing, name)
            for name in fields
        ) or (
            candidate.images is not None
            and candidate.images != product_image_names(candidate.existing)
        )

    def write(self, candidates) -> list[Candidate]:
        try:
            with transaction.atomic():
                self.bulk_write(candidates)
            return candidates
        except IntegrityError:
            pass
        # Name the rows the database refused, with the models' own messages.
        exclude = [*self.resolved, "id"]
        valid = []
        for candidate in candidates:
            try:
                candidate.instance.validate_unique(exclude=exclude)
                candidate.instance.validate_constraints(exclude=self.resolved)
            except ValidationError as error:
                self.summary.reject(candidate.number, candidate.key, validation_text(error))
            else:
                valid.append(candidate)
        try:
            with transaction.atomic():
                self.bulk_write(valid)
            return valid
        except IntegrityError:
            pass
        # Two rows of the same batch clash with each other: write them one at a time.
        written = []
        for candidate in valid:
            try:
                with transaction.atomic():
                    self.bulk_write([candidate])
                written.append(candidate)
            except IntegrityError as error:
                self.summary.reject(candidate.number, candidate.key, f"Refused: {error}")
        return written

    def bulk_write(self, candidates) -> None:
        new = [c.instance for c in candidates if c.existing is None]
        old = [c.instance for c in candidates if c.existing is not None]
        if new:
            self.model.objects.bulk_create(new, batch_size=1000)
        if old:
            self.model.objects.bulk_update(old, self.update_fields(), batch_size=1000)

    def update_fields(self) -> list[str]:
        return list(self.columns.values()) + self.resolved

    def after_write(self, candidates) -> None:
        pass


class OfferFeed(FeedImporter):
    """Offers keyed by product UPC and retailer name (or slug)."""

    columns = {
        "url": "url",
        "price": "price",
        "currency": "currency",
        "availability": "availability",
    }
    resolved = ["product", "retailer"]

    def update_fields(self) -> list[str]:
        # The natural key itself never changes on an update.
        return list(self.columns.values())

    def __init__(self, **kwargs):
        from .models import Offer, Retailer

        super().__init__(**kwargs)
        self.model = Offer
        self.retailers = NameOrSlugIndex(Retailer)

    def prepare(self, batch) -> list[Candidate]:
        from .models import Offer, Product

        upcs = {cell_text(row.get("upc")) for _, row in batch}
        products = dict(Product.objects.filter(upc__in=upcs).values_list("upc", "id"))
        existing = {
            (offer.product_id, offer.retailer_id): offer
            for offer in Offer.objects.filter(product_id__in=products.values())
        }
        candidates = []
        for number, row in batch:
            upc, retailer_name = cell_text(row.get("upc")), cell_text(row.get("retailer"))
            key = f"{upc} at {retailer_name}"
            if upc not in products:
                self.summary.reject(number, key, f"No product has UPC/GTIN “{upc}”.")
                continue
            try:
                retailer = self.retailers.get(retailer_name)
            except ValueError as error:
                self.summary.reject(number, key, str(error))
                continue
            pair = (products[upc], retailer.pk)
            if pair in self.seen_keys:
                self.summary.reject(number, key, "An earlier row has the same UPC and retailer.")
                continue
            self.seen_keys.add(pair)
            fixed = {"product_id": pair[0], "retailer_id": pair[1]}
            candidate = self.build(number, key, existing.get(pair), self.given(row), fixed)
            if candidate is not None:
                candidates.append(candidate)
        return candidates


class ProductFeed(FeedImporter):
    """Products keyed by UPC; type and style by name or slug; images by path or URL."""

    columns = {
        "brand": "brand",
        "name": "name",
        "slug": "slug",
        "description": "description",
    }
    resolved = ["product_type", "style"]

    def __init__(self, **kwargs):
        from .models import Product, ProductStyle, ProductType

        super().__init__(**kwargs)
        self.model = Product
        self.types = NameOrSlugIndex(ProductType)
        self.styles = NameOrSlugIndex(ProductStyle)

    def prepare(self, batch) -> list[Candidate]:
        from .models import Product

        upcs = {cell_text(row.get("upc")) for _, row in batch}
        existing = {
            product.upc: product
            for product in Product.objects.filter(upc__in=upcs).prefetch_related("images")
        }
        candidates = []
        for number, row in batch:
            upc = cell_text(row.get("upc"))
            if upc in self.seen_keys:
                self.summary.reject(number, upc, "An earlier row has the same UPC.")
                continue
            self.seen_keys.add(upc)
            fixed = {"upc": upc}
            try:
                if cell_text(row.get("type")):
                    fixed["product_type_id"] = self.types.get(row["type"]).pk
                if cell_text(row.get("style")):
                    fixed["style_id"] = self.styles.get(row["style"]).pk
            except ValueError as error:
                self.summary.reject(number, upc, str(error))
                continue
            values = self.given(row)
            current = existing.get(upc)
            if current is None and not values.get("slug"):
                values["slug"] = default_slug(values.get("brand"), values.get("name"))
            images = None
            if "images" in row:
                try:
                    images = resolve_images(row["images"], store=not self.dry_run)
                except ValidationError as error:
                    self.summary.reject(number, upc, validation_text(error))
                    continue
            candidate = self.build(number, upc, current, values, fixed)
            if candidate is not None:
                candidate.images = images
                candidates.append(candidate)
        return candidates

    def build(self, number, key, existing, values, fixed):
        # full_clean() validates the UPC (check digit) but not the type and style rows,
        # which must still be present on a new product.
        if existing is None and not {"product_type_id", "style_id"} <= set(fixed):
            self.summary.reject(number, key, "A new product needs a type and a style.")
            return None
        return super().build(number, key, existing, values, fixed)

    def after_write(self, candidates) -> None:
        from .models import Product

        with_images = {c.key: c.images for c in candidates if c.images is not None}
        if not with_images:
            return
        for product in Product.objects.filter(upc__in=with_images).prefetch_related("images"):
            if product_image_names(product) != with_images[product.upc]:
                replace_product_images(product, with_images[product.upc])


FEEDS = {"offers": OfferFeed, "products": ProductFeed}


def count_rows(path: Path, fmt: str) -> int | None:
    """Return the number of data rows for the progress bar, cheaply, or None."""
    if fmt in {"csv", "jsonl"}:
        lines = 0
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                lines += chunk.count(b"\n")
        return max(lines - 1, 0) if fmt == "csv" else lines
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            return max((workbook.active.max_row or 1) - 1, 0)
        finally:
            workbook.close()
    return None
