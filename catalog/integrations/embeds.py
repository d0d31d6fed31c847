"""oEmbed (https://oembed.com/): a CMS pastes a video page's URL and gets the embeddable
player as a `rich` answer."""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils.html import format_html

from ..models import Video

DEFAULT_WIDTH, DEFAULT_HEIGHT = 960, 400
MIN_WIDTH, MIN_HEIGHT = 320, 240


class NotEmbeddable(Exception):
    """The URL names no published video of this site."""


def site_hosts() -> set[str]:
    hosts = {urlsplit(settings.SITE_URL).netloc.lower()}
    hosts.update(host.lower() for host in settings.ALLOWED_HOSTS if host not in {"*"})
    return hosts


def video_for(url: str) -> Video:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or parts.netloc.lower() not in site_hosts():
        raise NotEmbeddable("Not a URL of this site.")
    try:
        match = resolve(parts.path)
    except Resolver404 as error:
        raise NotEmbeddable("No such page.") from error
    if match.view_name not in {"storefront:video-detail", "storefront:embed-video"}:
        raise NotEmbeddable("Only video pages can be embedded.")
    video = Video.objects.published().prefetch_related("artists").filter(**match.kwargs).first()
    if video is None:
        raise NotEmbeddable("No such video.")
    return video


def size(maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    width = min(DEFAULT_WIDTH, maxwidth) if maxwidth else DEFAULT_WIDTH
    height = min(DEFAULT_HEIGHT, maxheight) if maxheight else DEFAULT_HEIGHT
    return max(width, MIN_WIDTH), max(height, MIN_HEIGHT)


def oembed(url: str, *, maxwidth: int | None = None, maxheight: int | None = None) -> dict:
    """Return the oEmbed `rich` answer for a video page URL, or raise NotEmbeddable."""
    video = video_for(url)
    width, height = size(maxwidth, maxheight)
    src = settings.SITE_URL + reverse("storefront:embed-video", kwargs={"slug": video.slug})
    artists = [artist.name for artist in video.artists.all()]
    data = {
        "version": "1.0",
        "type": "rich",
        "title": video.title,
        "provider_name": "Inspired",
        "provider_url": settings.SITE_URL + "/",
        "cache_age": 3600,
        "width": width,
        "height": height,
        "html": format_html(
            '<iframe src="{}" width="{}" height="{}" title="{}: shop the looks on Inspired" '
            'style="border:0;max-width:100%" allow="autoplay; fullscreen; picture-in-picture" '
            'allowfullscreen loading="lazy"></iframe>',
            src,
            width,
            height,
            video.title,
        ),
    }
    if artists:
        data["author_name"] = ", ".join(artists)
        data["author_url"] = settings.SITE_URL + video.artists.all()[0].get_absolute_url()
    if video.thumbnail:
        data["thumbnail_url"] = settings.SITE_URL + video.thumbnail.url
    return data
