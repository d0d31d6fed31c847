"""django-import-export resources: how catalog rows look in CSV, XLSX and JSON files.

Every resource matches rows on the model's natural key (a UPC, a slug, a product and a
retailer, a video and a start time), skips rows that would change nothing and reports
them, and runs the models' own validation on each row. Related rows are named, never
numbered: a product's type by its name or slug, an offer's product by UPC and its
retailer by name. Rows a file describes together with their parent (a product's images,
a video's sources, a scene's appearances) are written in one cell and replace what the
parent had.
"""

import json
import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.dateparse import parse_duration

from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader

from ..models import (
    Appearance,
    Artist,
    CastMember,
    Offer,
    Product,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    VideoSource,
)
from .cells import NameOrSlugIndex, cell_text, default_slug, join_list, split_list
from .images import (
    clean_storage_path,
    product_image_names,
    replace_product_images,
    resolve_images,
)

# Widgets: related rows by what curators call them


class NameOrSlugWidget(widgets.ForeignKeyWidget):
    """A foreign key to a small reference table, written as its name, read by name or slug."""

    def __init__(self, model, **kwargs):
        super().__init__(model, field="name", **kwargs)
        self.index = NameOrSlugIndex(model)

    def clean(self, value, row=None, **kwargs):
        if not cell_text(value):
            return None
        return self.index.get(value)


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as one unique field (a UPC, a slug), looked up in bulk.

    `prime()` loads every key of the file in one query before the rows are read, so
    a preview of a thousand offers does not run a thousand product queries.
    """

    def __init__(self, model, field, **kwargs):
        super().__init__(model, field=field, **kwargs)
        self.cache = {}

    def prime(self, values):
        keys = {cell_text(value) for value in values} - {""} - set(self.cache)
        if keys:
            for obj in self.model.objects.filter(**{f"{self.field}__in": keys}):
                self.cache[getattr(obj, self.field)] = obj

    def clean(self, value, row=None, **kwargs):
        key = cell_text(value)
        if not key:
            return None
        if key not in self.cache:
            self.cache[key] = self.model.objects.filter(**{self.field: key}).first()
        if self.cache[key] is None:
            verbose_field = self.model._meta.get_field(self.field).verbose_name
            raise ValueError(f"No {self.model._meta.verbose_name} has {verbose_field} “{key}”.")
        return self.cache[key]


class NamesOrSlugsWidget(widgets.ManyToManyWidget):
    """A many-to-many written as "name | name", read by name or slug (case-insensitive)."""

    def __init__(self, model, **kwargs):
        super().__init__(model, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        items = split_list(value)
        if not items:
            return self.model.objects.none()
        condition = Q()
        for item in items:
            condition |= Q(name__iexact=item) | Q(slug__iexact=item)
        found = {}
        for obj in self.model.objects.filter(condition):
            found.setdefault(obj.slug.casefold(), obj)
            found.setdefault(obj.name.casefold(), obj)
        missing = [item for item in items if item.casefold() not in found]
        if missing:
            noun = self.model._meta.verbose_name
            raise ValueError(f"No {noun} is named {', '.join(f'“{m}”' for m in missing)}.")
        wanted = {found[item.casefold()].pk for item in items}
        return self.model.objects.filter(pk__in=wanted)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return join_list(related.name for related in value.all())


class TimecodeWidget(widgets.DurationWidget):
    """Durations as H:MM:SS(.ffffff), the way Django and the admin write them."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, timedelta):
            return value
        text = cell_text(value)
        if not text:
            return None
        duration = parse_duration(text)
        if duration is None:
            raise ValueError(f"“{text}” is not a time; write it as H:MM:SS or M:SS.")
        return duration


class NaturalKeyInstanceLoader(ModelInstanceLoader):
    """Find the existing row for a file's natural key; a key naming nothing is a new row.

    The row's own validation then reports the unknown product or retailer, as a row
    error the preview shows, rather than as a crash of the whole import.
    """

    def get_instance(self, row):
        try:
            return super().get_instance(row)
        except ValueError:
            return None


# Spreadsheet formulas

# A text cell that starts like a formula is run by Excel and LibreOffice when the file is
# opened ("CSV injection"). Such a cell is written with a leading apostrophe, which makes
# it text, and an import takes the apostrophe off again, so an export imports back
# unchanged. Cells that already start with apostrophes before such a character get one
# more, which keeps the two directions exact inverses. A resource does not know the file
# format, so JSON exports carry the apostrophe as well, and lose it on import the same way.
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
ESCAPED_FORMULA_START = re.compile(r"'+[=+\-@\t\r]")


