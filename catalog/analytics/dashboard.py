"""The curators' click-through dashboard in the admin: clicks per day as an SVG chart,
the top videos, scenes, products, retailers and artists, filters and CSV exports, all read
from the roll-ups of `catalog.analytics.rollup`."""

import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..ingest.resources import escape_formula
from ..models import (
    Artist,
    ClickDaily,
    ClickDailyTotal,
    Product,
    Retailer,
    Scene,
    Video,
)
from .rollup import Subject, pending_click_range, refresh_click_rollup

# Ids a dashboard view folds at most (about 0.3 s on MariaDB): a longer backlog is the
# job of `manage.py rollup_clicks`, so that no page view waits for it.
VIEW_FOLD_LIMIT = 20_000
DEFAULT_DAYS = 30
MAX_DAYS = 731
TOP_LIMIT = 10


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

# For each table: the subject ranked, how to load and label its rows.
RANKINGS = {
    "videos": (Subject.VIDEO, lambda: Video.objects.all(), lambda video: video.title),
    "scenes": (
        Subject.SCENE,
        lambda: Scene.objects.select_related("video"),
        lambda scene: f"{scene.video.title} · {scene}",
    ),
    # A CSV ranks every product: load only what the label needs.
    "products": (Subject.PRODUCT, lambda: Product.objects.only("brand", "name"), str),
    "retailers": (Subject.RETAILER, lambda: Retailer.objects.all(), str),
    "artists": (Subject.ARTIST, lambda: Artist.objects.all(), str),
}


def _admin_url(model_name: str, pk) -> str:
    try:
        return reverse(f"admin:catalog_{model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def ranking(figures, slug: str, limit: int | None = TOP_LIMIT, *, links=True) -> Table:
    """Return one ranking table in two queries: the GROUP BY, then the names of its rows.

    `links=False` leaves out the admin URLs: a CSV of every product ranked has no use for
    thirty thousand reverse() calls.
    """
    subject, objects, label = RANKINGS[slug]
    # One more than asked, in case the clicks with no video (or artist) rank.
    ranked = figures.top(subject, None if limit is None else limit + 1)
    ranked = [(pk, clicks) for pk, clicks in ranked if pk is not None][:limit]
    named = objects().in_bulk([pk for pk, _ in ranked])
    table_rows = [
        (
            label(named[pk]) if pk in named else f"Deleted ({subject.value} #{pk})",
            _admin_url(subject.value, pk) if links and pk in named else "",
            clicks,
        )
        for pk, clicks in ranked
    ]
    return Table(slug, *TABLES[slug], rows=table_rows)


def top_tables(figures, limit: int | None = TOP_LIMIT) -> list[Table]:
    return [ranking(figures, slug, limit) for slug in TABLES]


def daily_series(figures, start: date, end: date) -> list[tuple[date, int]]:
    """Return (day, clicks) for every day of the period, days without clicks as 0."""
    counts = dict(figures.per_day())
    days = (end - start).days + 1
    return [(day, counts.get(day, 0)) for day in (start + timedelta(n) for n in range(days))]


class Figures:
    """The roll-up rows that answer one period and filter, ranked or day by day."""

    def __init__(self, *, start, end, artist=None, retailer=None):
        self.start, self.end = start, end
        self.filtered = artist is not None or retailer is not None
        if self.filtered:
            rows = ClickDaily.objects.in_period(start, end)
            if artist is not None:
                rows = rows.for_artist(artist)
            if retailer is not None:
                rows = rows.for_retailer(retailer)
            self.rows = rows

    def top(self, subject, limit=None):
        if self.filtered:
            return self.rows.top(subject, limit)
        return ClickDailyTotal.objects.covering(self.start, self.end).top(subject, limit)

    def per_day(self):
        if self.filtered:
            return self.rows.per_day()
        return ClickDailyTotal.objects.per_day(self.start, self.end)


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


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([escape_formula(str(value)) for value in row])
    return response


# The view


def click_dashboard(request, model_admin):
    """Show (or export as CSV with ?export=<table>) the clicks of a period."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    rolled_up_to, ready = pending_click_range()
    backlog = None
    if ready is not None:
        refresh_click_rollup(limit=VIEW_FOLD_LIMIT)
        backlog = ready - min(ready, rolled_up_to + VIEW_FOLD_LIMIT)
    form = DashboardFilterForm(request.GET or None, initial=form_defaults())
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Click-throughs",
        "opts": model_admin.model._meta,
        "form": form,
        # More than a page view folds: the figures leave out the newest clicks until
        # `manage.py rollup_clicks` (or the next views) catch up.
        "backlog": backlog,
    }
    if request.GET and not form.is_valid():
        return TemplateResponse(request, "admin/catalog/click/dashboard.html", context, status=400)
    data = form.cleaned_data if request.GET else form_defaults()
    figures = Figures(
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
                for day, clicks in daily_series(figures, data["start"], data["end"])
            ),
        )
    if export in TABLES:
        table = ranking(figures, export, limit=None, links=False)
        return csv_response(
            f"top-{export}-{period}.csv",
            [TABLES[export][1].lower(), "clicks"],
            ((label, clicks) for label, _, clicks in table.rows),
        )
    if export:
        context["export_error"] = "There is no such table to export."
        return TemplateResponse(request, "admin/catalog/click/dashboard.html", context, status=400)

    series = daily_series(figures, data["start"], data["end"])
    query = request.GET.copy()
    query.pop("export", None)
    context.update(
        start=data["start"],
        end=data["end"],
        series=series,
        total=sum(clicks for _, clicks in series),
        chart=bar_chart(series),
        tables=top_tables(figures),
        query_string=query.urlencode(),
        presets=period_presets(query),
    )
    return TemplateResponse(request, "admin/catalog/click/dashboard.html", context)


PRESET_DAYS = (7, 30, 90)


def period_presets(query) -> list[tuple[str, str]]:
    """Return (label, query string) for the last 7, 30 and 90 days, keeping the filters."""
    today = timezone.localdate()
    presets = []
    for days in PRESET_DAYS:
        preset = query.copy()
        preset["start"] = (today - timedelta(days=days - 1)).isoformat()
        preset["end"] = today.isoformat()
        presets.append((f"Last {days} days", preset.urlencode()))
    return presets


def form_defaults() -> dict:
    end = timezone.localdate()
    return {
        "start": end - timedelta(days=DEFAULT_DAYS - 1),
        "end": end,
        "artist": None,
        "retailer": None,
    }
