"""What a curator meets: scene rules, mails, long URLs, import previews, clicks, admin flow."""

from datetime import timedelta

from django.core.exceptions import ValidationError

import pytest

from catalog.models import Scene
from catalog.tests.factories import SceneFactory, VideoFactory

pytestmark = pytest.mark.django_db


# Scenes: no overlap, not past the video's end (item 11)


def scene_of(video, start, end, **kwargs):
    return Scene(video=video, start=timedelta(seconds=start), end=timedelta(seconds=end), **kwargs)


def test_a_scene_overlapping_another_is_refused():
    video = VideoFactory()
    SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=10))

    with pytest.raises(ValidationError, match="would overlap"):
        scene_of(video, 5, 15).full_clean()
    scene_of(video, 10, 15).full_clean()  # touching is fine


def test_a_scene_past_the_videos_end_is_refused():
    video = VideoFactory(duration=timedelta(seconds=12))

    with pytest.raises(ValidationError) as caught:
        scene_of(video, 6, 13).full_clean()
    assert "0:12 long" in caught.value.message_dict["end"][0]
    scene_of(video, 6, 12).full_clean()


def test_shortening_a_video_below_its_scenes_is_refused():
    video = VideoFactory(duration=timedelta(seconds=30))
    SceneFactory(video=video, start=timedelta(seconds=20), end=timedelta(seconds=30))
    video.duration = timedelta(seconds=25)

    with pytest.raises(ValidationError) as caught:
        video.full_clean()
    assert "duration" in caught.value.message_dict


