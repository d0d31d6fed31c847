"""Presentation helpers for the storefront's templates: links, time codes and JSON-LD."""

import json
from datetime import timedelta
from urllib.parse import urlencode

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from catalog.models import Offer, format_timecode

register = template.Library()

# The characters json_script escapes, so that no value can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

SCHEMA_AVAILABILITY = {
    Offer.Availability.IN_STOCK: "https://schema.org/InStock",
    Offer.Availability.OUT_OF_STOCK: "https://schema.org/OutOfStock",
}


@register.filter
def timecode(value):
    """M:SS (H:MM:SS past an hour), whole seconds: one format on every shopper's page."""
    if value is None:
        return ""
    return format_timecode(timedelta(seconds=int(value.total_seconds())))


@register.filter
def json_ld(value):
    """Render `value` as a <script type="application/ld+json"> element."""
    text = json.dumps(value, cls=DjangoJSONEncoder).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.simple_tag(takes_context=True)
def absolute(context, path):
    """Return `path` as an absolute URL on the host this page was requested from."""
    request = context.get("request")
    return request.build_absolute_uri(path) if request else path


@register.simple_tag
def go_url(offer, video=None, scene=None):
    """Return the click-out link of an offer, crediting the video and scene it came from."""
    url = reverse("storefront:go", kwargs={"offer_id": offer.pk})
    params = {}
    # Templates pass "" for a video or scene missing from their context.
    if scene:
        params["scene"] = scene.pk
    if video:
        params["video"] = video.pk
    return f"{url}?{urlencode(params)}" if params else url


def _iso_duration(value):
    seconds = round(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{seconds}S"


@register.simple_tag(takes_context=True)
def video_schema(context, video, scenes, source):
    """Return schema.org VideoObject data with a Clip per scene."""
    request = context["request"]
    page = request.build_absolute_uri(video.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": video.title,
        "description": video.description or f"{video.title}: shop the looks.",
        "url": page,
        "uploadDate": (video.release_date or video.created_at.date()).isoformat(),
    }
    if video.thumbnail:
        data["thumbnailUrl"] = [request.build_absolute_uri(video.thumbnail.url)]
    if video.duration:
        data["duration"] = _iso_duration(video.duration)
    if source is not None:
        if source.provider == "youtube":
            data["embedUrl"] = f"https://www.youtube.com/embed/{source.external_id}"
        elif source.provider == "vimeo":
            data["embedUrl"] = f"https://player.vimeo.com/video/{source.external_id}"
        elif source.playback_url:
            data["contentUrl"] = request.build_absolute_uri(source.playback_url)
    artists = list(video.artists.all())
    if artists:
        data["actor"] = [{"@type": "Person", "name": artist.name} for artist in artists]
    data["hasPart"] = [
        {
            "@type": "Clip",
            "name": scene.title or str(scene),
            "startOffset": int(scene.start_seconds),
            "endOffset": int(scene.end_seconds),
            "url": f"{page}?t={int(scene.start_seconds)}",
        }
        for scene in scenes
    ]
    return data


@register.simple_tag(takes_context=True)
def product_schema(context, product, offers):
    """Return schema.org Product data with its offers."""
    request = context["request"]
    page = request.build_absolute_uri(product.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "brand": {"@type": "Brand", "name": product.brand},
        "gtin": product.upc,
        "url": page,
        "category": product.product_type.name,
    }
    if product.description:
        data["description"] = product.description
    images = [request.build_absolute_uri(image.image.url) for image in product.images.all()]
    if images:
        data["image"] = images
    data["offers"] = [
        {
            "@type": "Offer",
            "price": str(offer.price),
            "priceCurrency": offer.currency,
            "availability": SCHEMA_AVAILABILITY.get(
                offer.availability, "https://schema.org/LimitedAvailability"
            ),
            "seller": {"@type": "Organization", "name": offer.retailer.name},
            "url": page,
        }
        for offer in offers
    ]
    return data


@register.simple_tag(takes_context=True)
def converted(context, amount, currency):
    """Beside a price: "≈ €93, rate of 3 Dec" in the shopper's display currency, or ""."""
    from storefront.currency import converted_label

    target = context.get("display_currency", "")
    if not target or amount is None:
        return ""
    return converted_label(amount, currency, target, context.get("fx_rates"))
