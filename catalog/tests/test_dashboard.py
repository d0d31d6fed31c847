import csv
import io
from datetime import date, datetime, time, timedelta

from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from catalog.analytics.rollup import refresh_click_rollup
from catalog.models import (
    Click,
    ClickDaily,
    ClickDailyTotal,
    ClickRollupState,
    Product,
    Video,
    calendar_cover,
)
from catalog.tests.factories import (
    ArtistFactory,
    ClickFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:catalog_click_dashboard"


def at(days_ago: int, hour: int = 12):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def clicks(count, *, offer, video=None, scene=None, days_ago):
    made = ClickFactory.create_batch(count, offer=offer, video=video, scene=scene)
    Click.objects.filter(pk__in=[c.pk for c in made]).update(created_at=at(days_ago))
    return made


@pytest.fixture
def catalog():
    """The hand-counted clicks every test below checks against (see the comments)."""
    alpha, beta = RetailerFactory(name="Alpha Shop"), RetailerFactory(name="Beta Store")
    ada, bea = ArtistFactory(name="Ada"), ArtistFactory(name="Bea")
    v1 = VideoFactory(title="First Light", artists=[ada])
    v2 = VideoFactory(title="Second Wind", artists=[bea])
    v3 = VideoFactory(title="Third Time", artists=[ada, bea])
    s1 = SceneFactory(video=v1, title="Opening")
    s2 = SceneFactory(video=v2, title="Chorus")
    p1, p2, p3 = (
        ProductFactory(brand="Acme", name="Coat"),
        ProductFactory(brand="Acme", name="Boots"),
        ProductFactory(brand="Acme", name="Hat"),
    )
    o11 = OfferFactory(product=p1, retailer=alpha)
    o21 = OfferFactory(product=p2, retailer=alpha)
    o22 = OfferFactory(product=p2, retailer=beta)
    o32 = OfferFactory(product=p3, retailer=beta)

    clicks(3, offer=o11, video=v1, scene=s1, days_ago=1)  # Coat at Alpha, First Light
    clicks(2, offer=o22, video=v2, scene=s2, days_ago=1)  # Boots at Beta, Second Wind
    clicks(4, offer=o21, video=v3, days_ago=3)  # Boots at Alpha, Third Time (Ada & Bea)
    clicks(1, offer=o32, days_ago=3)  # Hat at Beta, from no video
    clicks(5, offer=o11, video=v1, scene=s1, days_ago=40)  # outside the last 30 days
    return {
        "alpha": alpha,
        "beta": beta,
        "ada": ada,
        "bea": bea,
        "v1": v1,
        "v2": v2,
        "v3": v3,
        "s1": s1,
        "s2": s2,
        "p1": p1,
        "p2": p2,
        "p3": p3,
    }


def table(response, slug):
    (found,) = [t for t in response.context["tables"] if t.slug == slug]
    return [(label, clicks) for label, _, clicks in found.rows]


def test_the_last_30_days_are_counted_by_hand(curator_client, catalog):
    response = curator_client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    assert response.context["total"] == 10
    series = dict(response.context["series"])
    assert len(series) == 30
    assert series[timezone.localdate() - timedelta(days=1)] == 5
    assert series[timezone.localdate() - timedelta(days=3)] == 5
    assert sum(series.values()) == 10
    assert table(response, "videos") == [("Third Time", 4), ("First Light", 3), ("Second Wind", 2)]
    scenes = table(response, "scenes")
    assert [clicks for _, clicks in scenes] == [3, 2]
    assert scenes[0][0].startswith("First Light · Opening")
    assert table(response, "products") == [("Acme Boots", 6), ("Acme Coat", 3), ("Acme Hat", 1)]
    assert table(response, "retailers") == [("Alpha Shop", 7), ("Beta Store", 3)]
    # A video with two artists counts for each of them.
    assert table(response, "artists") == [("Ada", 7), ("Bea", 6)]
    # The filter form shows the period it defaulted to.
    html = response.content.decode()
    assert f'value="{(timezone.localdate() - timedelta(days=29)).isoformat()}"' in html
    assert f'value="{timezone.localdate().isoformat()}"' in html


def test_filters_by_artist_retailer_and_period(curator_client, catalog):
    url = reverse(DASHBOARD)
    by_bea = curator_client.get(url, {"artist": catalog["bea"].pk})
    assert by_bea.context["total"] == 6
    assert table(by_bea, "products") == [("Acme Boots", 6)]
    assert table(by_bea, "retailers") == [("Alpha Shop", 4), ("Beta Store", 2)]
    assert table(by_bea, "videos") == [("Third Time", 4), ("Second Wind", 2)]

    at_beta = curator_client.get(url, {"retailer": catalog["beta"].pk})
    assert at_beta.context["total"] == 3
    assert table(at_beta, "products") == [("Acme Boots", 2), ("Acme Hat", 1)]
    assert table(at_beta, "videos") == [("Second Wind", 2)]

    older = curator_client.get(
        url,
        {
            "start": (timezone.localdate() - timedelta(days=45)).isoformat(),
            "end": (timezone.localdate() - timedelta(days=30)).isoformat(),
        },
    )
    assert older.context["total"] == 5
    assert len(older.context["series"]) == 16
    assert table(older, "scenes")[0][1] == 5

    both = curator_client.get(url, {"artist": catalog["ada"].pk, "retailer": catalog["alpha"].pk})
    assert both.context["total"] == 7
    assert table(both, "products") == [("Acme Boots", 4), ("Acme Coat", 3)]


def test_the_chart_is_an_svg_bar_per_day(curator_client, catalog):
    response = curator_client.get(reverse(DASHBOARD))
    html = response.content.decode()
    assert html.count('<svg class="click-chart"') == 1
    assert html.count('class="click-bar"') == 30
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert f'data-day="{yesterday}" data-clicks="5"' in html
    tallest = max(response.context["chart"]["bars"], key=lambda bar: bar["height"])
    assert tallest["clicks"] == 5


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_every_table_exports_as_csv(curator_client, catalog):
    url = reverse(DASHBOARD)
    products = read_csv(curator_client.get(url, {"export": "products"}))
    assert products == [
        ["product", "clicks"],
        ["Acme Boots", "6"],
        ["Acme Coat", "3"],
        ["Acme Hat", "1"],
    ]
    retailers = read_csv(
        curator_client.get(url, {"export": "retailers", "artist": catalog["bea"].pk})
    )
    assert retailers == [["retailer", "clicks"], ["Alpha Shop", "4"], ["Beta Store", "2"]]
    assert read_csv(curator_client.get(url, {"export": "artists"}))[1:] == [
        ["Ada", "7"],
        ["Bea", "6"],
    ]
    assert read_csv(curator_client.get(url, {"export": "videos"}))[1] == ["Third Time", "4"]
    assert len(read_csv(curator_client.get(url, {"export": "scenes"}))) == 3
    daily = read_csv(curator_client.get(url, {"export": "daily"}))
    assert daily[0] == ["day", "clicks"]
    assert len(daily) == 31
    assert [(timezone.localdate() - timedelta(days=1)).isoformat(), "5"] in daily


def test_csv_cells_cannot_smuggle_formulas(curator_client):
    offer = OfferFactory(product=ProductFactory(brand="=HYPERLINK(1)", name="x"))
    clicks(1, offer=offer, days_ago=1)
    rows = read_csv(curator_client.get(reverse(DASHBOARD), {"export": "products"}))
    assert rows[1] == ["'=HYPERLINK(1) x", "1"]


def test_the_query_count_does_not_grow_with_the_data(curator_client, catalog):
    url = reverse(DASHBOARD)
    curator_client.get(url)  # rolls the fixture's clicks up
    with CaptureQueriesContext(connection) as few:
        curator_client.get(url)

    more_retailers = [RetailerFactory() for _ in range(5)]
    for n, retailer in enumerate(more_retailers):
        video = VideoFactory(artists=[ArtistFactory()])
        clicks(n + 1, offer=OfferFactory(retailer=retailer), video=video, days_ago=n + 2)
    curator_client.get(url)
    with CaptureQueriesContext(connection) as many:
        response = curator_client.get(url)
    assert len(table(response, "retailers")) == 7
    assert len(many) == len(few)
    # The session, the user and its two permission sets; the roll-up's watermark
    # and new-click probe; the days; each of five tables' ranking and names; the two
    # filter menus.
    assert len(few) == 19


def test_the_roll_up_is_incremental_and_counts_each_click_once(catalog):
    later = timezone.now() + timedelta(minutes=1)
    assert refresh_click_rollup(now=later) == 15
    assert refresh_click_rollup(now=later) == 0
    offer = OfferFactory()
    clicks(2, offer=offer, video=catalog["v1"], days_ago=1)
    assert refresh_click_rollup(now=later) == 2
    assert list(ClickDaily.objects.in_period(at(1).date(), at(1).date()).per_day()) == [
        (at(1).date(), 7)
    ]
    day_totals = ClickDailyTotal.objects.filter(grain="day", subject="retailer")
    assert sum(day_totals.values_list("clicks", flat=True)) == Click.objects.count()
    assert sum(ClickDaily.objects.values_list("clicks", flat=True)) == Click.objects.count()


def test_clicks_still_being_written_wait_for_the_next_refresh(catalog):
    refresh_click_rollup(now=timezone.now() + timedelta(minutes=1))
    ClickFactory(offer=OfferFactory())
    assert refresh_click_rollup() == 0
    assert refresh_click_rollup(now=timezone.now() + timedelta(minutes=1)) == 1


def test_deleted_products_keep_their_clicks_as_deleted(curator_client, catalog):
    refresh_click_rollup(now=timezone.now() + timedelta(minutes=1))
    product = catalog["p3"]
    pk = product.pk
    product.delete()
    response = curator_client.get(reverse(DASHBOARD))
    assert (f"Deleted (product #{pk})", 1) in table(response, "products")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-10", "end": "2026-02-01"}, "The period must start before it ends."),
        ({"start": "not a date"}, "Enter a valid date."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose a period of at most 731 days."),
        ({"artist": "999999"}, "Select a valid choice."),
        ({"retailer": "x"}, "Select a valid choice."),
        ({"export": "passwords"}, "There is no such table to export."),
    ],
)
def test_bad_filters_are_a_400_with_the_reason(curator_client, params, message):
    response = curator_client.get(reverse(DASHBOARD), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_only_people_allowed_to_view_clicks_see_the_dashboard(client):
    url = reverse(DASHBOARD)
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(UserFactory(staff=True))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(curator=True))
    assert client.get(url).status_code == 200