def test_the_admin_refuses_an_overlapping_scene(curator_client):
    video = VideoFactory(duration=timedelta(seconds=60))
    SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=10))

    response = curator_client.post(
        "/admin/catalog/scene/add/",
        {
            "video": video.pk,
            "title": "Late",
            "start": "00:00:05",
            "end": "00:00:15",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "would overlap" in response.text
    assert Scene.objects.count() == 1


def test_the_video_admin_refuses_overlapping_scenes_in_one_save(curator_client):
    video = VideoFactory(duration=timedelta(seconds=60))
    data = video_form_data(video)
    data.update(
        {
            "scenes-TOTAL_FORMS": "2",
            "scenes-0-start": "00:00:00",
            "scenes-0-end": "00:00:10",
            "scenes-1-start": "00:00:08",
            "scenes-1-end": "00:00:20",
        }
    )

    response = curator_client.post(f"/admin/catalog/video/{video.pk}/change/", data)

    assert response.status_code == 200
    assert "would overlap" in response.text
    assert not Scene.objects.exists()


def test_the_api_refuses_a_scene_past_the_end(curator_api_client):
    video = VideoFactory(duration=timedelta(seconds=12))

    response = curator_api_client.post(
        "/api/v1/scenes/",
        {"video": video.slug, "start": "00:00:06", "end": "00:00:20"},
        format="json",
    )

    assert response.status_code == 400
    assert "long" in str(response.json())
    assert not Scene.objects.exists()


def video_form_data(video, **changes):
    data = {
        "title": video.title,
        "slug": video.slug,
        "status": video.status,
        "description": video.description,
        "duration": "00:01:00",
        "release_date": "",
    }
    for prefix in ("sources", "scenes", "video_products", "cast_members"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(changes)
    return data


# A pasted URL longer than the column (item 13)


def test_the_offer_form_does_not_cut_a_long_url_but_refuses_it(curator_client):
    from catalog.models import Offer
    from catalog.tests.factories import ProductFactory, RetailerFactory

    form = curator_client.get("/admin/catalog/offer/add/").text
    url_input = form[form.index('name="url"') - 200 : form.index('name="url"') + 200]
    assert "maxlength" not in url_input

    long_url = "https://shop.example/p?" + "x" * 3000
    response = curator_client.post(
        "/admin/catalog/offer/add/",
        {
            "product": ProductFactory().pk,
            "retailer": RetailerFactory().pk,
            "url": long_url,
            "price": "10.00",
            "currency": "USD",
            "availability": "in_stock",
        },
    )

    assert response.status_code == 200
    assert "at most 2048 characters" in response.text
    assert not Offer.objects.exists()


# The import preview of a file with a bad row (item 14)


def test_the_preview_of_a_file_with_a_bad_row_shows_every_row_and_its_errors(curator_client):
    from catalog.tests.admin_files import csv_bytes, product_row, upload
    from catalog.tests.factories import make_upc

    rows = [
        product_row(upc=make_upc(801), name="Good jacket", type="Jacket"),
        product_row(upc="12345", name="Bad UPC"),
        product_row(upc=make_upc(802), name="Good shirt", type="Shirt"),
    ]

    preview = upload(curator_client, "product", csv_bytes(rows))

    html = preview.content.decode()
    assert "Good jacket" in html and "Good shirt" in html
    assert html.count('class="import-row import-row--new"') == 2
    assert html.count('class="import-row import-row--invalid"') == 1
    # The error is in the page as text, not behind a hover badge.
    assert "<strong>upc</strong>: A UPC/GTIN has 8, 12, 13 or 14 digits." in html
    assert "validation-error-count" not in html


# Clicks: only shoppers count, and artists get their products' clicks (item 15)

BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    "agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "facebookexternalhit/1.1",
        "W3C-checklink/4.81 libwww-perl/6.05",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    ],
)
def test_bots_and_link_checkers_are_not_recorded_as_clicks(client, agent):
    from catalog.models import Click
    from catalog.tests.factories import OfferFactory, VideoProductFactory

    offer = OfferFactory()
    VideoProductFactory(product=offer.product)

    response = client.get(f"/go/{offer.pk}/", HTTP_USER_AGENT=agent)

    assert response.status_code == 302
    assert response["Location"] == offer.url
    assert not Click.objects.exists()


def test_head_and_prefetch_are_not_clicks_but_a_browser_is(client):
    from catalog.models import Click
    from catalog.tests.factories import OfferFactory, VideoProductFactory

    offer = OfferFactory()
    VideoProductFactory(product=offer.product)
    go = f"/go/{offer.pk}/"

    client.head(go, HTTP_USER_AGENT=BROWSER_AGENT)
    client.get(go, HTTP_USER_AGENT=BROWSER_AGENT, HTTP_SEC_PURPOSE="prefetch")
    assert not Click.objects.exists()

    client.get(go, HTTP_USER_AGENT=BROWSER_AGENT)
    assert Click.objects.count() == 1


def test_top_artists_credit_clicks_made_off_the_video_page(curator_client):
    from datetime import datetime

    from django.utils import timezone

    from catalog.models import Click
    from catalog.tests.factories import (
        AppearanceFactory,
        ArtistFactory,
        ClickFactory,
        OfferFactory,
        ProductFactory,
    )

    artist, other = ArtistFactory(name="Jacket Star"), ArtistFactory(name="Other")
    video = VideoFactory(artists=[artist])
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=5))
    jacket = ProductFactory(name="Jacket")
    AppearanceFactory(scene=scene, product=jacket)
    offer = OfferFactory(product=jacket)
    ClickFactory.create_batch(2, offer=offer, video=video, scene=scene)  # on the video page
    ClickFactory.create_batch(8, offer=offer)  # product page, browse, search
    ClickFactory.create_batch(1, offer=OfferFactory(product=ProductFactory()))  # in no video
    yesterday = timezone.make_aware(
        datetime.combine(timezone.localdate() - timedelta(days=1), datetime.min.time())
    )
    Click.objects.update(created_at=yesterday)
    VideoFactory(artists=[other])

    response = curator_client.get("/admin/catalog/click/dashboard/")

    (artists,) = [t for t in response.context["tables"] if t.slug == "artists"]
    assert [(label, clicks) for label, _, clicks in artists.rows] == [("Jacket Star", 10)]


# Admin workflow (item 16)


