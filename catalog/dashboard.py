"""The curators' click analytics: a daily roll-up of clicks and the admin dashboard over it.

Raw clicks grow by the million; GROUP BY over them for every dashboard view would take
seconds. `refresh_click_rollup()` folds new clicks into ClickDaily (one row per day and
video, scene, product and retailer) and the dashboard only ever reads ClickDaily.
"""

import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import (
    Artist,
    Click,
    ClickDaily,
    ClickRollupState,
    Product,
    Retailer,
    Scene,
    Video,
)

# Clicks younger than this are left for the next refresh: a click whose INSERT has not
# committed yet may hold a lower id than one that has, and the watermark must not pass it.
ROLLUP_SETTLE = timedelta(seconds=5)
ROLLUP_CHUNK = 200_000
DEFAULT_DAYS = 30
MAX_DAYS = 731
TOP_LIMIT = 10


# The roll-up


def refresh_click_rollup(*, now=None) -> int:
    """Fold clicks recorded since the last refresh into ClickDaily; return how many."""
    now = now or timezone.now()
    state, _ = ClickRollupState.objects.get_or_create(pk=1)
    start = state.last_click_id
    end = Click.objects.filter(id__gt=start, created_at__lte=now - ROLLUP_SETTLE).aggregate(
        last=Max("id")
    )["last"]
    folded = 0
    # A long backlog (the first run on a million clicks) goes in slices of ids, so that
    # memory stays flat and each transaction stays short.
    while end is not None and start < end:
        stop = min(start + ROLLUP_CHUNK, end)
        with transaction.atomic():
            # Claim the id range first. A refresh running at the same time read the same
            # watermark; its claim then updates no row and it backs off, so no click is
            # counted twice.
            claimed = ClickRollupState.objects.filter(pk=1, last_click_id=start).update(
                last_click_id=stop
            )
            if not claimed:
                break
            counted = list(
                Click.objects.filter(id__gt=start, id__lte=stop)
                .annotate(day=TruncDate("created_at"))
                .values("day", "video_id", "scene_id", "product_id", "retailer_id")
                .annotate(clicks=Count("id"))
                .order_by()
            )
            _merge_into_rollup(counted)
        folded += sum(row["clicks"] for row in counted)
        start = stop
    return folded


def _merge_into_rollup(counted: list[dict]) -> None:
    def key(row):
        return (
            row["day"],
            row["video_id"],
            row["scene_id"],
            row["product_id"],
            row["retailer_id"],
        )

    existing = {
        key(row): row
        for row in ClickDaily.objects.filter(day__in={row["day"] for row in counted}).values(
            "id", "day", "video_id", "scene_id", "product_id", "retailer_id", "clicks"
        )
    }
    updates, creations = [], []
    now = timezone.now()
    for row in counted:
        if (found := existing.get(key(row))) is not None:
            updates.append(ClickDaily(id=found["id"], clicks=found["clicks"] + row["clicks"]))
        else:
            creations.append(ClickDaily(**row, created_at=now, updated_at=now))
    ClickDaily.objects.bulk_update(updates, ["clicks"], batch_size=500)
    ClickDaily.objects.bulk_create(creations, batch_size=1000)


# Filters


class DashboardFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    artist = forms.ModelChoiceField(
        Artist.objects.order_by("name"), required=False, empty_label="All artists"
    )
    retailer = forms.ModelChoiceField(
        Retailer.objects.order_by("name"), required=False, empty_label="All retailers"
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError("The period must start before it ends.", code="order")
        if (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(
                f"Choose a period of at most {MAX_DAYS} days.", code="too_long"
            )
        data["start"], data["end"] = start, end
        return data


# Figures


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    heading: str
    rows: list  # (label, admin URL or "", clicks)


TABLES = {
    "videos": ("Top videos", "Video"),
    "scenes": ("Top scenes", "Scene"),
    "products": ("Top products", "Product"),
    "retailers": ("Top retailers", "Retailer"),
    "artists": ("Top artists", "Artist"),
}

# For each table: the roll-up column ranked, the model named, how to load and label it.
RANKINGS = {
    "videos": ("video", "video", lambda: Video.objects.all(), lambda video: video.title),
    "scenes": (
        "scene",
        "scene",
        lambda: Scene.objects.select_related("video"),
        lambda scene: f"{scene.video.title} · {scene}",
    ),
    "products": ("product", "product", lambda: Product.objects.all(), str),
    "retailers": ("retailer", "retailer", lambda: Retailer.objects.all(), str),
    "artists": ("video__artists", "artist", lambda: Artist.objects.all(), str),
}


def _admin_url(model_name: str, pk) -> str:
    try:
        return reverse(f"admin:catalog_{model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def ranking(rows, slug: str, limit: int | None = TOP_LIMIT) -> Table:
    """Return one ranking table in two queries: the GROUP BY, then the names of its rows."""
    field, model_name, objects, label = RANKINGS[slug]
    # One more than asked, in case the clicks of deleted or artist-less rows rank.
    ranked = rows.top_by(field, None if limit is None else limit + 1)
    ranked = [(row[field], row["clicks"]) for row in ranked if row[field] is not None][:limit]
    named = objects().in_bulk([pk for pk, _ in ranked])
    table_rows = [
        (
            label(named[pk]) if pk in named else f"Deleted ({model_name} #{pk})",
            _admin_url(model_name, pk) if pk in named else "",
            clicks,
        )
        for pk, clicks in ranked
    ]
    return Table(slug, *TABLES[slug], rows=table_rows)


def top_tables(rows, limit: int | None = TOP_LIMIT) -> list[Table]:
    return [ranking(rows, slug, limit) for slug in TABLES]


def daily_series(rows, start: date, end: date) -> list[tuple[date, int]]:
    """Return (day, clicks) for every day of the period, days without clicks as 0."""
    counts = dict(rows.per_day().values_list("day", "clicks"))
    days = (end - start).days + 1
    return [(day, counts.get(day, 0)) for day in (start + timedelta(n) for n in range(days))]


def filtered_rollup(*, start, end, artist=None, retailer=None):
    rows = ClickDaily.objects.in_period(start, end)
    if artist is not None:
        rows = rows.for_artist(artist)
    if retailer is not None:
        rows = rows.for_retailer(retailer)
    return rows


# The chart, drawn on the server as SVG

CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 760, 220, 40, 24


def bar_chart(series: list[tuple[date, int]]) -> dict:
    """Return the geometry of a bar per day for the dashboard's SVG."""
    peak = max((clicks for _, clicks in series), default=0) or 1
    plot_width = CHART_WIDTH - CHART_LEFT - 8
    plot_height = CHART_HEIGHT - CHART_BOTTOM - 8
    slot = plot_width / max(len(series), 1)
    bars = []
    for index, (day, clicks) in enumerate(series):
        height = round(plot_height * clicks / peak, 1)
        bars.append(
            {
                "x": round(CHART_LEFT + index * slot + slot * 0.1, 1),
                "y": round(8 + plot_height - height, 1),
                "width": round(max(slot * 0.8, 1), 1),
                "height": height,
                "day": day,
                "clicks": clicks,
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "top": 8,
        "peak": peak if series and any(c for _, c in series) else 0,
        "bars": bars,
        "first_day": series[0][0] if series else None,
        "last_day": series[-1][0] if series else None,
    }


# CSV

# A cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return response


# The view


def click_dashboard(request, model_admin):
    """Show (or export as CSV with ?export=<table>) the clicks of a period."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    refresh_click_rollup()
    form = DashboardFilterForm(request.GET or None, initial=form_defaults())
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Click-throughs",
        "opts": model_admin.model._meta,
        "form": form,
    }
    if request.GET and not form.is_valid():
        return TemplateResponse(request, "admin/catalog/click/dashboard.html", context, status=400)
    data = form.cleaned_data if request.GET else form_defaults()
    rows = filtered_rollup(
        start=data["start"], end=data["end"], artist=data["artist"], retailer=data["retailer"]
    )
    period = f"{data['start']:%Y-%m-%d}_{data['end']:%Y-%m-%d}"

    export = request.GET.get("export")
    if export == "daily":
        return csv_response(
            f"clicks-per-day-{period}.csv",
            ["day", "clicks"],
            (
                (day.isoformat(), clicks)
                for day, clicks in daily_series(rows, data["start"], data["end"])
            ),
        )
    if export in TABLES:
        table = ranking(rows, export, limit=None)
        return csv_response(
            f"top-{export}-{period}.csv",
            [TABLES[export][1].lower(), "clicks"],
            ((label, clicks) for label, _, clicks in table.rows),
        )
    if export:
        context["export_error"] = "There is no such table to export."
        return TemplateResponse(request, "admin/catalog/click/dashboard.html", context, status=400)

    series = daily_series(rows, data["start"], data["end"])
    query = request.GET.copy()
    query.pop("export", None)
    context.update(
        start=data["start"],
        end=data["end"],
        series=series,
        total=sum(clicks for _, clicks in series),
        chart=bar_chart(series),
        tables=top_tables(rows),
        query_string=query.urlencode(),
    )
    return TemplateResponse(request, "admin/catalog/click/dashboard.html", context)


def form_defaults() -> dict:
    end = timezone.localdate()
    return {
        "start": end - timedelta(days=DEFAULT_DAYS - 1),
        "end": end,
        "artist": None,
        "retailer": None,
    }