def test_the_click_list_and_the_index_link_to_the_dashboard(curator_client):
    url = reverse(DASHBOARD)
    assert (
        f'href="{url}"'
        in curator_client.get(reverse("admin:catalog_click_changelist")).content.decode()
    )
    assert f'href="{url}"' in curator_client.get(reverse("admin:index")).content.decode()


# Each product's and video's own clicks of the last 30 days


def test_product_and_video_pages_show_their_clicks_of_the_last_30_days(curator_client, catalog):
    product_page = curator_client.get(
        reverse("admin:catalog_product_change", args=[catalog["p1"].pk])
    )
    assert product_page.status_code == 200
    video_page = curator_client.get(reverse("admin:catalog_video_change", args=[catalog["v1"].pk]))
    assert video_page.status_code == 200
    for page in (product_page, video_page):
        html = page.content.decode()
        assert "clicks in the last 30 days" in html.lower()


def test_the_30_day_click_counts_take_one_query_each(catalog, django_assert_num_queries):
    product_admin = admin.site.get_model_admin(Product)
    video_admin = admin.site.get_model_admin(Video)
    with django_assert_num_queries(1):
        assert product_admin.clicks_last_30_days(catalog["p1"]) == 3
    with django_assert_num_queries(1):
        assert product_admin.clicks_last_30_days(catalog["p2"]) == 6
    with django_assert_num_queries(1):
        assert video_admin.clicks_last_30_days(catalog["v3"]) == 4
    with django_assert_num_queries(1):
        assert video_admin.clicks_last_30_days(catalog["v1"]) == 3