def escape_formula(value):
    """Return a cell that a spreadsheet shows as text rather than runs as a formula."""
    if isinstance(value, str) and FORMULA_START.match(value):
        return f"'{value}"
    return value


def unescape_formula(value):
    """Return the cell that `escape_formula()` was given."""
    if isinstance(value, str) and ESCAPED_FORMULA_START.match(value):
        return value[1:]
    return value


# The shared behaviour


class CatalogResource(resources.ModelResource):
    """Natural keys, skipped unchanged rows, model validation and child rows in one cell.

    A subclass names its child-row columns in `nested`; for each it defines
    `parse_<name>(value, instance, store)` (the cell to comparable Python values),
    `current_<name>(instance)` (the same shape, from the database),
    `write_<name>(instance, value)` and `render_<name>(value)`.
    """

    nested: tuple[str, ...] = ()
    # Fields whose values make the slug of a new row that leaves it empty.
    slug_from: tuple[str, ...] = ()

    def before_import(self, dataset, **kwargs):
        if self.slug_from and dataset.headers and "slug" not in dataset.headers:
            dataset.append_col([""] * len(dataset), header="slug")
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, NaturalKeyWidget) and field.column_name in dataset.headers:
                widget.prime(unescape_formula(value) for value in dataset[field.column_name])

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = unescape_formula(value)

        # The slug is the natural key: derive it before the row is matched, so that a
        # file that leaves it empty still finds the row it created last time.
        if self.slug_from and not cell_text(row.get("slug")):
            row["slug"] = default_slug(
                *(cell_text(row.get(self.fields[name].column_name)) for name in self.slug_from)
            )

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance.pending_children = {}
        store = not kwargs.get("dry_run", False)
        for name in self.nested:
            column = self.fields[name].column_name
            if column not in row or name in errors:
                continue
            try:
                parse = getattr(self, f"parse_{name}")
                instance.pending_children[name] = parse(row[column], instance, store=store)
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is None or import_validation_errors:
            return False
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        return all(
            value == getattr(self, f"current_{name}")(instance)
            for name, value in instance.pending_children.items()
        )

    def after_save_instance(self, instance, row, **kwargs):
        for name, value in getattr(instance, "pending_children", {}).items():
            if value != getattr(self, f"current_{name}")(instance):
                getattr(self, f"write_{name}")(instance, value)

    def export_field(self, field, instance, **kwargs):
        value = self.export_value(field, instance, **kwargs)
        if isinstance(field.widget, widgets.NumberWidget):
            # A number the widget wrote ("-5.00" in CSV) runs nothing, and an apostrophe
            # would turn it into text that no longer adds up.
            return value
        return escape_formula(value)

    def export_value(self, field, instance, **kwargs):
        name = self.get_field_name(field)
        if name in self.nested:
            # The preview's "new" side shows what the file asks for, not what is stored.
            pending = getattr(instance, "pending_children", {})
            if name in pending:
                return getattr(self, f"render_{name}")(pending[name])
            if instance.pk is None:
                return ""
            return getattr(self, f"render_{name}")(getattr(self, f"current_{name}")(instance))
        return super().export_field(field, instance, **kwargs)


def catalog_meta(model_, id_fields, field_names):
    """Return the Meta options every catalog resource shares."""

    class Meta:
        model = model_
        fields = field_names
        export_order = field_names
        import_id_fields = id_fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        instance_loader_class = NaturalKeyInstanceLoader

    return Meta


# Reference and people


class RetailerResource(CatalogResource):
    slug_from = ("name",)

    Meta = catalog_meta(Retailer, ["slug"], ["name", "slug", "homepage_url", "link_template"])


class ArtistResource(CatalogResource):
    slug_from = ("name",)

    Meta = catalog_meta(Artist, ["slug"], ["name", "slug", "first_name", "last_name", "bio"])


# Products and offers


