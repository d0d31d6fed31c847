from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import ForeignKey, ManyToManyField
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from catalog.groups import PRIVATE_MODELS
from catalog.models import Offer, Product, ProductSearchTerm, Scene, Video

from . import factories
from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    ClickFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    UserFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
    make_upc,
)

pytestmark = pytest.mark.django_db

CATALOG_ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "catalog"
]


def login_for(client, curator, model):
    """Curators keep the catalog; shoppers' own settings are a superuser's to look after."""
    if model._meta.model_name in PRIVATE_MODELS:
        client.force_login(factories.UserFactory(superuser=True))
    else:
        client.force_login(curator)


def admin_url(model, action, *args):
    return reverse(f"admin:catalog_{model._meta.model_name}_{action}", args=args)


def make_catalog_rows(count):
    """Make `count` of every catalog row, each with its relations filled in."""
    for _ in range(count):
        appearance = AppearanceFactory(cast_member=None)
        video = appearance.scene.video
        cast_member = CastMemberFactory(video=video)
        appearance.cast_member = cast_member
        appearance.save()
        appearance.scene.cast_members.add(cast_member)
        VideoSourceFactory(video=video)
        VideoProductFactory(video=video, product=appearance.product)
        ProductImageFactory(product=appearance.product)
        offer = OfferFactory(product=appearance.product)
        ClickFactory(offer=offer, video=video, scene=appearance.scene)
        video.artists.add(ArtistFactory())
    # Models added later (link checks, analytics) get a row from their own factory.
    for model, _ in CATALOG_ADMINS:
        factory_class = getattr(factories, f"{model.__name__}Factory", None)
        if factory_class is not None and not model.objects.exists():
            factory_class.create_batch(count)


def count_queries(client, url):
    # The first request fills per-process caches (content types, permissions); count the
    # steady state that every later request sees.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(("model", "model_admin"), CATALOG_ADMINS, ids=lambda v: str(v))
def test_changelist_query_count_does_not_grow_with_rows(client, curator, model, model_admin):
    login_for(client, curator, model)
    url = admin_url(model, "changelist")
    make_catalog_rows(2)
    few = count_queries(client, url)
    make_catalog_rows(8)
    many = count_queries(client, url)
    assert many == few


@pytest.mark.parametrize(("model", "model_admin"), CATALOG_ADMINS, ids=lambda v: str(v))
def test_change_page_answers_with_a_fixed_query_count(client, curator, model, model_admin):
    login_for(client, curator, model)
    make_catalog_rows(2)
    url = admin_url(model, "change", model.objects.order_by("pk").first().pk)
    few = count_queries(client, url)
    make_catalog_rows(8)
    assert count_queries(client, url) == few


@pytest.mark.parametrize(("model", "model_admin"), CATALOG_ADMINS, ids=lambda v: str(v))
def test_add_page_answers_for_a_curator(client, curator, model, model_admin):
    client.force_login(curator)
    make_catalog_rows(1)
    response = client.get(admin_url(model, "add"))
    if model_admin.has_add_permission(type("Request", (), {"user": curator})()):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(("model", "model_admin"), CATALOG_ADMINS, ids=lambda v: str(v))
def test_every_relation_uses_autocomplete(rf, staff_user, model, model_admin):
    """A select box of every product or video would be megabytes on a real catalog."""
    request = rf.get("/")
    request.user = staff_user
    for options in [model_admin, *model_admin.get_inline_instances(request)]:
        if not options.has_change_permission(request):
            continue  # read-only pages render no select boxes
        for name in flatten_fieldsets(options.get_fieldsets(request)):
            try:
                field = options.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if options is not model_admin and field.related_model is model:
                continue  # an inline's link to its parent is set by the admin
            if isinstance(field, ForeignKey | ManyToManyField) and field.editable:
                assert name in options.autocomplete_fields, f"{options.model.__name__}.{name}"


def test_curator_cannot_manage_users(client, curator):
    client.force_login(curator)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_plain_staff_without_the_group_cannot_edit_the_catalog(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(admin_url(Product, "changelist")).status_code == 403


def post_form(client, url, data):
    response = client.post(url, data)
    assert response.status_code == 200, "the form should be shown again with its errors"
    return response


def inline_management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def product_form_data(**overrides):
    product = ProductFactory.build()
    data = {
        "upc": make_upc(424242),
        "brand": "Paul Smith",
        "name": "Striped beanie",
        "slug": "paul-smith-striped-beanie",
        "product_type": product.product_type.pk,
        "style": product.style.pk,
        "description": "",
        **inline_management("images"),
        **inline_management("offers"),
    }
    data.update(overrides)
    return data


def test_duplicate_upc_is_a_form_error(client, curator):
    existing = ProductFactory()
    client.force_login(curator)
    response = post_form(client, admin_url(Product, "add"), product_form_data(upc=existing.upc))
    assert "upc" in response.context["adminform"].form.errors
    assert Product.objects.count() == 1


def test_bad_upc_check_digit_is_a_form_error(client, curator):
    client.force_login(curator)
    response = post_form(client, admin_url(Product, "add"), product_form_data(upc="036000291453"))
    assert "check digit" in str(response.context["adminform"].form.errors["upc"])


def test_negative_price_and_javascript_url_in_an_offer_are_form_errors(client, curator):
    retailer = RetailerFactory()
    client.force_login(curator)
    data = product_form_data(
        **inline_management("offers", total=1),
        **{
            "offers-0-retailer": retailer.pk,
            "offers-0-url": "javascript:alert(document.cookie)",
            "offers-0-price": "-5.00",
            "offers-0-currency": "USD",
            "offers-0-availability": "in_stock",
        },
    )
    response = post_form(client, admin_url(Product, "add"), data)
    errors = response.context["inline_admin_formsets"][1].formset.errors[0]
    assert "url" in errors
    assert "price" in errors
    assert not Product.objects.exists()
    assert not Offer.objects.exists()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "not a url"])
