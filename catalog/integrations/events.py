"""Notice the catalog changes that partners and shoppers are told about.

Receivers on save and delete (every writer goes through them: the admin, the API, the
link checker's recording, imports through resources) turn changes into webhook events and
alert evaluations. The admin's bulk publish (`set_video_status()`) calls
`videos_published()` itself. Like the published flag's receivers, the old values are read
from the row before the save, not remembered from when the instance was loaded.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from .. import signals as published_flag
from ..models import (
    Appearance,
    Offer,
    ProductAlert,
    Video,
    VideoProduct,
    WebhookEvent,
)
from . import webhooks

BEFORE = "_integration_events_before"
OFFER_FIELDS = ("price", "currency", "availability", "link_status", "failed_checks")
FAILED_STATUSES = {Offer.LinkStatus.BROKEN, Offer.LinkStatus.GONE}


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# Payloads


def video_data(video: Video) -> dict:
    return {
        "id": video.pk,
        "slug": video.slug,
        "title": video.title,
        "url": absolute(video.get_absolute_url()),
        "artists": [artist.name for artist in video.artists.all()],
    }


def product_data(product) -> dict:
    return {
        "id": product.pk,
        "slug": product.slug,
        "upc": product.upc,
        "brand": product.brand,
        "name": product.name,
        "url": absolute(product.get_absolute_url()),
    }


def offer_data(offer: Offer, before: dict) -> dict:
    return {
        "id": offer.pk,
        "product": product_data(offer.product),
        "retailer": {"slug": offer.retailer.slug, "name": offer.retailer.name},
        "url": offer.url,
        "price": offer.price,
        "currency": offer.currency,
        "availability": offer.availability,
        "link_status": offer.link_status,
        "previous": {
            "price": before.get("price"),
            "currency": before.get("currency"),
            "availability": before.get("availability"),
            "link_status": before.get("link_status"),
        },
    }


def look_data(row) -> dict:
    if isinstance(row, Appearance):
        scene = row.scene
        video = scene.video
        scene_data = {
            "id": scene.pk,
            "title": scene.title,
            "start_seconds": scene.start_seconds,
            "url": absolute(scene.get_absolute_url()),
        }
    else:
        video, scene_data = row.video, None
    return {
        "video": {"id": video.pk, "slug": video.slug, "title": video.title},
        "scene": scene_data,
        "product": product_data(row.product),
    }


# Videos


def videos_published(video_ids) -> None:
    """Stamp and announce videos that have just been published."""
    Video.objects.filter(pk__in=video_ids).update(published_at=timezone.now())
    announce_videos(video_ids)


def announce_videos(video_ids) -> None:
    for video in Video.objects.filter(pk__in=video_ids).prefetch_related("artists"):
        webhooks.emit(WebhookEvent.VIDEO_PUBLISHED, video_data(video))


def read_offer_before(sender, instance, raw, **kwargs):
    instance.__dict__.pop(BEFORE, None)
    if raw or instance._state.adding:
        return
    instance.__dict__[BEFORE] = (
        Offer._base_manager.filter(pk=instance.pk).values(*OFFER_FIELDS).first() or {}
    )


def keep_video_status_before(sender, instance, raw, **kwargs):
    """Copy the status that the published flag's receiver read from the row (no query).

    catalog.signals reads it before every save that can change the status; a save that
    cannot (update_fields without status) leaves nothing, and is no publication.
    """
    before = instance.__dict__.get(published_flag.BEFORE)
    instance.__dict__[BEFORE] = dict(before) if before is not None else None


def video_saved(sender, instance, created, raw, **kwargs):
    before = instance.__dict__.pop(BEFORE, None)
    if raw or not instance.is_published or (before is None and not created):
        return
    if created or before.get("status") != Video.Status.PUBLISHED:
        pk = instance.pk
        Video.objects.filter(pk=pk).update(published_at=timezone.now())
        transaction.on_commit(lambda: announce_videos([pk]))


# Looks


def in_published_video(look) -> bool:
    # Read from the database: the instance's video may have been published since it loaded.
    video_id = look.scene.video_id if isinstance(look, Appearance) else look.video_id
    return Video.objects.published().filter(pk=video_id).exists()


def look_saved(sender, instance, created, raw, **kwargs):
    # After commit: the saving transaction pays no query for it, and a rolled-back change
    # is never announced.
    if not raw:
        event = WebhookEvent.LOOK_PUBLISHED if created else WebhookEvent.LOOK_CHANGED
        transaction.on_commit(lambda: announce_look(event, instance))


def look_deleted(sender, instance, origin=None, **kwargs):
    transaction.on_commit(lambda: announce_look(WebhookEvent.LOOK_CHANGED, instance, True))


def announce_look(event, look, removed=False) -> None:
    """Emit a look event when the look's video is published (and still there)."""
    try:
        if not in_published_video(look):
            return
        data = look_data(look)
    except ObjectDoesNotExist:
        return  # its scene or video went with it
    webhooks.emit(event, {**data, "removed": True} if removed else data)


# Offers


def offer_saved(sender, instance, created, raw, **kwargs):
    before = instance.__dict__.pop(BEFORE, None)
    if raw or created or not before:
        return
    offer_changed(instance, before)


def offer_changed(offer: Offer, before: dict) -> None:
    """Tell webhooks and alerts what changed on an offer."""
    price_changed = (offer.price, offer.currency) != (before["price"], before["currency"])
    back_in_stock = (
        offer.availability == Offer.Availability.IN_STOCK
        and before["availability"] != Offer.Availability.IN_STOCK
    )
    broke = offer.link_status in FAILED_STATUSES and before["link_status"] not in FAILED_STATUSES
    limit = settings.CATALOG_OFFER_MAX_FAILED_CHECKS
    health_changed = (offer.failed_checks >= limit) != (before["failed_checks"] >= limit)
    if not (price_changed or back_in_stock or broke or health_changed) and (
        offer.availability == before["availability"]
    ):
        return
    if offer.product.is_published:
        events = [
            (price_changed, WebhookEvent.OFFER_PRICE_CHANGED),
            (back_in_stock, WebhookEvent.OFFER_BACK_IN_STOCK),
            (broke, WebhookEvent.OFFER_LINK_BROKEN),
        ]
        for happened, event in events:
            if happened:
                webhooks.emit(event, offer_data(offer, before))
    if ProductAlert.objects.filter(product_id=offer.product_id, is_active=True).exists():
        from .tasks import evaluate_alerts

        product_id, offer_id = offer.product_id, offer.pk
        old = {"price": before["price"], "availability": before["availability"]}
        transaction.on_commit(lambda: evaluate_alerts.delay(product_id, offer_id, old))


def connect() -> None:
    pre_save.connect(read_offer_before, sender=Offer, dispatch_uid="integration_offer_before")
    pre_save.connect(
        keep_video_status_before, sender=Video, dispatch_uid="integration_video_before"
    )
    post_save.connect(video_saved, sender=Video, dispatch_uid="integration_video_saved")
    post_save.connect(offer_saved, sender=Offer, dispatch_uid="integration_offer_saved")
    for model in (Appearance, VideoProduct):
        post_save.connect(look_saved, sender=model, dispatch_uid=f"integration_look_{model}")
        post_delete.connect(
            look_deleted, sender=model, dispatch_uid=f"integration_look_deleted_{model}"
        )
