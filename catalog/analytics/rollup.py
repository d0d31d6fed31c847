"""Daily roll-ups of clicks, so that analytics never GROUP BY the raw clicks.

Raw clicks grow by the million; GROUP BY over them for every dashboard view would take
seconds. `refresh_click_rollup()` folds new clicks into two roll-ups, and the dashboard
only ever reads those:

- ClickDailyTotal: per day, one row per clicked video, scene, product, retailer and
  artist. The unfiltered dashboard (the default view) reads it.
- ClickDaily: per day, one row per (video, scene, product, retailer) combination. The
  artist and retailer filters read it, narrowed first by their index.
"""

from collections import Counter, defaultdict
from datetime import timedelta
from itertools import batched

from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import (
    ROLLUP_NONE,
    Appearance,
    Click,
    ClickDaily,
    ClickDailyTotal,
    ClickRollupState,
    Video,
    VideoProduct,
)

# Clicks younger than this are left for the next refresh: a click whose INSERT has not
# committed yet may hold a lower id than one that has, and the watermark must not pass it.
ROLLUP_SETTLE = timedelta(seconds=5)
# Ids folded per transaction.
ROLLUP_CHUNK = 100_000

COMBINATION = ("day", "video_id", "scene_id", "product_id", "retailer_id")
TOTAL_KEY = ("subject", "grain", "period_start", "subject_id")
Subject = ClickDailyTotal.Subject
Grain = ClickDailyTotal.Grain


def pending_click_range(*, now=None) -> tuple[int, int | None]:
    """Return (last id rolled up, last id ready to roll up, or None when up to date)."""
    now = now or timezone.now()
    state, _ = ClickRollupState.objects.get_or_create(pk=1)
    ready = Click.objects.filter(
        id__gt=state.last_click_id, created_at__lte=now - ROLLUP_SETTLE
    ).aggregate(last=Max("id"))["last"]
    return state.last_click_id, ready


def refresh_click_rollup(*, now=None, limit=None, on_chunk=None) -> int:
    """Fold clicks recorded since the last refresh into the roll-ups; return how many.

    `limit` caps the ids read (a page view passes one chunk); `on_chunk(ids, clicks)` is
    told of each committed chunk, for a progress bar.
    """
    start, end = pending_click_range(now=now)
    if end is not None and limit is not None:
        end = min(end, start + limit)
    folded = 0
    # A long backlog (the first run on a million clicks) goes in slices of ids, so that
    # memory stays flat and each transaction stays short.
    while end is not None and start < end:
        stop = min(start + ROLLUP_CHUNK, end)
        with transaction.atomic():
            # Claim the id range first. A refresh running at the same time read the same
            # watermark; its claim waits for this transaction's row lock, then updates no
            # row and it backs off, so no click is counted twice.
            claimed = ClickRollupState.objects.filter(pk=1, last_click_id=start).update(
                last_click_id=stop
            )
            if not claimed:
                break
            combinations = Counter()
            for *key, clicks in (
                Click.objects.filter(id__gt=start, id__lte=stop)
                .annotate(day=TruncDate("created_at"))
                .values_list(*COMBINATION)
                .annotate(clicks=Count("id"))
                .order_by()
            ):
                combinations[key[0], *(pk or ROLLUP_NONE for pk in key[1:])] += clicks
            _add_clicks(ClickDaily, COMBINATION, combinations)
            _add_clicks(ClickDailyTotal, TOTAL_KEY, totals(combinations))
        chunk_clicks = sum(combinations.values())
        folded += chunk_clicks
        if on_chunk is not None:
            on_chunk(stop - start, chunk_clicks)
        start = stop
    return folded


def artists_of_products(product_ids) -> dict[int, set[int]]:
    """Return {product id: ids of the artists of the videos it is shown with or seen in}."""
    shown = VideoProduct.objects.filter(
        product__in=product_ids, video__artists__isnull=False
    ).values_list("product_id", "video__artists")
    seen = Appearance.objects.filter(
        product__in=product_ids, scene__video__artists__isnull=False
    ).values_list("product_id", "scene__video__artists")
    artists = defaultdict(set)
    for product_id, artist_id in [*shown, *seen]:
        artists[product_id].add(artist_id)
    return artists


def totals(combinations: dict) -> Counter:
    """Sum per-combination counts into {(subject, grain, period start, id): clicks}.

    A click made on a video page is credited to that video's artists; one made elsewhere
    (a product page, browse, search) to the artists of the videos its product is in.
    """
    video_ids = {video_id for _, video_id, *_ in combinations if video_id != ROLLUP_NONE}
    credits = defaultdict(list)
    for video_id, artist_id in Video.artists.through.objects.filter(
        video_id__in=video_ids
    ).values_list("video_id", "artist_id"):
        credits[video_id].append(artist_id)
    off_video = {
        product_id
        for _, video_id, _, product_id, _ in combinations
        if video_id == ROLLUP_NONE and product_id != ROLLUP_NONE
    }
    product_artists = artists_of_products(off_video) if off_video else {}
    by_day = Counter()
    for (day, video_id, scene_id, product_id, retailer_id), clicks in combinations.items():
        by_day[Subject.VIDEO, day, video_id] += clicks
        by_day[Subject.SCENE, day, scene_id] += clicks
        by_day[Subject.PRODUCT, day, product_id] += clicks
        by_day[Subject.RETAILER, day, retailer_id] += clicks
        if video_id != ROLLUP_NONE:
            artists = credits.get(video_id)
        else:
            artists = product_artists.get(product_id)
        for artist_id in artists or [ROLLUP_NONE]:
            by_day[Subject.ARTIST, day, artist_id] += clicks
    summed = Counter()
    for (subject, day, subject_id), clicks in by_day.items():
        summed[subject, Grain.DAY, day, subject_id] += clicks
        summed[subject, Grain.WEEK, day - timedelta(days=day.weekday()), subject_id] += clicks
        summed[subject, Grain.MONTH, day.replace(day=1), subject_id] += clicks
    return summed


def _add_clicks(model, key_columns: tuple, counted: Counter) -> None:
    """Add {key: clicks} to a roll-up's rows, creating the missing ones, in one statement
    per thousand rows.

    Written in SQL because bulk_create(update_conflicts=True) can only overwrite a
    column, not add to it; both spellings are the standard upsert of their database, on
    the roll-up's primary key.
    """
    if not counted:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join([*key_columns, "clicks", "created_at", "updated_at"])
    if connection.vendor == "mysql":
        upsert = (
            "ON DUPLICATE KEY UPDATE clicks = clicks + VALUES(clicks), "
            "updated_at = VALUES(updated_at)"
        )
    else:  # SQLite and PostgreSQL
        upsert = (
            f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET "
            f"clicks = {table}.clicks + excluded.clicks, updated_at = excluded.updated_at"
        )
    placeholders = "(" + ", ".join(["%s"] * (len(key_columns) + 3)) + ")"
    now = timezone.now()
    with connection.cursor() as cursor:
        for batch in batched(counted.items(), 1000):
            values = ", ".join([placeholders] * len(batch))
            params = [param for key, clicks in batch for param in (*key, clicks, now, now)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {values} {upsert}",  # noqa: S608 (no user input: the table name and placeholders)
                params,
            )
