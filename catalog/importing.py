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
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.text import slugify

import tablib

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
    is_new: bool
    images: list[str] | None = None


class RowValidator:
    """Run a model's field validators and clean() on one row, as full_clean() does, fast.

    A million-row feed cannot afford full_clean()'s cost per row, so this keeps its rules
    and trims its overhead: values of fields with choices (currency, availability) are
    checked once per distinct value, and of two URL validators on one field the stricter
    one (http and https only) is run alone, since what it accepts the other accepts too.
    """

    def __init__(self, model, exclude):
        self.model = model
        self.fields = [
            f for f in model._meta.concrete_fields if f.name not in exclude and not f.primary_key
        ]
        self.validators = {
            f.attname: without_implied_url_validators(f.validators) for f in self.fields
        }
        self.memo = {}

    def clean(self, instance, names=None) -> dict:
        """Clean the named fields (all when None) in place; return {field: [messages]}."""
        errors = {}
        for f in self.fields:
            if names is not None and f.name not in names:
                continue
            raw = getattr(instance, f.attname)
            if f.blank and raw in f.empty_values:
                continue
            plain = raw is None or isinstance(raw, str | int | float)
            key = (f.attname, raw) if plain and (f.choices or raw is None) else None
            outcome = self.memo.get(key) if key else None
            if outcome is None:
                outcome = self._clean_field(f, raw, instance)
                if key:
                    self.memo[key] = outcome
            ok, value = outcome
            if ok:
                setattr(instance, f.attname, value)
            else:
                errors[f.name] = value
        if not errors:
            try:
                instance.clean()
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    errors = error.message_dict
                else:
                    errors = {"row": error.messages}
        return errors

    def _clean_field(self, f, raw, instance):
        try:
            value = f.to_python(raw)
            f.validate(value, instance)
        except ValidationError as error:
            return False, error.messages
        messages = []
        if value not in f.empty_values:
            for validator in self.validators[f.attname]:
                try:
                    validator(value)
                except ValidationError as error:
                    messages.extend(error.messages)
        return (False, messages) if messages else (True, value)


def without_implied_url_validators(validators) -> list:
    """Drop URL validators that a stricter one (fewer schemes, same pattern) implies."""
    from django.core.validators import URLValidator

    urls = [v for v in validators if type(v) is URLValidator]

    def implied(index, v):
        for other_index, other in enumerate(urls):
            if other is v or other.regex != v.regex:
                continue
            narrower, same = set(other.schemes) < set(v.schemes), other.schemes == v.schemes
            if narrower or (same and other_index < index):
                return True
        return False

    dropped = {id(v) for index, v in enumerate(urls) if implied(index, v)}
    return [v for v in validators if id(v) not in dropped]


def messages_text(errors: dict) -> str:
    return " ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())


def import_in_batches(importer, rows, *, batch_size: int, progress=None) -> FeedSummary:
    """Hand `rows` to `importer.import_batch()` `batch_size` at a time; return its summary."""
    batch = []
    for numbered_row in rows:
        batch.append(numbered_row)
        if len(batch) >= batch_size:
            importer.import_batch(batch)
            if progress is not None:
                progress.update(len(batch))
            batch = []
    if batch:
        importer.import_batch(batch)
        if progress is not None:
            progress.update(len(batch))
    return importer.summary