def test_a_long_backlog_is_folded_in_slices_with_the_same_totals(catalog, monkeypatch):
    monkeypatch.setattr("catalog.analytics.rollup.ROLLUP_CHUNK", 4)
    assert refresh_click_rollup(now=timezone.now() + timedelta(minutes=1)) == 15
    by_day = dict(ClickDaily.objects.per_day())
    assert by_day == {at(1).date(): 5, at(3).date(): 5, at(40).date(): 5}
    every_day = ClickDailyTotal.objects.per_day(at(40).date(), at(1).date())
    assert dict(every_day) == by_day


# The totals behind the unfiltered dashboard: days, ISO weeks and months


@pytest.mark.parametrize(
    ("start", "end", "months", "weeks", "days"),
    [
        # Whole September to November; 1-9 December has no whole week (7 Dec is a Monday).
        (
            "2026-08-30",
            "2026-12-09",
            ["2026-09-01", "2026-10-01", "2026-11-01"],
            [],
            ["2026-08-30", "2026-08-31", *(f"2026-12-0{n}" for n in range(1, 10))],
        ),
        # The default 30 days on 1 December: Monday 2 November starts four whole weeks.
        (
            "2026-11-02",
            "2026-12-01",
            [],
            ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"],
            ["2026-11-30", "2026-12-01"],
        ),
        # Weeks on both edges of the whole months.
        (
            "2026-08-24",
            "2026-11-20",
            ["2026-09-01", "2026-10-01"],
            ["2026-08-24", "2026-11-02", "2026-11-09"],
            ["2026-08-31", "2026-11-01", *(f"2026-11-{n}" for n in range(16, 21))],
        ),
        ("2026-02-01", "2026-02-28", ["2026-02-01"], [], []),
        ("2026-12-03", "2026-12-03", [], [], ["2026-12-03"]),
        ("2026-12-03", "2026-12-02", [], [], []),
    ],
)
def test_a_period_is_covered_by_whole_months_then_weeks_then_days(start, end, months, weeks, days):
    iso = date.fromisoformat
    cover = calendar_cover(iso(start), iso(end))
    assert cover == {
        "month": [iso(d) for d in months],
        "week": [iso(d) for d in weeks],
        "day": [iso(d) for d in days],
    }


