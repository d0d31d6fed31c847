"""The studio's timeline edits and its JSON endpoints: rules, locking, permissions, queries."""

import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from catalog.models import Appearance, CastMember, Product, Scene, Video
from catalog.studio import services
from catalog.studio.views import timeline_state

from .factories import (
    AppearanceFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

S = timedelta(seconds=1)


def edit(video, edit, **args):
    video.refresh_from_db()
    return services.edit_timeline(video_id=video.pk, version=video.version, edit=edit, args=args)


def bounds(video):
    return [
        (s.start.total_seconds(), s.end.total_seconds()) for s in video.scenes.order_by("start")
    ]


@pytest.fixture
def video():
    return VideoFactory(duration=12 * S, status=Video.Status.DRAFT)


# Scene rules: one home, Scene.clean(), for the admin, the API, imports and the studio


def test_scene_clean_refuses_overlap_and_past_the_end(video):
    SceneFactory(video=video, start=0 * S, end=4 * S)
    with pytest.raises(ValidationError) as overlap:
        Scene(video=video, start=3 * S, end=6 * S).full_clean()
    assert "would overlap" in overlap.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as past:
        Scene(video=video, start=4 * S, end=13 * S).full_clean()
    assert past.value.message_dict["end"] == [
        "A scene cannot end after the video does: "
        "the video is 0:12 long and this scene ends at 0:13."
    ]
    Scene(video=video, start=4 * S, end=12 * S).full_clean()  # touching is fine


def test_admin_scene_form_refuses_overlap(video, curator_client):
    SceneFactory(video=video, start=0 * S, end=4 * S)
    response = curator_client.post(
        reverse("admin:catalog_scene_add"),
        {
            "video": video.pk,
            "title": "Overlap",
            "start": "00:00:02",
            "end": "00:00:05",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "would overlap" in response.content.decode()
    assert video.scenes.count() == 1


# Timeline edits


def test_split_builds_three_scenes_from_nothing(video):
    edit(video, "split", at=0 * S)
    assert bounds(video) == [(0, 12)]
    edit(video, "split", at=4 * S)
    edit(video, "split", at=8 * S)
    assert bounds(video) == [(0, 4), (4, 8), (8, 12)]
    video.refresh_from_db()
    assert video.version == 4


def test_split_keeps_cast_and_looks_in_both_halves(video):
    scene = SceneFactory(video=video, start=0 * S, end=10 * S)
    member = CastMemberFactory(video=video)
    scene.cast_members.add(member)
    AppearanceFactory(scene=scene, cast_member=member)
    edit(video, "split", at=5 * S)
    second = video.scenes.get(start=5 * S)
    assert list(second.cast_members.all()) == [member]
    assert second.appearances.get().cast_member == member


def test_split_on_a_boundary_and_without_duration_is_refused(video):
    SceneFactory(video=video, start=0 * S, end=4 * S)
    with pytest.raises(ValidationError, match="already starts or ends here"):
        edit(video, "split", at=4 * S)
    Video.objects.filter(pk=video.pk).update(duration=None)
    with pytest.raises(ValidationError, match="Set the video's duration first"):
        edit(video, "split", at=6 * S)


def test_move_edge_moves_the_touching_neighbour_too(video):
    edit(video, "split", at=0 * S)
    edit(video, "split", at=4 * S)
    second = video.scenes.get(start=4 * S)
    edit(video, "move_edge", scene=second.pk, edge="start", at=6 * S)
    assert bounds(video) == [(0, 6), (6, 12)]
    edit(video, "move_edge", scene=second.pk, edge="start", at=2 * S)
    assert bounds(video) == [(0, 2), (2, 12)]


def test_move_edge_never_past_the_end_nor_over_another_scene(video):
    first = SceneFactory(video=video, start=0 * S, end=4 * S)
    SceneFactory(video=video, start=6 * S, end=8 * S)
    last = SceneFactory(video=video, start=8 * S, end=10 * S)
    with pytest.raises(ValidationError, match="cannot end after the video"):
        edit(video, "move_edge", scene=last.pk, edge="end", at=13 * S)
    with pytest.raises(ValidationError, match="would overlap"):
        edit(video, "move_edge", scene=first.pk, edge="end", at=7 * S)
    with pytest.raises(ValidationError, match="must end after it starts"):
        edit(video, "move_edge", scene=first.pk, edge="start", at=5 * S)
    assert bounds(video) == [(0, 4), (6, 8), (8, 10)]
    video.refresh_from_db()
    assert video.version == 1  # nothing written, not even the version


def test_merge_keeps_every_look_once_and_both_casts(video):
    first = SceneFactory(video=video, start=0 * S, end=4 * S)
    second = SceneFactory(video=video, start=4 * S, end=8 * S)
    shared, own = ProductFactory(), ProductFactory()
    AppearanceFactory(scene=first, product=shared)
    AppearanceFactory(scene=second, product=shared)
    AppearanceFactory(scene=second, product=own)
    member = CastMemberFactory(video=video)
    second.cast_members.add(member)
    edit(video, "merge", scene=first.pk)
    assert bounds(video) == [(0, 8)]
    merged = video.scenes.get()
    assert sorted(a.product_id for a in merged.appearances.all()) == sorted([shared.pk, own.pk])
    assert list(merged.cast_members.all()) == [member]
    with pytest.raises(ValidationError, match="no next scene"):
        edit(video, "merge", scene=merged.pk)


def test_looks_are_added_moved_changed_and_removed(video):
    scene = SceneFactory(video=video, start=0 * S, end=4 * S)
    member = CastMemberFactory(video=video)
    a, b = ProductFactory(), ProductFactory()
    edit(video, "add_look", scene=scene.pk, product=a.pk, cast_member=member.pk)
    edit(video, "add_look", scene=scene.pk, product=b.pk, match="similar")
    looks = list(scene.appearances.order_by("position"))
    assert [look.product for look in looks] == [a, b]
    assert list(scene.cast_members.all()) == [member]  # the wearer joins the scene
    edit(video, "move_look", appearance=looks[1].pk, by=-1)
    assert [x.product for x in scene.appearances.order_by("position", "id")] == [b, a]
    edit(video, "change_look", appearance=looks[1].pk, cast_member=member.pk, match="exact")
    assert scene.appearances.get(product=b).cast_member == member
    with pytest.raises(ValidationError, match="already listed in this scene"):
        edit(video, "add_look", scene=scene.pk, product=a.pk)
    edit(video, "remove_look", appearance=looks[0].pk)
    assert [x.product for x in scene.appearances.all()] == [b]


def test_objects_of_another_video_are_refused(video):
    other = SceneFactory(start=0 * S, end=4 * S)
    scene = SceneFactory(video=video, start=0 * S, end=4 * S)
    stranger = CastMemberFactory(video=other.video)
    with pytest.raises(ValidationError, match="not part of this video"):
        edit(video, "rename", scene=other.pk, title="Mine now")
    with pytest.raises(ValidationError, match="not part of this video"):
        edit(
            video, "add_look", scene=scene.pk, product=ProductFactory().pk, cast_member=stranger.pk
        )
    assert not Appearance.objects.filter(scene=scene).exists()


def test_a_stale_version_is_refused_and_writes_nothing(video):
    edit(video, "split", at=0 * S)
    video.refresh_from_db()
    seen_by_both = video.version
    services.edit_timeline(
        video_id=video.pk, version=seen_by_both, edit="split", args={"at": 4 * S}
    )
    with pytest.raises(services.StaleVersion):
        services.edit_timeline(
            video_id=video.pk, version=seen_by_both, edit="split", args={"at": 8 * S}
        )
    assert bounds(video) == [(0, 4), (4, 12)]


def test_restore_puts_the_timeline_back(video):
    scene = SceneFactory(video=video, start=0 * S, end=6 * S, title="Opening")
    member = CastMemberFactory(video=video, name="Singer")
    scene.cast_members.add(member)
    look = AppearanceFactory(scene=scene, cast_member=member, match="similar")
    before = timeline_state(video)
    edit(video, "delete_scene", scene=scene.pk)
    CastMember.objects.filter(pk=member.pk).delete()
    edit(video, "restore", snapshot=before)
    restored = video.scenes.get()
    assert (restored.title, bounds(video)) == ("Opening", [(0, 6)])
    again = restored.appearances.get()
    assert (again.product_id, again.match, again.cast_member.name) == (
        look.product_id,
        "similar",
        "Singer",
    )
    assert [m.name for m in restored.cast_members.all()] == ["Singer"]


def test_a_look_keeps_the_product_published_flag(video):
    scene = SceneFactory(video=video, start=0 * S, end=4 * S)
    product = ProductFactory()
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PUBLISHED)
    edit(video, "add_look", scene=scene.pk, product=product.pk)
    product.refresh_from_db()
    assert product.is_published
    edit(video, "remove_look", appearance=scene.appearances.get().pk)
    product.refresh_from_db()
    assert not product.is_published


# The endpoints


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def urls(video):
    base = reverse("admin:catalog_video_studio", args=[video.pk])
    return {
        "page": base,
        "state": base + "state/",
        "edit": base + "edit/",
        "products": base + "products/",
        "new": base + "products/new/",
        "retailers": base + "retailers/",
        "status": base + "status/",
    }


def test_the_page_is_linked_from_the_change_page_and_list(video, curator_client):
    page = curator_client.get(urls(video)["page"])
    assert page.status_code == 200
    assert b'id="studio-config"' in page.content
    change = curator_client.get(reverse("admin:catalog_video_change", args=[video.pk]))
    assert urls(video)["page"].encode() in change.content
    changelist = curator_client.get(reverse("admin:catalog_video_changelist"))
    assert urls(video)["page"].encode() in changelist.content


def test_only_users_with_the_catalogs_change_permissions_get_in(video, client):
    viewer = UserFactory(staff=True)
    client.force_login(viewer)
    assert client.get(urls(video)["page"]).status_code == 403
    response = post(
        client, urls(video)["edit"], {"version": 1, "edit": "split", "args": {"at": 0}}
    )
    assert response.status_code == 403
    assert not video.scenes.exists()
    client.logout()
    assert client.get(urls(video)["state"]).status_code == 302  # to the admin's login


def test_edit_endpoint_answers_the_new_state(video, curator_client):
    response = post(
        curator_client, urls(video)["edit"], {"version": 1, "edit": "split", "args": {"at": 0}}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["video"]["version"] == 2
    assert [(s["start"], s["end"]) for s in data["scenes"]] == [(0, 12)]


def test_edit_endpoint_refuses_with_the_reason(video, curator_client):
    SceneFactory(video=video, start=0 * S, end=4 * S)
    bad = post(
        curator_client, urls(video)["edit"], {"version": 1, "edit": "split", "args": {"at": 4}}
    )
    assert bad.status_code == 400
    assert "already starts or ends here" in bad.json()["error"]
    for body in (
        {"version": 1, "edit": "explode", "args": {}},
        {"version": 1, "edit": "split", "args": {"at": "soon"}},
        {"version": 1, "edit": "split", "args": {"at": -1}},
        {"version": 1, "edit": "split", "args": {}},
        {"version": 1, "edit": "split", "args": {"at": 1, "extra": 2}},
        {"edit": "split", "args": {"at": 1}},
        [1, 2],
    ):
        response = post(curator_client, urls(video)["edit"], body)
        assert response.status_code == 400, body
        assert response.json()["error"]
    garbage = curator_client.post(urls(video)["edit"], b"{", content_type="application/json")
    assert garbage.status_code == 400
    assert curator_client.get(urls(video)["edit"]).status_code == 405


def test_edit_endpoint_answers_409_with_the_newer_state(video, curator_client):
    post(curator_client, urls(video)["edit"], {"version": 1, "edit": "split", "args": {"at": 0}})
    response = post(
        curator_client, urls(video)["edit"], {"version": 1, "edit": "split", "args": {"at": 4}}
    )
    assert response.status_code == 409
    assert "Someone else changed this video" in response.json()["error"]
    assert response.json()["state"]["video"]["version"] == 2
    assert bounds(video) == [(0, 12)]


def test_product_search_by_brand_name_and_upc(video, curator_client):
    levis = ProductFactory(brand="Levi's", name="Trucker jacket")
    ProductFactory(brand="Zara", name="Rain coat")
    url = urls(video)["products"]
    assert [r["id"] for r in curator_client.get(url, {"q": "trucker"}).json()["results"]] == [
        levis.pk
    ]
    assert [r["id"] for r in curator_client.get(url, {"q": "levi"}).json()["results"]] == [
        levis.pk
    ]
    assert [r["id"] for r in curator_client.get(url, {"q": levis.upc}).json()["results"]] == [
        levis.pk
    ]
    assert [
        r["id"] for r in curator_client.get(url, {"q": "levi's jacket"}).json()["results"]
    ] == [levis.pk]
    assert curator_client.get(url, {"q": ""}).json()["results"] == []


def test_create_product_with_its_first_offer(video, curator_client):
    retailer = RetailerFactory()
    product_type = Product._meta.get_field("product_type").related_model.objects.first()
    style = Product._meta.get_field("style").related_model.objects.first()
    body = {
        "brand": "Rains",
        "name": "Long jacket",
        "upc": "00000000000017",
        "product_type": product_type.pk,
        "style": style.pk,
        "offer": {
            "retailer": retailer.pk,
            "url": "https://rains.example.com/long-jacket",
            "price": "95.00",
            "currency": "EUR",
        },
    }
    response = post(curator_client, urls(video)["new"], body)
    assert response.status_code == 201, response.content
    product = Product.objects.get(pk=response.json()["id"])
    assert (product.slug, product.offers.get().retailer) == ("rains-long-jacket", retailer)


def test_create_product_refuses_a_bad_offer_and_saves_nothing(video, curator_client):
    product_type = Product._meta.get_field("product_type").related_model.objects.first()
    style = Product._meta.get_field("style").related_model.objects.first()
    body = {
        "brand": "Rains",
        "name": "Long jacket",
        "upc": "00000000000017",
        "product_type": product_type.pk,
        "style": style.pk,
        "offer": {"retailer": RetailerFactory().pk, "url": "ftp://x", "price": "-1"},
    }
    response = post(curator_client, urls(video)["new"], body)
    assert response.status_code == 400
    assert response.json()["fields"]["offers"]["0"]["price"] == ["A price cannot be negative."]
    assert not Product.objects.filter(upc="00000000000017").exists()
    bad_upc = post(curator_client, urls(video)["new"], {**body, "upc": "123"})
    assert bad_upc.status_code == 400
    assert "upc" in bad_upc.json()["fields"]


# Constant query counts


def build_timeline(video, scenes):
    cast = [CastMemberFactory(video=video) for _ in range(2)]
    for index in range(scenes):
        scene = SceneFactory(video=video, start=index * S, end=(index + 1) * S)
        scene.cast_members.add(*cast)
        for _ in range(2):
            AppearanceFactory(scene=scene, cast_member=cast[0])


def count_queries(function):
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def test_state_and_search_keep_constant_query_counts(curator_client):
    small, large = (VideoFactory(duration=12 * S) for _ in range(2))
    build_timeline(small, 1)
    build_timeline(large, 8)
    for product in Product.objects.all():
        OfferFactory(product=product)
    counts = {}
    for video in (small, large):
        counts[video.pk] = (
            count_queries(lambda v=video: curator_client.get(urls(v)["state"])),
            count_queries(lambda v=video: curator_client.get(urls(v)["products"], {"q": "item"})),
        )
    assert counts[small.pk] == counts[large.pk]
    assert counts[small.pk][0] <= 12


def test_edits_cost_the_same_on_a_long_timeline(curator_client):
    small, large = (VideoFactory(duration=12 * S) for _ in range(2))
    build_timeline(small, 1)
    build_timeline(large, 8)
    product = ProductFactory()

    def add_look(video):
        scene = video.scenes.order_by("start").first()
        video.refresh_from_db()
        body = {
            "version": video.version,
            "edit": "add_look",
            "args": {"scene": scene.pk, "product": product.pk},
        }
        return lambda: post(curator_client, urls(video)["edit"], body)

    assert count_queries(add_look(small)) == count_queries(add_look(large))
