"""Review before publishing, and the history of every change with its revert."""

import json
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

import pytest

from catalog import review
from catalog.groups import CURATORS, REVIEWERS
from catalog.models import Scene, Video

from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

Status = Video.Status


@pytest.fixture
def reviewer():
    return UserFactory(reviewer=True)


@pytest.fixture
def draft():
    video = VideoFactory(status=Status.DRAFT, duration=timedelta(seconds=12))
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=4))
    AppearanceFactory(scene=scene)
    return video


def test_migration_made_the_reviewers_group_and_only_it_may_publish():
    reviewers = Group.objects.get(name=REVIEWERS)
    curators = Group.objects.get(name=CURATORS)
    assert reviewers.permissions.filter(codename="publish_video").exists()
    assert not curators.permissions.filter(codename="publish_video").exists()
    assert set(curators.permissions.all()) < set(reviewers.permissions.all())


def test_curator_submits_reviewer_publishes(draft, curator, reviewer):
    product = draft.scenes.get().appearances.get().product
    review.change_status(video=draft, status=Status.IN_REVIEW, user=curator)
    with pytest.raises(PermissionDenied, match="Only reviewers may publish"):
        review.change_status(video=draft, status=Status.PUBLISHED, user=curator)
    product.refresh_from_db()
    assert not product.is_published
    review.change_status(video=draft, status=Status.PUBLISHED, user=reviewer)
    product.refresh_from_db()
    assert product.is_published
    review.change_status(video=draft, status=Status.UNPUBLISHED, user=curator)
    product.refresh_from_db()
    assert not product.is_published
    assert not Video.objects.published().exists()
    assert [h.status for h in draft.history.order_by("history_date")][-4:] == [
        "draft",
        "in_review",
        "published",
        "unpublished",
    ]
    assert draft.history.latest().history_user == curator


def test_only_published_is_public(client):
    for status in Status.values:
        video = VideoFactory(status=status)
        code = client.get(video.get_absolute_url()).status_code
        assert code == (200 if status == Status.PUBLISHED else 404), status


def test_transitions_that_make_no_sense_are_refused(draft, reviewer):
    review.change_status(video=draft, status=Status.PUBLISHED, user=reviewer)
    with pytest.raises(ValidationError, match="cannot go from published to in review"):
        review.change_status(video=draft, status=Status.IN_REVIEW, user=reviewer)


def test_review_can_be_switched_off(draft, curator, settings):
    settings.CATALOG_REVIEW_REQUIRED = False
    review.change_status(video=draft, status=Status.PUBLISHED, user=curator)
    assert Video.objects.get(pk=draft.pk).status == Status.PUBLISHED


def test_admin_actions_follow_the_rules(draft, curator_client, client, reviewer):
    changelist = reverse("admin:catalog_video_changelist")
    page = curator_client.get(changelist)
    actions = [value for value, _label in page.context["action_form"].fields["action"].choices]
    assert "submit_for_review" in actions
    assert "publish" not in actions
    curator_client.post(
        changelist, {"action": "submit_for_review", "_selected_action": [draft.pk]}
    )
    assert Video.objects.get(pk=draft.pk).status == Status.IN_REVIEW
    # A forged action is refused too.
    curator_client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert Video.objects.get(pk=draft.pk).status == Status.IN_REVIEW
    client.force_login(reviewer)
    client.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert Video.objects.get(pk=draft.pk).status == Status.PUBLISHED
    assert draft.history.latest().history_user == reviewer


def test_admin_form_offers_curators_no_publish(draft, curator_client):
    url = reverse("admin:catalog_video_change", args=[draft.pk])
    choices = [
        c[0] for c in curator_client.get(url).context["adminform"].form.fields["status"].choices
    ]
    assert "published" not in choices
    assert "in_review" in choices


def test_api_refuses_curators_publishing(draft, curator_api_client):
    response = curator_api_client.patch(
        f"/api/v1/videos/{draft.pk}/", {"status": "published"}, format="json"
    )
    assert response.status_code == 400
    assert "Only reviewers may publish" in json.dumps(response.json())
    assert Video.objects.get(pk=draft.pk).status == Status.DRAFT