def test_every_day_of_a_period_is_covered_exactly_once():
    start = date(2025, 12, 17)
    for length in range(0, 400, 7):
        end = start + timedelta(days=length)
        covered = []
        for grain, starts in calendar_cover(start, end).items():
            size = {"day": lambda d: 1, "week": lambda d: 7, "month": month_length}[grain]
            covered += [s + timedelta(days=n) for s in starts for n in range(size(s))]
        expected = [start + timedelta(days=n) for n in range(length + 1)]
        assert sorted(covered) == expected


def month_length(first):
    return ((first + timedelta(days=32)).replace(day=1) - first).days


def test_week_and_month_totals_add_up_to_their_days(catalog):
    refresh_click_rollup(now=timezone.now() + timedelta(minutes=1))
    rows = list(
        ClickDailyTotal.objects.values_list(
            "subject", "grain", "period_start", "subject_id", "clicks"
        )
    )
    for subject in ("video", "scene", "product", "retailer", "artist"):
        days = [(day, pk, n) for s, g, day, pk, n in rows if s == subject and g == "day"]
        for grain, period_of in [
            ("week", lambda day: day - timedelta(days=day.weekday())),
            ("month", lambda day: day.replace(day=1)),
        ]:
            expected = {}
            for day, pk, n in days:
                expected[period_of(day), pk] = expected.get((period_of(day), pk), 0) + n
            found = {(day, pk): n for s, g, day, pk, n in rows if s == subject and g == grain}
            assert found == expected, (subject, grain)
    # Each click counts once per subject, under "none" (0) when it has no video or scene.
    day_rows = [(s, pk, n) for s, g, _, pk, n in rows if g == "day"]
    assert sum(n for s, _, n in day_rows if s == "scene") == 15
    assert sum(n for s, pk, n in day_rows if s == "scene" and pk == 0) == 5
    # Third Time has two artists: its 4 clicks count for each.
    assert sum(n for s, _, n in day_rows if s == "artist") == 19


