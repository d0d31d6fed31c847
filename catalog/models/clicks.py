"""Shoppers' click-throughs to retailers and the roll-ups the dashboard reads."""

from datetime import timedelta

from django.db import models
from django.db.models import Count, Q, Sum

from .alerts import ProductAlert
from .base import URL_MAX_LENGTH, TimeStampedModel, TimeStampedQuerySet
from .offers import Offer, Retailer
from .products import Product
from .videos import Scene, Video


class ClickQuerySet(TimeStampedQuerySet):
    def with_counts_by(self, field):
        """Return click counts grouped by `field`, most clicked first."""
        return self.values(field).annotate(clicks=Count("id")).order_by("-clicks")


class Click(TimeStampedModel):
    """One "Buy at <retailer>" click. Keeps no raw IP: the visitor id is a salted hash."""

    class Channel(models.TextChoices):
        SITE = "site", "The site"
        ALERT = "alert", "An alert mail"
        EMBED = "embed", "An embedded player"

    offer = models.ForeignKey(Offer, on_delete=models.SET_NULL, null=True, related_name="clicks")
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, related_name="clicks"
    )
    retailer = models.ForeignKey(
        Retailer, on_delete=models.SET_NULL, null=True, related_name="clicks"
    )
    video = models.ForeignKey(
        Video, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks"
    )
    scene = models.ForeignKey(
        Scene, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks"
    )
    channel = models.CharField(
        max_length=5, choices=Channel, default=Channel.SITE, db_default=Channel.SITE
    )
    alert = models.ForeignKey(
        ProductAlert, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks"
    )
    embed_host = models.CharField(
        max_length=253, blank=True, default="", db_default="", help_text="The embedding site."
    )
    visitor_hash = models.CharField(max_length=64, blank=True)
    target_url = models.URLField(max_length=URL_MAX_LENGTH)

    objects = ClickQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="catalog_click_created"),
            models.Index(fields=["product", "created_at"], name="catalog_click_product"),
            models.Index(fields=["video", "created_at"], name="catalog_click_video"),
            models.Index(fields=["retailer", "created_at"], name="catalog_click_retailer"),
        ]

    def __str__(self):
        return f"Click on {self.offer_id} at {self.created_at:%Y-%m-%d %H:%M}"


# Click analytics: a daily roll-up the dashboard reads instead of a million raw clicks


# A roll-up key's "no video / scene / product / retailer / artist": 0, as no row has that
# id, rather than NULL, which a primary key cannot hold.
ROLLUP_NONE = 0


class ClickDailyQuerySet(TimeStampedQuerySet):
    def in_period(self, start, end):
        """Return the roll-up rows of the days from `start` to `end`, both included."""
        return self.filter(day__gte=start, day__lte=end)

    def for_artist(self, artist):
        """Return the rows of clicks on videos of `artist`."""
        return self.filter(video__artists=artist)

    def for_retailer(self, retailer):
        return self.filter(retailer=retailer)

    def per_day(self):
        """Return (day, clicks) rows in day order."""
        return (
            self.values("day")
            .annotate(clicks=Sum("clicks"))
            .order_by("day")
            .values_list("day", "clicks")
        )

    def top(self, subject, limit=None):
        """Return (id, clicks) of the `limit` most clicked of a ClickDailyTotal.Subject."""
        subject = ClickDailyTotal.Subject(subject)
        if subject is ClickDailyTotal.Subject.ARTIST:
            field, rows = "video__artists", self.filter(video__artists__isnull=False)
        else:
            field, rows = subject.value, self.exclude(**{f"{subject.value}_id": ROLLUP_NONE})
        ranked = rows.values(field).annotate(clicks=Sum("clicks")).order_by("-clicks", field)
        return ranked.values_list(field, "clicks")[:limit]


def _rollup_relation(model):
    """A roll-up's reference to `model`: no database constraint, so that deleting a product
    never rewrites history (its rows then show as "deleted"), and ROLLUP_NONE (0) where the
    click had none, so that the column can be part of the key."""
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class ClickDaily(TimeStampedModel):
    """Clicks of one day for one video, scene, product and retailer combination.

    Filled incrementally from Click by catalog.analytics.rollup.refresh_click_rollup(), with
    additive upserts on the key. The artist and retailer filters of the dashboard read it.
    """

    pk = models.CompositePrimaryKey("day", "retailer_id", "video_id", "scene_id", "product_id")
    day = models.DateField()
    retailer = _rollup_relation(Retailer)
    video = _rollup_relation(Video)
    scene = _rollup_relation(Scene)
    product = _rollup_relation(Product)
    clicks = models.PositiveIntegerField(default=0)

    objects = ClickDailyQuerySet.as_manager()

    class Meta:
        verbose_name = "daily clicks"
        verbose_name_plural = "daily clicks"
        ordering = ["-day", "-clicks"]
        # A filter narrows by retailer or by the artist's few videos first; InnoDB adds the
        # key's columns to each index, so with clicks both cover their questions.
        indexes = [
            models.Index(
                fields=["retailer", "day", "clicks"], name="catalog_clickdaily_by_retailer"
            ),
            models.Index(fields=["video", "day", "clicks"], name="catalog_clickdaily_by_video"),
        ]

    def __str__(self):
        return f"{self.clicks} clicks on {self.day}"