class ProductResource(CatalogResource):
    nested = ("images",)
    slug_from = ("brand", "name")

    product_type = fields.Field(
        attribute="product_type", column_name="type", widget=NameOrSlugWidget(ProductType)
    )
    style = fields.Field(
        attribute="style", column_name="style", widget=NameOrSlugWidget(ProductStyle)
    )
    images = fields.Field(column_name="images")

    Meta = catalog_meta(
        Product,
        ["upc"],
        ["upc", "brand", "name", "slug", "description", "product_type", "style", "images"],
    )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("product_type", "style").prefetch_related("images")

    def parse_images(self, value, instance, store):
        return resolve_images(value, store=store)

    def current_images(self, instance):
        return product_image_names(instance)

    def write_images(self, instance, names):
        replace_product_images(instance, names)

    def render_images(self, names):
        return join_list(names)


class OfferResource(CatalogResource):
    product = fields.Field(
        attribute="product", column_name="upc", widget=NaturalKeyWidget(Product, "upc")
    )
    retailer = fields.Field(
        attribute="retailer", column_name="retailer", widget=NameOrSlugWidget(Retailer)
    )

    Meta = catalog_meta(
        Offer,
        ["product", "retailer"],
        ["product", "retailer", "url", "price", "currency", "availability"],
    )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("product", "retailer")


# Videos and scenes


SOURCE_KEYS = ("provider", "external_id", "url", "file", "offset", "is_primary")