class FeedImporter:
    """Import one model's rows in batches: look keys up per batch, validate each row with
    the model's field validators and clean(), then write the batch in bulk.

    A row whose values equal what is stored is unchanged and needs no validation: the
    stored values passed it. Each batch is one transaction. The database's own
    constraints (unique slugs, non-negative prices) are checked by the bulk write; when it
    fails, the batch's rows are checked one by one so that only the offending rows are
    rejected.
    """

    model = None
    # Model fields a row may set, by column name.
    columns: dict[str, str] = {}
    # Fields resolved by the importer itself, left out of validation.
    resolved: list[str] = []

    def __init__(self, *, dry_run: bool = False):
        self.dry_run = dry_run
        self.summary = FeedSummary()
        self.seen_keys = set()
        self.validator = RowValidator(
            self.model, exclude=[*self.resolved, "created_at", "updated_at"]
        )

    def import_rows(self, rows, *, batch_size: int, progress=None) -> FeedSummary:
        return import_in_batches(self, rows, batch_size=batch_size, progress=progress)

    def import_batch(self, batch) -> None:
        changed = self.prepare(batch)
        if not self.dry_run and changed:
            with transaction.atomic():
                changed = self.write(changed)
                self.after_write(changed)
        for candidate in changed:
            if candidate.is_new:
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
        """Return the row to write, None when it is unchanged or rejected."""
        if existing is not None:
            values = {
                name: value
                for name, value in values.items()
                if not same_value(self.model._meta.get_field(name), value, getattr(existing, name))
            }
            if not values:
                self.summary.unchanged += 1
                return None
            instance = copy.copy(existing)
        else:
            instance = self.model()
        for name, value in {**values, **fixed}.items():
            setattr(instance, name, value)
        errors = self.validator.clean(instance, names=None if existing is None else set(values))
        if errors:
            self.summary.reject(number, key, messages_text(errors))
            return None
        return Candidate(number, key, instance, is_new=existing is None)

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
        new = [c.instance for c in candidates if c.is_new]
        old = [c.instance for c in candidates if not c.is_new]
        if new:
            self.model.objects.bulk_create(new, batch_size=1000)
        if old:
            self.model.objects.bulk_update(old, list(self.columns.values()), batch_size=1000)

    def after_write(self, candidates) -> None:
        pass


def same_value(model_field, raw, stored) -> bool:
    """Tell whether a cell holds what is stored, without validating it."""
    if isinstance(stored, Decimal):
        try:
            return Decimal(str(raw).strip()) == stored
        except InvalidOperation:
            return False
    return cell_text(raw) == ("" if stored is None else str(stored))