class ClickDailyTotalQuerySet(TimeStampedQuerySet):
    def covering(self, start, end):
        """Return the rows that add up to the days from `start` to `end`, both included.

        Whole months are read as month rows, whole weeks left over as week rows, and only
        the days at the edges as day rows: a 90-day ranking reads about a third of the
        rows it would read day by day.
        """
        covered = Q()
        for grain, starts in calendar_cover(start, end).items():
            if starts:
                covered |= Q(grain=grain, period_start__in=starts)
        return self.filter(covered) if covered else self.none()

    def per_day(self, start, end):
        """Return (day, clicks) rows in day order: every click counts under its retailer."""
        return (
            self.filter(
                subject=ClickDailyTotal.Subject.RETAILER,
                grain=ClickDailyTotal.Grain.DAY,
                period_start__gte=start,
                period_start__lte=end,
            )
            .values("period_start")
            .annotate(clicks=Sum("clicks"))
            .order_by("period_start")
            .values_list("period_start", "clicks")
        )

    def top(self, subject, limit=None):
        """Return (id, clicks) of the `limit` most clicked of `subject`, none excluded."""
        return (
            self.filter(subject=subject)
            .exclude(subject_id=ROLLUP_NONE)
            .values("subject_id")
            .annotate(clicks=Sum("clicks"))
            .order_by("-clicks", "subject_id")
            .values_list("subject_id", "clicks")[:limit]
        )


def calendar_cover(start, end) -> dict:
    """Split the days from `start` to `end` into whole months, whole ISO weeks and days.

    Returns {grain: [first day of each period]}.
    """
    Grain = ClickDailyTotal.Grain
    cover = {Grain.MONTH: [], Grain.WEEK: [], Grain.DAY: []}
    if start > end:
        return cover
    first_month = start if start.day == 1 else _next_month(start)
    month, edges = first_month, []
    while _next_month(month) - timedelta(days=1) <= end:
        cover[Grain.MONTH].append(month)
        month = _next_month(month)
    if cover[Grain.MONTH]:
        edges = [(start, first_month - timedelta(days=1)), (month, end)]
    else:
        edges = [(start, end)]
    for low, high in edges:
        day = low
        while day <= high:
            if day.weekday() == 0 and day + timedelta(days=6) <= high:
                cover[Grain.WEEK].append(day)
                day += timedelta(days=7)
            else:
                cover[Grain.DAY].append(day)
                day += timedelta(days=1)
    return cover


def _next_month(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


class ClickDailyTotal(TimeStampedModel):
    """Clicks of one day, week or month for one video, scene, product, retailer or artist.

    The unfiltered dashboard reads these rows, where ClickDaily would give it one row per
    (video, scene, product, retailer) combination: a month of one product is one row.
    ClickDaily keeps the combinations for the artist and retailer filters. A click on a
    video credited to two artists counts for each, by the credits of the moment it was
    rolled up (the artist filter reads today's credits); subject_id ROLLUP_NONE gathers the
    clicks with none (no video, a deleted retailer), so that the retailer rows of a day
    add up to all of its clicks. The key is the primary key: InnoDB then stores the rows
    of a ranking side by side, clicks included.
    """

    class Subject(models.TextChoices):
        VIDEO = "video", "video"
        SCENE = "scene", "scene"
        PRODUCT = "product", "product"
        RETAILER = "retailer", "retailer"
        ARTIST = "artist", "artist"

    class Grain(models.TextChoices):
        DAY = "day", "day"
        WEEK = "week", "ISO week"
        MONTH = "month", "month"

    pk = models.CompositePrimaryKey("subject", "grain", "period_start", "subject_id")
    subject = models.CharField(max_length=8, choices=Subject)
    grain = models.CharField(max_length=5, choices=Grain)
    period_start = models.DateField(help_text="The day, the Monday of the week or the 1st.")
    subject_id = models.PositiveBigIntegerField()
    clicks = models.PositiveIntegerField(default=0)

    objects = ClickDailyTotalQuerySet.as_manager()

    class Meta:
        verbose_name = "click total"
        ordering = ["-period_start", "-clicks"]

    def __str__(self):
        return (
            f"{self.clicks} clicks on {self.subject} #{self.subject_id} "
            f"in the {self.grain} of {self.period_start}"
        )


class ClickRollupState(TimeStampedModel):
    """How far the daily roll-up has read the Click table (one row)."""

    last_click_id = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"Clicks rolled up to #{self.last_click_id}"
