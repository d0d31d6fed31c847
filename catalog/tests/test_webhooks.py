"""Signed webhooks: events from real catalog changes, delivered to a local HTTP server."""

import json
import re
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings as django_settings

import pytest

from catalog.integrations import webhooks
from catalog.linkhealth.fetcher import CheckResult
from catalog.linkhealth.recording import record_check_result
from catalog.models import Offer, Video, WebhookDelivery, WebhookEndpoint, WebhookEvent
from catalog.services import set_video_status

from .factories import (
    AppearanceFactory,
    OfferFactory,
    ProductFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
)
from .receiver import running_receiver

pytestmark = pytest.mark.django_db

DOCS = Path(django_settings.BASE_DIR) / "docs" / "webhooks.md"


def documented_verifier():
    """The verification snippet of docs/webhooks.md, compiled as integrators would paste it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_inspired_signature"]


@pytest.fixture
def receiver(settings):
    settings.CATALOG_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_WEBHOOK_BACKOFF_SECONDS = 0
    with running_receiver() as served:
        yield served


def endpoint_for(base, *events):
    return WebhookEndpoint.objects.create(url=f"{base}/hooks", events=list(events))


def published_offer(**kwargs):
    offer = OfferFactory(**kwargs)
    VideoProductFactory(product=offer.product)
    offer.product.refresh_from_db()
    return offer


def test_a_price_change_found_by_the_link_checker_is_delivered_signed(
    receiver, django_capture_on_commit_callbacks
):
    base, received, _ = receiver
    endpoint = endpoint_for(base, WebhookEvent.OFFER_PRICE_CHANGED)
    offer = published_offer(price=Decimal("80.00"))
    with django_capture_on_commit_callbacks(execute=True):
        record_check_result(
            offer=offer,
            result=CheckResult(status=Offer.LinkStatus.OK, price=Decimal("64.50"), currency="USD"),
        )
    assert len(received) == 1
    path, headers, body = received[0]
    assert path == "/hooks"
    assert headers["Inspired-Event"] == "offer.price_changed"
    verify = documented_verifier()
    assert verify(endpoint.secret, headers["Inspired-Signature"], body)
    assert not verify("whsec_wrong", headers["Inspired-Signature"], body)
    assert not verify(endpoint.secret, headers["Inspired-Signature"], body + b" ")
    envelope = json.loads(body)
    assert envelope["event"] == "offer.price_changed"
    assert envelope["id"] == headers["Inspired-Delivery"]
    assert envelope["data"]["price"] == "64.50"
    assert envelope["data"]["previous"]["price"] == "80.00"
    assert envelope["data"]["retailer"]["slug"] == offer.retailer.slug
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.response_status == 200
    assert delivery.attempts == 1


def test_an_old_signature_is_refused_as_a_replay():
    body = b'{"id": "x"}'
    old = int(time.time()) - 3600
    header = webhooks.sign("whsec_s", body, old)
    assert not documented_verifier()("whsec_s", header, body)
    assert not webhooks.verify_signature("whsec_s", header, body)
    assert webhooks.verify_signature("whsec_s", header, body, now=old + 10)


def test_back_in_stock_and_broken_link_events(receiver, django_capture_on_commit_callbacks):
    base, received, _ = receiver
    endpoint_for(base, WebhookEvent.OFFER_BACK_IN_STOCK, WebhookEvent.OFFER_LINK_BROKEN)
    offer = published_offer(out_of_stock=True)
    with django_capture_on_commit_callbacks(execute=True):
        record_check_result(
            offer=offer,
            result=CheckResult(status=Offer.LinkStatus.OK, availability="in_stock"),
        )
    with django_capture_on_commit_callbacks(execute=True):
        record_check_result(offer=offer, result=CheckResult(status=Offer.LinkStatus.BROKEN))
    assert [headers["Inspired-Event"] for _, headers, _ in received] == [
        "offer.back_in_stock",
        "offer.link_broken",
    ]


def test_video_and_look_events(receiver, django_capture_on_commit_callbacks):
    base, received, _ = receiver
    endpoint_for(
        base,
        WebhookEvent.VIDEO_PUBLISHED,
        WebhookEvent.LOOK_PUBLISHED,
        WebhookEvent.LOOK_CHANGED,
    )
    draft = VideoFactory(draft=True)
    scene = SceneFactory(video=draft)
    AppearanceFactory(scene=scene)  # a draft's looks are nobody's business yet
    assert received == []
    with django_capture_on_commit_callbacks(execute=True):
        set_video_status(videos=Video.objects.filter(pk=draft.pk), status=Video.Status.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        look = VideoProductFactory(video=draft, product=ProductFactory())
    with django_capture_on_commit_callbacks(execute=True):
        look.delete()
    events = [json.loads(body) for _, _, body in received]
    assert [event["event"] for event in events] == [
        "video.published",
        "look.published",
        "look.changed",
    ]
    assert events[0]["data"]["slug"] == draft.slug
    assert events[2]["data"]["removed"] is True
    draft.refresh_from_db()
    assert draft.published_at is not None


def test_failed_deliveries_are_retried_with_backoff_then_logged(
    receiver, settings, django_capture_on_commit_callbacks
):
    base, received, statuses = receiver
    settings.CATALOG_WEBHOOK_MAX_ATTEMPTS = 3
    statuses.extend([500, 503])
    endpoint_for(base, WebhookEvent.OFFER_PRICE_CHANGED)
    offer = published_offer()
    with django_capture_on_commit_callbacks(execute=True):
        offer.price += 1
        offer.save()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 3
    assert len(received) == 3
    # The same delivery id on every try, so that receivers can deduplicate.
    assert len({headers["Inspired-Delivery"] for _, headers, _ in received}) == 1


def test_backoff_grows_fourfold(settings):
    settings.CATALOG_WEBHOOK_BACKOFF_SECONDS = 30
    assert [webhooks.backoff(n) for n in (1, 2, 3)] == [30, 120, 480]


def test_an_endpoint_is_disabled_after_repeated_failures(
    receiver, settings, django_capture_on_commit_callbacks
):
    base, received, statuses = receiver
    settings.CATALOG_WEBHOOK_MAX_ATTEMPTS = 2
    settings.CATALOG_WEBHOOK_DISABLE_AFTER = 2
    statuses.extend([500] * 10)
    endpoint = endpoint_for(base, WebhookEvent.OFFER_PRICE_CHANGED)
    offer = published_offer()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            offer.price += 1
            offer.save()
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "2 deliveries in a row failed" in endpoint.disabled_reason
    assert len(received) == 4  # two tries of two deliveries; the third is not even queued
    logged = WebhookDelivery.objects.order_by("id")
    assert [delivery.status for delivery in logged] == ["failed", "failed"]
    assert logged[0].response_status == 500
    assert logged[0].response_body == "nope"


def test_private_addresses_are_never_called(settings, django_capture_on_commit_callbacks):
    settings.CATALOG_WEBHOOK_ALLOWED_HOSTS = []
    with running_receiver() as (base, received, _):
        endpoint_for(base, WebhookEvent.OFFER_PRICE_CHANGED)
        WebhookEndpoint.objects.create(
            url="http://169.254.169.254/latest/meta-data/", events=["offer.price_changed"]
        )
        offer = published_offer()
        with django_capture_on_commit_callbacks(execute=True):
            offer.price += 1
            offer.save()
    assert received == []
    deliveries = WebhookDelivery.objects.all()
    assert {delivery.status for delivery in deliveries} == {"failed"}
    assert all(delivery.error.startswith("Refused") for delivery in deliveries)
    assert all(delivery.attempts == 1 for delivery in deliveries)  # no retry of a refusal


def test_unpublished_products_send_no_offer_events(receiver, django_capture_on_commit_callbacks):
    base, received, _ = receiver
    endpoint_for(base, WebhookEvent.OFFER_PRICE_CHANGED)
    offer = OfferFactory()
    with django_capture_on_commit_callbacks(execute=True):
        offer.price += 1
        offer.save()
    assert received == []
    assert not WebhookDelivery.objects.exists()


# The API and the admin


def test_the_api_registers_endpoints_and_lists_deliveries(
    api_client, staff_user, receiver, django_capture_on_commit_callbacks
):
    base, received, _ = receiver
    api_client.force_authenticate(staff_user)
    created = api_client.post(
        "/api/v1/webhooks/",
        {"url": f"{base}/in", "events": ["offer.price_changed"], "description": "ERP"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    endpoint_id = created.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        tested = api_client.post(f"/api/v1/webhooks/{endpoint_id}/test/")
    assert tested.status_code == 201
    _, headers, body = received[0]
    assert webhooks.verify_signature(secret, headers["Inspired-Signature"], body)
    log = api_client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").json()
    assert log["results"][0]["status"] == "succeeded"
    assert log["results"][0]["response_status"] == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["video.published"]}, "url"),
        ({"url": "https://example.com/x", "events": ["nope"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "http://10.1.2.3/hook", "events": ["video.published"]}, "url"),
        ({"url": "http://169.254.169.254/", "events": ["video.published"]}, "url"),
        ({"url": "http://localhost:8080/", "events": ["video.published"]}, "url"),
    ],
)
def test_bad_endpoints_are_refused_with_400(api_client, staff_user, payload, field):
    api_client.force_authenticate(staff_user)
    response = api_client.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_endpoints_are_not_public(api_client, plain_user):
    assert api_client.get("/api/v1/webhooks/").status_code == 401
    api_client.force_authenticate(plain_user)
    assert api_client.get("/api/v1/webhooks/").status_code == 403


def test_the_admin_lists_endpoints_and_the_delivery_log(client, staff_user):
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/in", events=["video.published"]
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="video.published", payload={}, response_status=502
    )
    client.force_login(staff_user)
    assert client.get("/admin/catalog/webhookendpoint/").status_code == 200
    assert client.get(f"/admin/catalog/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    log = client.get("/admin/catalog/webhookdelivery/")
    assert log.status_code == 200
    assert b"502" in log.content
