"""Find and delete the synthetic catalog again, without touching what curators made."""

from time import monotonic

from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils import timezone

from catalog.models import (
    Artist,
    Product,
    Retailer,
    Video,
)

from .shape import SYNTHETIC_PREFIX, SyntheticCatalogError, TableReport


def synthetic_roots() -> dict[type[models.Model], models.QuerySet]:
    """Return the synthetic rows every other synthetic row hangs off, in delete order."""
    return {
        model: model._base_manager.filter(slug__startswith=SYNTHETIC_PREFIX)
        for model in (Video, Product, Retailer, Artist)
    }


def synthetic_root_counts() -> dict[str, int]:
    return {
        model._meta.verbose_name_plural: queryset.count()
        for model, queryset in synthetic_roots().items()
    }


def delete_synthetic_catalog() -> list[TableReport]:
    """Delete every synthetic row, and what the catalog's on_delete rules say goes with it."""
    reports: dict[str, TableReport] = {}
    with transaction.atomic():
        for model, queryset in synthetic_roots().items():
            _delete_rows(model, queryset, reports)
    return [report for report in reports.values() if report.rows]


def _delete_rows(model, queryset, reports: dict[str, TableReport]) -> None:
    """Delete `queryset` in SQL, applying on_delete to the rows that point at it first.

    `QuerySet.delete()` would load every row into Python to run its cascades: minutes and
    gigabytes for a million offers. This walks the same rules (CASCADE, SET_NULL, PROTECT)
    but as one statement per table, with the rows to delete as a subquery.
    """
    for field in model._meta.local_many_to_many:
        lookup = {f"{field.m2m_field_name()}__in": queryset}
        _raw_delete(field.remote_field.through, lookup, reports)
    for relation in model._meta.related_objects:
        related_model = relation.related_model
        if relation.many_to_many:
            lookup = {f"{relation.field.m2m_reverse_field_name()}__in": queryset}
            _raw_delete(relation.through, lookup, reports)
            continue
        name = relation.field.name
        related = related_model._base_manager.filter(**{f"{name}__in": queryset})
        if relation.on_delete is models.CASCADE:
            _delete_rows(related_model, related, reports)
        elif relation.on_delete is models.SET_NULL:
            changes = {name: None}
            if any(field.name == "updated_at" for field in related_model._meta.fields):
                changes["updated_at"] = timezone.now()
            related.update(**changes)
        elif relation.on_delete is not models.DO_NOTHING and related.exists():
            raise SyntheticCatalogError(
                f"Some {related_model._meta.verbose_name_plural} that are not synthetic "
                f"use synthetic {model._meta.verbose_name_plural}; change or delete them "
                "first."
            )
    started = monotonic()
    _record(reports, model, queryset._raw_delete(queryset.db), started)


def _raw_delete(model, lookup, reports) -> None:
    started = monotonic()
    rows = model._base_manager.filter(**lookup)._raw_delete(DEFAULT_DB_ALIAS)
    _record(reports, model, rows, started)


def _record(reports, model, rows, started) -> None:
    label = str(model._meta.verbose_name_plural)
    report = reports.setdefault(label, TableReport(label, 0, 0.0))
    report.rows += rows
    report.seconds += monotonic() - started
