"""Anonymous pages served from the server-side cache (Redis when REDIS_URL is set).

A page is cached whole for `PAGE_CACHE_SECONDS`, under a key made of the catalog's version
(`catalog.caching`) and the request's path and query string. Any catalog write that
commits changes the version, so a curator's edit, a publish or a link check that hides an
offer shows at once; the TTL only bounds how long an entry of an old version stays in
memory. Only anonymous GET and HEAD requests without a session or a pending message are
served from or stored in the cache (nor those of a visitor who just wrote, whose reads
stay on the primary database for a few seconds), and only 200 responses that set no
cookie: pages of signed-in people are never shared.

Cached pages carry an ETag (a digest of their content) and a Last-Modified (the time of
the catalog's last change), so browsers revalidate them with a 304.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.http import http_date

from catalog.caching import catalog_changed_at, catalog_version
from inspired_site.db_router import READ_YOUR_WRITES_COOKIE

# How long an anonymous page may be served from the cache (and kept by browsers and
# shared caches: Cache-Control max-age); a catalog change ends it sooner on the server.
PAGE_CACHE_SECONDS = 300

# How long the counts of the large lists (browse's facets and total, a retailer's
# products) are reused, whatever the sort and page; see BrowseFilter.facets().
COUNT_CACHE_SECONDS = 300

KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag", "Link")


def is_shared(request) -> bool:
    """Tell whether this request may be answered with, or fill, a shared cache entry."""
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    if READ_YOUR_WRITES_COOKIE in cookies:  # a visitor who just wrote sees the primary's rows
        return False
    return not request.user.is_authenticated


def page_key(request, version: int) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:{version}:{digest}"


def cached_page(request):
    """Return the cached response for this request, or None (with the key to store it)."""
    version = catalog_version()
    request._page_cache = (page_key(request, version), version)
    entry = cache.get(request._page_cache[0])
    if entry is None:
        return None
    content, headers = entry
    return HttpResponse(content, headers=headers)


def store_page(request, response) -> None:
    """Keep a rendered anonymous page, with its validators, for the next visitors."""
    key, version = getattr(request, "_page_cache", (None, None))
    if key is None or response.status_code != 200 or response.cookies or response.streaming:
        return
    response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(catalog_changed_at(version).timestamp())
    names = (*KEPT_HEADERS, "ETag", "Last-Modified")
    headers = {name: response[name] for name in names if response.has_header(name)}
    cache.set(key, (response.content, headers), PAGE_CACHE_SECONDS)
