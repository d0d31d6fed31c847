"""sitemap.xml: an index of paged sections, and a video sitemap for video search.

Each section lists at most PAGE_SIZE URLs (the protocol allows 50,000 and 50 MB per file),
read with values_list and written as text: building a model instance and reversing a URL
per row took seconds for the whole catalog. The video sitemap carries Google's video
extension (title, description, thumbnail, duration, the player's or the file's location),
so that videos appear in video search.
"""

from xml.sax.saxutils import escape

from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.urls import reverse

from catalog.models import Artist, Product, Retailer, Video, VideoSource

PAGE_SIZE = 10_000
# A video entry carries a title, a description of up to 2,048 characters, a thumbnail and a
# player: about ten times a plain URL, so its pages hold a tenth as many. A page then costs
# the same on any catalog size; only the number of pages grows.
VIDEO_PAGE_SIZE = 1_000
URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
VIDEO_URLSET = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">'
)
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
PLAYERS = {
    VideoSource.Provider.YOUTUBE: "https://www.youtube.com/embed/{}",
    VideoSource.Provider.VIMEO: "https://player.vimeo.com/video/{}",
}


def _artists():
    published = Video.objects.published().filter(artists=OuterRef("pk"))
    return Artist.objects.filter(Exists(published))


# The paged sections: name → (rows of (slug, updated_at), the detail URL's name).
SECTIONS = {
    "artists": (_artists, "storefront:artist-detail"),
    "videos": (lambda: Video.objects.published(), "storefront:video-detail"),
    "products": (lambda: Product.objects.published(), "storefront:product-detail"),
    "retailers": (lambda: Retailer.objects.all(), "storefront:retailer-detail"),
}
PAGES = ["storefront:home", "storefront:video-list", "storefront:artist-list"]


def url_maker(base: str, name: str):
    """Return slug → absolute URL for a detail view, reversing the pattern once."""
    before, _, after = reverse(name, kwargs={"slug": "0slug0"}).partition("0slug0")
    return lambda slug: f"{base}{before}{slug}{after}"


def page_count(section: str) -> int:
    if section == "pages":
        return 1
    if section == "video":
        return -(-Video.objects.published().count() // VIDEO_PAGE_SIZE) or 1
    rows, _ = SECTIONS[section]
    return -(-rows().count() // PAGE_SIZE) or 1


def sections() -> list[str]:
    return ["pages", *SECTIONS, "video"]


def render_index(base: str) -> str:
    entries = []
    for section in sections():
        for page in range(1, page_count(section) + 1):
            location = reverse("storefront:sitemap-section", args=[section, page])
            entries.append(f"<sitemap><loc>{escape(base + location)}</loc></sitemap>")
    return (
        f'{XML_DECLARATION}<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{''.join(entries)}</sitemapindex>\n"
    )


def render_section(base: str, section: str, page: int) -> str | None:
    """Return one page of a section as XML, or None for a section or page that is not."""
    if section == "pages":
        if page != 1:
            return None
        urls = [f"<url><loc>{escape(base + reverse(name))}</loc></url>" for name in PAGES]
        return f"{XML_DECLARATION}{URLSET}{''.join(urls)}</urlset>\n"
    if section == "video":
        return render_videos(base, page)
    if section not in SECTIONS or page < 1:
        return None
    rows, name = SECTIONS[section]
    location = url_maker(base, name)
    start = (page - 1) * PAGE_SIZE
    values = rows().order_by("pk").values_list("slug", "updated_at")[start : start + PAGE_SIZE]
    urls = [
        f"<url><loc>{escape(location(slug))}</loc><lastmod>{updated.date().isoformat()}"
        "</lastmod></url>"
        for slug, updated in values
    ]
    if not urls and page > 1:
        return None
    return f"{XML_DECLARATION}{URLSET}{''.join(urls)}</urlset>\n"


def _seconds(duration) -> int | None:
    if duration is None:
        return None
    seconds = int(duration.total_seconds())
    return seconds if 1 <= seconds <= 28_800 else None  # Google's accepted range


def render_videos(base: str, page: int) -> str | None:
    """A page of Google's video sitemap: published videos with a thumbnail and a source."""
    if page < 1:
        return None
    start = (page - 1) * VIDEO_PAGE_SIZE
    videos = list(
        Video.objects.published()
        .order_by("pk")
        .values_list("pk", "slug", "title", "description", "thumbnail", "duration")[
            start : start + VIDEO_PAGE_SIZE
        ]
    )
    if not videos and page > 1:
        return None
    sources = {}
    for video_id, provider, external_id, url, file in (
        VideoSource.objects.filter(video__in=[row[0] for row in videos])
        .order_by("video", "-is_primary", "id")
        .values_list("video_id", "provider", "external_id", "url", "file")
    ):
        sources.setdefault(video_id, (provider, external_id, url, file))
    location = url_maker(base, "storefront:video-detail")
    urls = []
    for video_id, slug, title, description, thumbnail, duration in videos:
        source = sources.get(video_id)
        if not thumbnail or source is None:
            continue  # Google needs both
        provider, external_id, url, file = source
        if provider in PLAYERS:
            where = f"<video:player_loc>{escape(PLAYERS[provider].format(external_id))}"
            where += "</video:player_loc>"
        else:
            content = default_storage.url(file) if file else url
            if content.startswith("/"):
                content = base + content
            where = f"<video:content_loc>{escape(content)}</video:content_loc>"
        thumbnail_url = default_storage.url(thumbnail)
        if thumbnail_url.startswith("/"):
            thumbnail_url = base + thumbnail_url
        seconds = _seconds(duration)
        urls.append(
            f"<url><loc>{escape(location(slug))}</loc><video:video>"
            f"<video:thumbnail_loc>{escape(thumbnail_url)}</video:thumbnail_loc>"
            f"<video:title>{escape(title)}</video:title>"
            f"<video:description>{escape((description or title)[:2048])}</video:description>"
            f"{where}"
            + (f"<video:duration>{seconds}</video:duration>" if seconds else "")
            + "</video:video></url>"
        )
    return f"{XML_DECLARATION}{VIDEO_URLSET}{''.join(urls)}</urlset>\n"
