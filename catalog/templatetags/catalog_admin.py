from django import template

from catalog.models import Offer, Video

REVIEW_LIST_LENGTH = 10

register = template.Library()


@register.simple_tag(takes_context=True)
def curator_tools(context):
    """Return what the admin index shows curators: offers needing attention, the dashboard,
    the videos waiting for review and those published most recently."""
    user = context["request"].user
    tools = {}
    if user.has_perm("catalog.view_offer"):
        # One indexed COUNT on failed_checks: cheap on a million offers.
        tools["attention"] = Offer.objects.needs_attention().count()
    if user.has_perm("catalog.view_click"):
        tools["dashboard"] = True
    if user.has_perm("catalog.view_video"):
        # Two small indexed reads (status, then the newest first).
        tools["needs_review"] = list(
            Video.objects.in_review().order_by("-updated_at")[:REVIEW_LIST_LENGTH]
        )
        tools["recently_published"] = list(
            Video.objects.published().order_by("-updated_at")[:REVIEW_LIST_LENGTH]
        )
    return tools


@register.simple_tag
def import_preview_rows(result):
    """Return every row of an import's dry run in file order, for one table.

    Each is a dict: number, status (new, update, skip, delete or invalid), cells (the
    diff of a valid row, the file's values of an invalid one) and errors (field name or
    "" → messages, for invalid rows).
    """
    invalid = iter(result.invalid_rows)
    rows = []
    for number, row in enumerate(result.rows, start=1):
        if row.import_type == row.IMPORT_TYPE_INVALID:
            failed = next(invalid)
            errors = list(failed.field_specific_errors.items())
            if failed.non_field_specific_errors:
                errors.append(("", failed.non_field_specific_errors))
            rows.append(
                {
                    "number": failed.number,
                    "status": "invalid",
                    "cells": failed.values,
                    "errors": errors,
                }
            )
        else:
            rows.append(
                {
                    "number": number,
                    "status": row.import_type,
                    "cells": row.diff or [],
                    "errors": [],
                }
            )
    return rows