def test_a_bad_offer_url_is_one_form_error(client, curator, url):
    offer = OfferFactory()
    client.force_login(curator)
    data = {
        "product": offer.product_id,
        "retailer": offer.retailer_id,
        "url": url,
        "price": "10.00",
        "currency": "USD",
        "availability": "in_stock",
    }
    response = post_form(client, admin_url(Offer, "change", offer.pk), data)
    assert response.context["adminform"].form.errors == {"url": ["Enter a valid URL."]}


def test_javascript_homepage_for_a_retailer_is_a_form_error(client, curator):
    client.force_login(curator)
    response = post_form(
        client,
        reverse("admin:catalog_retailer_add"),
        {
            "name": "Evil",
            "slug": "evil",
            "homepage_url": "javascript:alert(1)",
            "link_template": "",
        },
    )
    assert "homepage_url" in response.context["adminform"].form.errors


def test_scene_ending_before_it_starts_is_a_form_error(client, curator):
    video = VideoFactory()
    client.force_login(curator)
    response = post_form(
        client,
        admin_url(Scene, "add"),
        {
            "video": video.pk,
            "title": "Backwards",
            "start": "00:00:10",
            "end": "00:00:05",
            **inline_management("appearances"),
        },
    )
    assert "must end after it starts" in str(response.context["adminform"].form.errors)
    assert not Scene.objects.exists()


def scene_formset(response):
    (formset,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "scenes"
    ]
    return formset


def test_scene_inline_ending_before_start_is_a_form_error(client, curator):
    video = VideoFactory()
    client.force_login(curator)
    data = {
        "title": video.title,
        "slug": video.slug,
        "status": video.status,
        "description": "",
        **inline_management("sources"),
        **inline_management("scenes", total=1),
        **inline_management("video_products"),
        **inline_management("cast_members"),
        "scenes-0-start": "00:00:10",
        "scenes-0-end": "00:00:02",
        "scenes-0-title": "Backwards",
    }
    response = post_form(client, admin_url(Video, "change", video.pk), data)
    assert scene_formset(response).errors[0]
    assert not Scene.objects.exists()


def test_publish_and_feature_actions(client):
    drafts = VideoFactory.create_batch(2, draft=True)
    before = {video.pk: video.updated_at for video in drafts}
    client.force_login(UserFactory(reviewer=True))
    for action in ("publish", "feature"):
        response = client.post(
            admin_url(Video, "changelist"),
            {"action": action, "_selected_action": [video.pk for video in drafts]},
            follow=True,
        )
        assert response.status_code == 200
    for video in Video.objects.filter(pk__in=before):
        assert video.status == Video.Status.PUBLISHED
        assert video.is_featured is True
        assert video.updated_at > before[video.pk]
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["2 videos featured."]


def test_unpublish_action(client, curator):
    video = VideoFactory()
    client.force_login(curator)
    client.post(
        admin_url(Video, "changelist"), {"action": "unpublish", "_selected_action": [video.pk]}
    )
    video.refresh_from_db()
    assert video.status == Video.Status.UNPUBLISHED


def test_change_page_shows_timestamps_and_view_on_site(client, curator):
    video = VideoFactory()
    client.force_login(curator)
    response = client.get(admin_url(Video, "change", video.pk))
    content = response.content.decode()
    assert "Created at" in content
    assert reverse("admin:view_on_site", args=[response.context["content_type_id"], video.pk])
    assert "View on site" in content


def test_video_change_page_lists_scenes_in_time_order(client, curator):
    video = VideoFactory()
    late = SceneFactory(video=video, title="Late", start=timedelta(seconds=30))
    early = SceneFactory(video=video, title="Early", start=timedelta(seconds=1))
    client.force_login(curator)
    response = client.get(admin_url(Video, "change", video.pk))
    formset = scene_formset(response)
    assert [form.instance for form in formset.forms] == [early, late]


def test_deleting_a_product_lists_what_curators_made_and_removes_its_search_terms(client, curator):
    product = AppearanceFactory().product
    assert product.search_terms.exists()
    client.force_login(curator)
    url = admin_url(Product, "delete", product.pk)

    confirmation = client.get(url)
    response = client.post(url, {"post": "yes"})

    assert confirmation.status_code == 200
    assert "Appearance: " in confirmation.text
    assert "search term" not in confirmation.text.lower()
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not ProductSearchTerm.objects.filter(product_id=product.pk).exists()
