"""Feeds too large for the admin: batched natural-key lookups, fast row validation and
bulk writes for offers and products; the smaller catalogs through the admin's resources."""

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

import tablib

from ..caching import bump_catalog_version
from ..models import Offer, Product, ProductStyle, ProductType, Retailer
from .cells import NameOrSlugIndex, cell_text, default_slug
from .images import product_image_names, replace_product_images, resolve_images

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
                if changed:
                    # The bulk writes skip save() and the receivers that do this.
                    bump_catalog_version()
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
        self.model = Offer
        super().__init__(**kwargs)
        self.retailers = NameOrSlugIndex(Retailer)

    def prepare(self, batch) -> list[Candidate]:
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

    def after_write(self, candidates) -> None:
        # The upsert skips save(), so the from prices are refreshed here, in the batch's
        # transaction.
        product_ids = {c.instance.product_id for c in candidates}
        Product.objects.filter(pk__in=product_ids).refresh_prices()


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
        self.model = Product
        super().__init__(**kwargs)
        self.types = NameOrSlugIndex(ProductType)
        self.styles = NameOrSlugIndex(ProductStyle)

    def prepare(self, batch) -> list[Candidate]:
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
        # The bulk writes send no signals: the written products' search texts follow here.
        Product.objects.filter(upc__in=[c.key for c in candidates]).refresh_search()
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