class OfferFeed(FeedImporter):
    """Offers keyed by product UPC and retailer name (or slug)."""

    columns = {
        "url": "url",
        "price": "price",
        "currency": "currency",
        "availability": "availability",
    }
    resolved = ["product", "retailer"]

    def __init__(self, **kwargs):
        from .models import Offer, Retailer

        self.model = Offer
        super().__init__(**kwargs)
        self.retailers = NameOrSlugIndex(Retailer)

    def prepare(self, batch) -> list[Candidate]:
        from .models import Offer, Product

        upcs = {cell_text(row.get("upc")) for _, row in batch}
        products = dict(Product.objects.filter(upc__in=upcs).values_list("upc", "id"))
        existing = {
            (offer.product_id, offer.retailer_id): offer
            # Whole rows: an update is written as an upsert, which inserts every column.
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

    def bulk_write(self, candidates) -> None:
        # One INSERT … ON DUPLICATE KEY UPDATE (ON CONFLICT on SQLite) per thousand rows:
        # bulk_update()'s CASE per row is far slower. Safe for offers because their only
        # unique keys are the id and the (product, retailer) pair the row was matched on.
        from django.db import connection

        objs = [c.instance for c in candidates]
        for obj in objs:
            obj.pk = None
        target = (
            {"unique_fields": ["product", "retailer"]}
            if connection.features.supports_update_conflicts_with_target
            else {}
        )
        self.model.objects.bulk_create(
            objs,
            batch_size=1000,
            update_conflicts=True,
            update_fields=[*self.columns.values(), "updated_at"],
            **target,
        )


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

        self.model = Product
        super().__init__(**kwargs)
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
            current = existing.get(upc)
            values = self.given(row)
            try:
                if cell_text(row.get("type")):
                    values["product_type_id"] = self.types.get(row["type"]).pk
                if cell_text(row.get("style")):
                    values["style_id"] = self.styles.get(row["style"]).pk
            except ValueError as error:
                self.summary.reject(number, upc, str(error))
                continue
            if current is None:
                if not {"product_type_id", "style_id"} <= set(values):
                    self.summary.reject(number, upc, "A new product needs a type and a style.")
                    continue
                if not values.get("slug"):
                    values["slug"] = default_slug(values.get("brand"), values.get("name"))
            images = None
            if "images" in row:
                try:
                    images = resolve_images(row["images"], store=not self.dry_run)
                except ValidationError as error:
                    self.summary.reject(number, upc, validation_text(error))
                    continue
            images_changed = images is not None and (
                current is None or images != product_image_names(current)
            )
            unchanged_before = self.summary.unchanged
            candidate = self.build(number, upc, current, values, {"upc": upc})
            if candidate is None and images_changed and self.summary.unchanged > unchanged_before:
                # Only the images differ: the product row stays, the images are replaced.
                self.summary.unchanged -= 1
                candidate = Candidate(number, upc, current, is_new=False)
            if candidate is not None:
                candidate.images = images
                candidates.append(candidate)
        return candidates

    def bulk_write(self, candidates) -> None:
        new = [c.instance for c in candidates if c.is_new]
        old = [c.instance for c in candidates if not c.is_new]
        if new:
            self.model.objects.bulk_create(new, batch_size=1000)
        if old:
            fields = [*self.columns.values(), "product_type", "style"]
            self.model.objects.bulk_update(old, fields, batch_size=1000)

    def after_write(self, candidates) -> None:
        from .models import Product

        with_images = {c.key: c.images for c in candidates if c.images is not None}
        if not with_images:
            return
        for product in Product.objects.filter(upc__in=with_images).prefetch_related("images"):
            if product_image_names(product) != with_images[product.upc]:
                replace_product_images(product, with_images[product.upc])


FEEDS = {"offers": OfferFeed, "products": ProductFeed}


class ResourceFeed:
    """Import a feed of one of the smaller catalogs (retailers, artists, videos, scenes)
    through the admin's own import resource, a batch at a time.

    These catalogs hold thousands of rows, not millions, so they take the admin's row
    rules as they are (nested sources and appearances included) instead of a bulk path
    of their own. Valid rows of a batch are written together, invalid ones rejected with
    their reasons; a row that fails in the database makes the batch go again row by row,
    so that only that row is lost.
    """

    def __init__(self, resource_class, *, dry_run: bool = False):
        self.resource_class = resource_class
        self.dry_run = dry_run
        self.summary = FeedSummary()

    def import_rows(self, rows, *, batch_size: int, progress=None) -> FeedSummary:
        return import_in_batches(self, rows, batch_size=batch_size, progress=progress)

    def import_batch(self, batch) -> None:
        result = self._import(batch)
        if result.has_errors() and len(batch) > 1:
            for numbered_row in batch:
                self._count([numbered_row], self._import([numbered_row]))
            return
        self._count(batch, result)

    def _import(self, batch):
        headers = list(dict.fromkeys(column for _, row in batch for column in row))
        dataset = tablib.Dataset(headers=headers)
        for _, row in batch:
            dataset.append([row.get(column, "") for column in headers])
        return self.resource_class().import_data(
            dataset, dry_run=self.dry_run, raise_errors=False, use_transactions=True
        )

    def _count(self, batch, result) -> None:
        resource = self.resource_class()
        key_columns = [
            resource.fields[name].column_name for name in resource.get_import_id_fields()
        ]
        for (number, row), row_result in zip(batch, result.rows, strict=True):
            key = " ".join(cell_text(row.get(column)) for column in key_columns)
            if row_result.is_new():
                self.summary.created += 1
            elif row_result.is_update():
                self.summary.updated += 1
            elif row_result.is_skip():
                self.summary.unchanged += 1
            elif row_result.is_invalid():
                self.summary.reject(number, key, validation_text(row_result.validation_error))
            else:
                errors = " ".join(str(error.error) for error in row_result.errors)
                self.summary.reject(number, key, errors or "The row could not be written.")


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