def test_studio_status_endpoint(draft, curator_client, client, reviewer):
    url = reverse("admin:catalog_video_studio", args=[draft.pk]) + "status/"
    body = json.dumps({"status": "published"})
    refused = curator_client.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    submitted = curator_client.post(
        url, json.dumps({"status": "in_review"}), content_type="application/json"
    )
    assert submitted.json()["status"] == "in_review"
    client.force_login(reviewer)
    assert client.post(url, body, content_type="application/json").json()["status"] == "published"


def test_index_lists_needs_review_and_recently_published(curator_client):
    waiting = VideoFactory(status=Status.IN_REVIEW, title="Waiting for a look")
    out = VideoFactory(status=Status.PUBLISHED, title="Out there")
    page = curator_client.get(reverse("admin:index")).content.decode()
    needs_review = page[page.index('id="needs-review"') : page.index('id="recently-published"')]
    assert waiting.title in needs_review and out.title not in needs_review
    assert out.title in page[page.index('id="recently-published"') :]


# History


@pytest.mark.parametrize(
    "factory", [VideoFactory, SceneFactory, ProductFactory, OfferFactory, AppearanceFactory]
)
def test_every_catalog_model_keeps_history_shown_in_the_admin(factory, curator_client):
    row = factory()
    model = type(row)
    url = reverse(f"admin:catalog_{model._meta.model_name}_history", args=[row.pk])
    assert curator_client.get(url).status_code == 200
    assert row.history.count() == 1


def test_history_shows_who_changed_what_with_a_diff_and_reverts(curator, curator_client):
    product = ProductFactory(name="Old name")
    offer = OfferFactory(product=product)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    form = curator_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        name="New name",
        product_type=product.product_type_id,
        style=product.style_id,
        **{
            "images-TOTAL_FORMS": 0,
            "images-INITIAL_FORMS": 0,
            "offers-TOTAL_FORMS": 1,
            "offers-INITIAL_FORMS": 1,
            "offers-0-id": offer.pk,
            "offers-0-product": product.pk,
            "offers-0-retailer": offer.retailer_id,
            "offers-0-url": offer.url,
            "offers-0-price": offer.price,
            "offers-0-currency": offer.currency,
            "offers-0-availability": offer.availability,
        },
    )
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.name == "New name"
    history = curator_client.get(
        reverse("admin:catalog_product_history", args=[product.pk])
    ).content.decode()
    assert "Old name" in history and "New name" in history  # the diff
    assert curator.username in history
    first = product.history.earliest()
    revert_url = reverse("admin:catalog_product_simple_history", args=[product.pk, first.pk])
    form = curator_client.get(revert_url).context["adminform"].form
    data.update(name=form.initial["name"])
    curator_client.post(revert_url, data)
    product.refresh_from_db()
    assert product.name == "Old name"
    assert product.history.count() == 3


def test_revert_goes_through_the_scene_rules(curator_client):
    video = VideoFactory(duration=timedelta(seconds=12))
    scene = SceneFactory(video=video, start=timedelta(0), end=timedelta(seconds=4))
    scene.end = timedelta(seconds=6)
    scene.save()
    SceneFactory(video=video, start=timedelta(seconds=4), end=timedelta(seconds=6))
    # Reverting to an end of 4 s is fine; a version overlapping the new scene is refused.
    Scene.objects.filter(pk=scene.pk).update(end=timedelta(seconds=4))
    scene.refresh_from_db()
    SceneFactory(video=video, start=timedelta(seconds=6), end=timedelta(seconds=8))
    overlapping = scene.history.filter(end=timedelta(seconds=6)).get()
    url = reverse("admin:catalog_scene_simple_history", args=[scene.pk, overlapping.pk])
    response = curator_client.post(
        url,
        {
            "video": video.pk,
            "title": scene.title,
            "start": "00:00:00",
            "end": "00:00:06",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "would overlap" in response.content.decode()
    scene.refresh_from_db()
    assert scene.end == timedelta(seconds=4)