def test_cast_members_are_edited_inline_on_the_video(curator_client):
    from catalog.models import CastMember

    video = VideoFactory(duration=timedelta(seconds=60))
    page = curator_client.get(f"/admin/catalog/video/{video.pk}/change/").text
    assert 'id="cast_members-group"' in page

    data = video_form_data(
        video,
        **{
            "cast_members-TOTAL_FORMS": "1",
            "cast_members-0-name": "Lead dancer",
            "cast_members-0-performer_name": "Mo",
        },
    )
    response = curator_client.post(f"/admin/catalog/video/{video.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert CastMember.objects.get(video=video).name == "Lead dancer"


def test_a_scene_opened_from_its_video_returns_there_on_save(curator_client):
    video = VideoFactory(duration=timedelta(seconds=60))
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=10))
    page = curator_client.get(f"/admin/catalog/video/{video.pk}/change/").text
    link = f"/admin/catalog/scene/{scene.pk}/change/?from_video=1"
    assert link in page

    response = curator_client.post(
        link,
        {
            "video": video.pk,
            "title": "Renamed",
            "start": "00:00:00",
            "end": "00:00:10",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/catalog/video/{video.pk}/change/"
    # From the scene list, Save still returns to the list.
    response = curator_client.post(
        f"/admin/catalog/scene/{scene.pk}/change/",
        {
            "video": video.pk,
            "title": "Again",
            "start": "00:00:00",
            "end": "00:00:10",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
        },
    )
    assert response["Location"].startswith("/admin/catalog/scene/")


def test_the_scene_list_filters_by_video(curator_client):
    mine, other = VideoFactory(title="Mine"), VideoFactory(title="Other")
    SceneFactory(video=mine, title="Mine scene")
    SceneFactory(video=other, title="Other scene")

    response = curator_client.get("/admin/catalog/scene/", {"video": mine.pk})

    assert response.status_code == 200
    assert [scene.video for scene in response.context["cl"].result_list] == [mine]
    assert f"?video={other.pk}" in response.text  # offered in the sidebar


def test_the_artist_list_filters_by_videos(curator_client):
    from catalog.tests.factories import ArtistFactory

    live, drafted, idle = ArtistFactory(), ArtistFactory(), ArtistFactory()
    VideoFactory(artists=[live])
    VideoFactory(artists=[drafted], draft=True)

    def listed(value):
        response = curator_client.get("/admin/catalog/artist/", {"videos": value})
        return set(response.context["cl"].result_list)

    assert listed("published") == {live}
    assert listed("draft_only") == {drafted}
    assert listed("none") == {idle}


def test_product_bulk_actions_set_type_and_style_and_publish_their_videos(curator_client):
    from catalog.models import Product, ProductStyle, ProductType
    from catalog.tests.factories import ProductFactory, VideoProductFactory

    draft = VideoFactory(draft=True)
    products = ProductFactory.create_batch(2)
    for product in products:
        VideoProductFactory(video=draft, product=product)
    shoe, premium = ProductType.objects.get(slug="shoe"), ProductStyle.objects.get(slug="high_end")
    ids = [str(product.pk) for product in products]

    curator_client.post(
        "/admin/catalog/product/",
        {"action": "set_type", "_selected_action": ids, "product_type": shoe.pk},
    )
    curator_client.post(
        "/admin/catalog/product/",
        {"action": "set_style", "_selected_action": ids, "style": premium.pk},
    )
    curator_client.post(
        "/admin/catalog/product/", {"action": "publish_videos", "_selected_action": ids}
    )

    assert set(Product.objects.values_list("product_type", "style", "is_published")) == {
        (shoe.pk, premium.pk, True)
    }
    draft.refresh_from_db()
    assert draft.is_published


def test_the_currency_filters_list_only_currencies_in_use(curator_client):
    from catalog.tests.factories import OfferFactory, PriceHistoryFactory

    OfferFactory(currency="USD")
    offer = OfferFactory(currency="GBP")
    PriceHistoryFactory(offer=offer, currency="GBP")

    for url in ("/admin/catalog/offer/", "/admin/catalog/pricehistory/"):
        response = curator_client.get(url)
        (currency,) = [f for f in response.context["cl"].filter_specs if f.title == "currency"]
        codes = [choice["display"] for choice in currency.choices(response.context["cl"])]
        assert "EUR" not in codes and "GBP" in codes, url
        assert len(codes) <= 3, (url, codes)  # "All" and the codes in use
