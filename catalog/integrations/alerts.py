"""Price-drop and back-in-stock alerts: evaluation with hysteresis, mails, unsubscribing,
and the weekly digest of followed artists' new videos."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from inspired_site import mail

from ..models import AlertNotification, DigestSubscription, Offer, ProductAlert, Video
from .fx import latest_rates

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "catalog.alerts.unsubscribe"
DIGEST_EVERY = timedelta(days=7)


# Unsubscribe links: signed, no sign-in needed, one click


def unsubscribe_token(kind: str, pk: int) -> str:
    """`kind` is "alert" (one alert) or "digest" (the weekly digest of a user)."""
    return signing.dumps([kind, pk], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[str, int] | None:
    try:
        kind, pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if kind not in {"alert", "digest"} or not isinstance(pk, int):
        return None
    return kind, pk


def unsubscribe(token: str) -> bool:
    """Switch off what the token names; return False for a bad token."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        return False
    kind, pk = parsed
    if kind == "alert":
        ProductAlert.objects.filter(pk=pk).update(is_active=False)
    else:
        DigestSubscription.objects.filter(user_id=pk).update(weekly_digest=False)
    return True


def unsubscribe_url(kind: str, pk: int) -> str:
    path = reverse("storefront:unsubscribe", kwargs={"token": unsubscribe_token(kind, pk)})
    return settings.SITE_URL + path


def send_mail(*, to: str, subject: str, template: str, context: dict, unsubscribe: str) -> None:
    """Send a text and HTML mail with one-click unsubscribe headers (RFC 8058)."""
    context = {**context, "unsubscribe_url": unsubscribe, "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"catalog/mail/{template}.txt", context),
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"catalog/mail/{template}.html", context), "text/html"
    )
    mail.send_after_commit(message)


# Creating alerts


def current_state(product_id: int, currency: str):
    """Return the cheapest healthy in-stock offer's (price in `currency`, offer), or None."""
    rates = latest_rates()
    best = None
    offers = (
        Offer.objects.filter(product_id=product_id)
        .shoppable()
        .select_related("retailer", "product")
    )
    for offer in offers:
        price = rates.convert(offer.price, offer.currency, currency)
        if price is not None and (best is None or price < best[0]):
            best = (price, offer)
    return best


def condition(alert: ProductAlert, best) -> tuple[bool, bool]:
    """Return (met, clearly not met) for an alert and the product's best offer."""
    if alert.kind == ProductAlert.Kind.BACK_IN_STOCK:
        return best is not None, best is None
    if best is None:
        return False, True
    margin = Decimal(str(1 + settings.CATALOG_ALERT_REARM_MARGIN))
    return best[0] <= alert.target_price, best[0] > alert.target_price * margin


@transaction.atomic
def create_alert(*, user, product, kind: str, target_price=None, currency="") -> ProductAlert:
    """Create or re-activate `user`'s alert; armed unless it would fire at once."""
    currency = currency or settings.CATALOG_CURRENCY
    alert, _ = ProductAlert.objects.update_or_create(
        user=user,
        product=product,
        kind=kind,
        defaults={
            "target_price": target_price if kind == ProductAlert.Kind.PRICE_BELOW else None,
            "currency": currency,
            "is_active": True,
        },
    )
    met, _ = condition(alert, current_state(product.pk, currency))
    alert.armed = not met
    alert.save(update_fields=["armed", "updated_at"])
    return alert


# Evaluating


def evaluate_product(product_id: int, *, changed_offer_id=None, before=None) -> int:
    """Fire the product's armed alerts whose condition now holds; re-arm the others.

    Returns how many alerts fired. Called after an offer of the product changed.
    """
    fired = 0
    alerts = ProductAlert.objects.filter(product_id=product_id).active().select_related("user")
    for alert_id in alerts.values_list("pk", flat=True):
        with transaction.atomic():
            alert = (
                ProductAlert.objects.select_for_update()
                .select_related("user", "product")
                .get(pk=alert_id)
            )
            best = current_state(product_id, alert.currency)
            met, clearly_not = condition(alert, best)
            if met and alert.armed:
                fire(alert, best, changed_offer_id, before or {})
                fired += 1
            elif clearly_not and not alert.armed:
                alert.armed = True
                alert.save(update_fields=["armed", "updated_at"])
    return fired


def fire(alert: ProductAlert, best, changed_offer_id, before: dict) -> None:
    price, offer = best
    old_price = old_availability = None
    if offer.pk == changed_offer_id:
        old_price, old_availability = before.get("price"), before.get("availability")
    notification = AlertNotification.objects.create(
        alert=alert,
        offer=offer,
        old_price=old_price,
        new_price=offer.price,
        currency=offer.currency,
        old_availability=old_availability or "",
    )
    alert.armed = False
    alert.last_fired_at = timezone.now()
    alert.save(update_fields=["armed", "last_fired_at", "updated_at"])
    go = reverse("storefront:go", kwargs={"offer_id": offer.pk})
    context = {
        "alert": alert,
        "product": alert.product,
        "offer": offer,
        "retailer": offer.retailer,
        "notification": notification,
        "converted_price": price if alert.currency != offer.currency else None,
        "buy_url": f"{settings.SITE_URL}{go}?alert={alert.pk}",
        "product_url": settings.SITE_URL + alert.product.get_absolute_url(),
    }
    if alert.kind == ProductAlert.Kind.PRICE_BELOW:
        subject = (
            f"Price drop: {alert.product} now {offer.price} {offer.currency} at {offer.retailer}"
        )
    else:
        subject = f"Back in stock: {alert.product} at {offer.retailer}"
    to, unsubscribe_link = alert.user.email, unsubscribe_url("alert", alert.pk)
    transaction.on_commit(
        lambda: send_mail(
            to=to,
            subject=subject,
            template="alert",
            context=context,
            unsubscribe=unsubscribe_link,
        )
    )


# The weekly digest of followed artists' new videos


def set_digest(user, enabled: bool) -> DigestSubscription:
    subscription, _ = DigestSubscription.objects.update_or_create(
        user=user, defaults={"weekly_digest": enabled}
    )
    return subscription


def digest_videos(user, since):
    """Published videos of the artists `user` follows, published after `since`."""
    videos = Video.objects.published().filter(artists__follows__user=user).distinct()
    if since is not None:
        videos = videos.filter(published_at__gt=since)
    return videos.order_by("-published_at", "title")[:20]


def send_due_digests(now=None) -> int:
    """Mail every opted-in shopper whose last digest is a week old; return the mails sent."""
    now = now or timezone.now()
    sent = 0
    due = DigestSubscription.objects.filter(weekly_digest=True).select_related("user")
    for subscription in due:
        if subscription.last_sent_at and subscription.last_sent_at > now - DIGEST_EVERY:
            continue
        since = subscription.last_sent_at or now - DIGEST_EVERY
        videos = list(digest_videos(subscription.user, since))
        subscription.last_sent_at = now
        subscription.save(update_fields=["last_sent_at", "updated_at"])
        if not videos or not subscription.user.email:
            continue
        send_mail(
            to=subscription.user.email,
            subject=f"New videos from artists you follow ({len(videos)})",
            template="digest",
            context={
                "videos": [
                    (video, settings.SITE_URL + video.get_absolute_url()) for video in videos
                ]
            },
            unsubscribe=unsubscribe_url("digest", subscription.user_id),
        )
        sent += 1
    return sent