def test_a_period_over_whole_months_counts_what_the_filtered_path_counts(curator_client, catalog):
    url = reverse(DASHBOARD)
    period = {
        "start": (timezone.localdate() - timedelta(days=120)).isoformat(),
        "end": timezone.localdate().isoformat(),
    }
    everything = curator_client.get(url, period)
    assert everything.context["total"] == 15
    assert table(everything, "products") == [("Acme Coat", 8), ("Acme Boots", 6), ("Acme Hat", 1)]
    assert table(everything, "scenes")[0][1] == 8
    assert table(everything, "artists") == [("Ada", 12), ("Bea", 6)]
    # The same period through ClickDaily, one retailer at a time, adds up to the same.
    for retailer, expected in [
        ("alpha", [("Acme Coat", 8), ("Acme Boots", 4)]),
        ("beta", [("Acme Boots", 2), ("Acme Hat", 1)]),
    ]:
        response = curator_client.get(url, {**period, "retailer": catalog[retailer].pk})
        assert table(response, "products") == expected


def test_clicks_on_a_day_fold_into_its_rows_again_and_again(catalog):
    later = timezone.now() + timedelta(minutes=1)
    refresh_click_rollup(now=later)
    coat = catalog["p1"]
    yesterday = at(1).date()
    for _ in range(3):
        clicks(1, offer=coat.offers.get(), video=catalog["v1"], scene=catalog["s1"], days_ago=1)
        refresh_click_rollup(now=later)
    row = ClickDailyTotal.objects.get(
        subject="product", grain="day", period_start=yesterday, subject_id=coat.pk
    )
    assert row.clicks == 6
    assert ClickDaily.objects.filter(day=yesterday, product=coat).get().clicks == 6


# A backlog longer than a page view folds


def test_a_page_view_folds_one_chunk_and_says_how_many_clicks_wait(
    curator_client, catalog, monkeypatch
):
    monkeypatch.setattr("catalog.analytics.dashboard.VIEW_FOLD_LIMIT", 4)
    first_id = Click.objects.order_by("id").first().id
    ClickRollupState.objects.update_or_create(pk=1, defaults={"last_click_id": first_id - 1})
    Click.objects.update(created_at=F("created_at") - timedelta(minutes=1))
    response = curator_client.get(reverse(DASHBOARD))
    assert response.context["backlog"] == 11
    assert "11 recent clicks wait for the roll-up" in response.content.decode()
    assert ClickRollupState.objects.get().last_click_id == first_id + 3


def test_rollup_clicks_folds_the_whole_backlog_and_says_so(catalog):
    out = io.StringIO()
    call_command("rollup_clicks", stdout=out, verbosity=0)
    assert "Rolled up 15 clicks." in out.getvalue()
    assert sum(ClickDaily.objects.values_list("clicks", flat=True)) == 15
    out = io.StringIO()
    call_command("rollup_clicks", stdout=out, verbosity=0)
    assert "up to date" in out.getvalue()


def test_period_presets_keep_the_filters(curator_client, catalog):
    response = curator_client.get(reverse(DASHBOARD), {"retailer": catalog["alpha"].pk})
    today = timezone.localdate()
    presets = dict(response.context["presets"])
    assert list(presets) == ["Last 7 days", "Last 30 days", "Last 90 days"]
    week = presets["Last 7 days"]
    assert f"start={(today - timedelta(days=6)).isoformat()}" in week
    assert f"retailer={catalog['alpha'].pk}" in week
    last_week = curator_client.get(f"{reverse(DASHBOARD)}?{week}")
    assert len(last_week.context["series"]) == 7
    assert last_week.context["total"] == 7  # Alpha's clicks 1 and 3 days ago
