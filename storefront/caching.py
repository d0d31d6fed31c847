"""Anonymous pages served from the server-side cache (Redis when REDIS_URL is set).

A page is cached whole for `PAGE_CACHE_SECONDS`, under a key made of the request's path,
query string and display currency, together with the catalog's version (`catalog.caching`)
it was built from. Any catalog write that commits changes the version, so a curator's
edit, a publish or a link check that hides an offer shows at once; the TTL only bounds
how long an entry of an old version stays in memory. Only anonymous GET and HEAD requests
without a session or a pending message are served from or stored in the cache (nor those
of a visitor who just wrote, whose reads stay on the primary database for a few seconds),
and only 200 responses that set no cookie: pages of signed-in people are never shared.

`PageCacheMiddleware` answers hits early in the middleware stack, with one cache round
trip (the version and the page together) and before sessions, CSRF and authentication
run; the views that share their pages (`AnonymousCacheMixin`) fill the cache on a miss.
Each process also keeps the pages it served lately (`LocalPages`, bounded in bytes): a
page it holds costs only the read of the version, not the transfer of the page from Redis.

Cached pages carry an ETag (a digest of their content) and a Last-Modified (the time of
the catalog's last change), so browsers revalidate them with a 304.
"""

import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.http import http_date

from catalog.caching import VERSION_KEY, catalog_changed_at, catalog_version
from inspired_site.db_router import READ_YOUR_WRITES_COOKIE

from .currency import display_currency

# How long an anonymous page may be served from the cache (and kept by browsers and
# shared caches: Cache-Control max-age); a catalog change ends it sooner on the server.
PAGE_CACHE_SECONDS = 300

# How long the counts of the large lists (browse's facets and total, a retailer's
# products) are reused, whatever the sort and page; see BrowseFilter.facets().
COUNT_CACHE_SECONDS = 300

# What each process keeps of the pages it served lately, in bytes of content.
LOCAL_PAGES_BYTES = 32 * 1024 * 1024

KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "X-Robots-Tag",
    "Link",
    "Cache-Control",
    "Vary",
)


def may_be_shared(request) -> bool:
    """Tell, from the method and cookies alone, whether the visitor may share pages.

    A visitor without a session cookie is anonymous, so this holds before the session
    and authentication middleware have run.
    """
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    # A visitor who just wrote reads the primary's rows for a few seconds.
    return READ_YOUR_WRITES_COOKIE not in cookies


def is_shared(request) -> bool:
    """Tell whether this request may be answered with, or fill, a shared cache entry."""
    return may_be_shared(request) and not request.user.is_authenticated


def page_key(request) -> str:
    """The cache key of this page: its path and query, and the currency it shows prices in."""
    page = f"{display_currency(request)} {request.get_full_path()}"
    return f"page:{hashlib.sha256(page.encode()).hexdigest()}"


class LocalPages:
    """A process's least-recently-used copies of cache entries, at most `max_bytes` of pages.

    Only a front for the shared cache: an entry is served only if it was built from the
    catalog's current version, which is read from the shared cache on every request, and
    no longer than the shared cache would keep it (PAGE_CACHE_SECONDS after it was built).
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.entries = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[3] + PAGE_CACHE_SECONDS < time.time():
                del self.entries[key]
                self.size -= len(entry[1])
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        size = len(entry[1])
        if size > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[1])
            self.entries[key] = entry
            self.size += size
            while self.size > self.max_bytes:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted[1])

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0


local_pages = LocalPages(LOCAL_PAGES_BYTES)


def cached_page(request):
    """Return the cached response for this request, or None (noting where to store it).

    One round trip reads the catalog's version and the entry (only the version when this
    process holds the entry); an entry built from an older version is a miss.
    """
    key = page_key(request)
    local = local_pages.get(key)
    if local is None:
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or catalog_version()
        entry = found.get(key)
    else:
        version = cache.get(VERSION_KEY) or catalog_version()
        # A stale copy here: another process may have stored the page of this version.
        entry = local if local[0] == version else cache.get(key)
    request._page_cache = (key, version)
    if entry is None or entry[0] != version:
        return None
    if entry is not local:
        local_pages.put(key, entry)
    _, content, headers, _ = entry
    return HttpResponse(content, headers={**headers, "Content-Length": str(len(content))})


def store_page(request, response) -> None:
    """Keep a rendered anonymous page, with its validators, for the next visitors."""
    key, version = getattr(request, "_page_cache", (None, None))
    if key is None or response.status_code != 200 or response.cookies or response.streaming:
        return
    response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
    response["Last-Modified"] = http_date(catalog_changed_at(version).timestamp())
    names = (*KEPT_HEADERS, "ETag", "Last-Modified")
    headers = {name: response[name] for name in names if response.has_header(name)}
    entry = (version, response.content, headers, time.time())
    cache.set(key, entry, PAGE_CACHE_SECONDS)
    local_pages.put(key, entry)


def shares_pages(request) -> bool:
    """Tell whether the view this request goes to serves anonymous pages from the cache."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(getattr(match.func, "view_class", None), "shares_pages", False)


class PageCacheMiddleware:
    """Answer anonymous visitors from the page cache before sessions, CSRF and auth run.

    Only the views that share their pages are looked up, so the API, the admin and the
    accounts pages pay nothing for it. Whatever is not in the cache goes on down the
    stack, where the view renders it and stores it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if may_be_shared(request) and shares_pages(request):
            response = cached_page(request)
            if response is not None:
                return response
        return self.get_response(request)
