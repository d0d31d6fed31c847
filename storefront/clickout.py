"""The click-through to retailers: `/go/<offer>/` records a click and redirects to the
offer's stored URL, credited to the video, scene, alert or embed it came from."""

import re

from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog.analytics.bots import is_automated
from catalog.models import Click, Offer, Product, ProductAlert, Scene, Video
from inspired_site.proxies import client_ip


def visitor_hash(request) -> str:
    """Return a daily, salted hash of the visitor: counts unique clicks, keeps no raw IP."""
    ip = client_ip(request)  # behind the proxy, the shopper's own address
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    day = timezone.now().date().isoformat()
    return salted_hmac(
        "storefront.click.visitor", f"{ip}|{agent}|{day}", algorithm="sha256"
    ).hexdigest()


def _id_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::\d{1,5})?")


def click_channel(request, offer):
    """Return (channel, alert id, embed host) that a click-through is credited to.

    `?alert=<id>` from an alert mail counts when that alert watches this offer's product;
    `?via=embed&host=<name>` comes from the embeddable player on another site.
    """
    alert_id = _id_param(request, "alert")
    if (
        alert_id is not None
        and ProductAlert.objects.filter(pk=alert_id, product_id=offer.product_id).exists()
    ):
        return Click.Channel.ALERT, alert_id, ""
    if request.GET.get("via") == "embed":
        host = request.GET.get("host", "").strip().lower()
        return Click.Channel.EMBED, None, host if HOST_NAME.fullmatch(host) else ""
    return Click.Channel.SITE, None, ""


@never_cache
@require_safe
def go(request, offer_id):
    """Record a "Buy at <retailer>" click and send the shopper to the offer's stored URL.

    The target is always the offer's own URL with its retailer's link template applied:
    nothing in the request can change where the redirect goes. An offer the storefront
    hides (its link failed its checks) sends the shopper back to the product page instead,
    and an offer of a hidden product is not found.
    """
    offer = get_object_or_404(
        Offer.objects.select_related("retailer", "product").filter(
            product__in=Product.objects.visible_to(request.user)
        ),
        pk=offer_id,
    )
    if not offer.is_healthy:
        response = HttpResponseRedirect(offer.product.get_absolute_url())
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
    target = offer.retailer.apply_link_template(offer.url)
    video_id = _id_param(request, "video")
    scene_id = _id_param(request, "scene")
    # Only a published scene or video that really shows this product is credited.
    scene = None
    if scene_id is not None:
        scene = (
            Scene.objects.filter(
                pk=scene_id,
                video__status=Video.Status.PUBLISHED,
                appearances__product=offer.product_id,
            )
            .only("pk", "video_id")
            .first()
        )
    if scene is not None:
        video_id = scene.video_id
    elif video_id is not None:
        shown = Video.objects.published().filter(
            Q(video_products__product=offer.product_id)
            | Q(scenes__appearances__product=offer.product_id),
            pk=video_id,
        )
        if not shown.exists():
            video_id = None
    channel, alert_id, embed_host = click_channel(request, offer)
    if not is_automated(request):
        # HEAD requests, crawlers, link checkers and prefetches are not shoppers.
        Click.objects.create(
            channel=channel,
            alert_id=alert_id,
            embed_host=embed_host,
            offer=offer,
            product_id=offer.product_id,
            retailer_id=offer.retailer_id,
            video_id=video_id,
            scene=scene,
            visitor_hash=visitor_hash(request),
            target_url=target,
        )
    response = HttpResponseRedirect(target)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "origin"
    return response