class VideoResource(CatalogResource):
    """A video with its artists (by name or slug) and its sources, as a JSON list."""

    nested = ("sources",)
    slug_from = ("title",)

    artists = fields.Field(
        attribute="artists", column_name="artists", widget=NamesOrSlugsWidget(Artist)
    )
    duration = fields.Field(attribute="duration", column_name="duration", widget=TimecodeWidget())
    sources = fields.Field(column_name="sources")

    Meta = catalog_meta(
        Video,
        ["slug"],
        [
            "title",
            "slug",
            "artists",
            "status",
            "is_featured",
            "release_date",
            "duration",
            "description",
            "sources",
        ],
    )

    def filter_export(self, queryset, **kwargs):
        return queryset.prefetch_related("artists", "sources")

    def parse_sources(self, value, instance, store):
        items = parse_json_list(value, "sources")
        sources, problems = [], []
        for number, item in enumerate(items, 1):
            unknown = set(item) - set(SOURCE_KEYS)
            if unknown:
                problems.append(f"Source {number}: unknown keys {', '.join(sorted(unknown))}.")
                continue
            offset = parse_duration(str(item.get("offset") or "0"))
            try:
                file = clean_storage_path(item["file"]) if item.get("file") else ""
            except ValidationError as error:
                problems.extend(f"Source {number}: {message}" for message in error.messages)
                continue
            source = VideoSource(
                video=instance,
                provider=item.get("provider", ""),
                external_id=item.get("external_id", ""),
                url=item.get("url", ""),
                file=file,
                offset=offset if offset is not None else item.get("offset"),
                is_primary=item.get("is_primary") is True,
            )
            try:
                source.full_clean(
                    exclude=["video"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                problems.extend(f"Source {number}: {message}" for message in error.messages)
                continue
            sources.append(source_values(source))
        if sum(1 for source in sources if source[-1]) > 1:
            problems.append(
                constraint_message(VideoSource, "catalog_videosource_one_primary_per_video")
            )
        if len({source[:3] for source in sources}) != len(sources):
            problems.append("The same source is listed twice.")
        if problems:
            raise ValidationError(problems)
        return sorted(sources)

    def current_sources(self, instance):
        return sorted(source_values(source) for source in instance.sources.all())

    def write_sources(self, instance, wanted):
        existing = {source_values(source)[:3]: source for source in instance.sources.all()}
        keep = {values[:3] for values in wanted}
        instance.sources.filter(
            pk__in=[s.pk for k, s in existing.items() if k not in keep]
        ).delete()
        # Unmark the old primary before marking the new one: one primary at any time.
        ordered = sorted(wanted, key=lambda values: values[-1])
        for provider, external_id, url, file, offset, is_primary in ordered:
            source = existing.get((provider, external_id, url)) or VideoSource(
                video=instance, provider=provider, external_id=external_id, url=url
            )
            source.file, source.offset, source.is_primary = file, offset, is_primary
            source.save()
        instance._prefetched_objects_cache = {}

    def render_sources(self, sources):
        return json.dumps(
            [
                {
                    key: str(value) if isinstance(value, timedelta) else value
                    for key, value in zip(SOURCE_KEYS, source, strict=True)
                    if value not in ("", None)
                }
                for source in sources
            ]
        )


class SceneResource(CatalogResource):
    """A scene, keyed by its video's slug and its start, with the products seen in it."""

    nested = ("appearances",)

    video = fields.Field(
        attribute="video", column_name="video", widget=NaturalKeyWidget(Video, "slug")
    )
    start = fields.Field(attribute="start", column_name="start", widget=TimecodeWidget())
    end = fields.Field(attribute="end", column_name="end", widget=TimecodeWidget())
    appearances = fields.Field(column_name="appearances")

    Meta = catalog_meta(
        Scene, ["video", "start"], ["video", "start", "end", "title", "appearances"]
    )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("video").prefetch_related(
            "appearances__product", "appearances__cast_member"
        )

    def parse_appearances(self, value, instance, store):
        """Read `[{"upc": …, "match": …, "worn_by": …}]`, or just "upc | upc"."""
        text = cell_text(value)
        if text.startswith("["):
            items = parse_json_list(text, "appearances")
        else:
            items = [{"upc": upc} for upc in split_list(text)]
        upcs = [cell_text(item.get("upc")) for item in items]
        products = {p.upc: p for p in Product.objects.filter(upc__in=upcs)}
        names = {item.get("worn_by") for item in items} - {None, ""}
        cast = {}
        if names and instance.video_id:
            cast = {
                m.name: m for m in CastMember.objects.filter(video=instance.video, name__in=names)
            }
        appearances, problems = [], []
        for number, item in enumerate(items, 1):
            upc, worn_by = upcs[number - 1], item.get("worn_by") or ""
            if upc not in products:
                problems.append(f"Appearance {number}: no product has UPC/GTIN “{upc}”.")
                continue
            if worn_by and worn_by not in cast:
                problems.append(f"Appearance {number}: this video has no cast member “{worn_by}”.")
                continue
            appearance = Appearance(
                product=products[upc],
                cast_member=cast.get(worn_by),
                match=item.get("match") or Appearance.Match.EXACT,
            )
            try:
                appearance.full_clean(
                    exclude=["scene"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                problems.extend(f"Appearance {number}: {message}" for message in error.messages)
                continue
            appearances.append((upc, appearance.match, worn_by))
        if len({appearance[0] for appearance in appearances}) != len(appearances):
            problems.append(
                constraint_message(Appearance, "catalog_appearance_unique_scene_product")
            )
        if problems:
            raise ValidationError(problems)
        return sorted(appearances)

    def current_appearances(self, instance):
        return sorted(
            (a.product.upc, a.match, a.cast_member.name if a.cast_member else "")
            for a in instance.appearances.all()
        )

    def write_appearances(self, instance, wanted):
        existing = {a.product.upc: a for a in instance.appearances.select_related("product")}
        wanted_upcs = {upc for upc, _, _ in wanted}
        instance.appearances.exclude(product__upc__in=wanted_upcs).delete()
        products = {p.upc: p for p in Product.objects.filter(upc__in=wanted_upcs)}
        cast = {m.name: m for m in CastMember.objects.filter(video=instance.video)}
        for upc, match, worn_by in wanted:
            appearance = existing.get(upc) or Appearance(scene=instance, product=products[upc])
            appearance.match, appearance.cast_member = match, cast.get(worn_by)
            appearance.save()
        instance._prefetched_objects_cache = {}

    def render_appearances(self, appearances):
        return json.dumps(
            [
                {"upc": upc, "match": match, **({"worn_by": worn_by} if worn_by else {})}
                for upc, match, worn_by in appearances
            ]
        )


def source_values(source: VideoSource) -> tuple:
    return (
        source.provider,
        source.external_id,
        source.url,
        source.file.name if source.file else "",
        source.offset,
        source.is_primary,
    )


def parse_json_list(value, column: str) -> list[dict]:
    text = cell_text(value)
    if not text:
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(f"The {column} cell is not valid JSON: {error.msg}.") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationError(f"The {column} cell must be a JSON list of objects.")
    return items


def constraint_message(model, name: str) -> str:
    """Return a model constraint's own message, so that the text lives in one place."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    return str(constraint.violation_error_message)


# The catalogs `manage.py import_feed` imports through these resources (offers and
# products have a bulk path of their own in catalog.ingest.feeds).
FEED_RESOURCES = {
    "retailers": RetailerResource,
    "artists": ArtistResource,
    "videos": VideoResource,
    "scenes": SceneResource,
}
