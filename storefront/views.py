"""The shopper-facing pages. Views are adapters: reads come from the catalog's QuerySets."""

import posixpath
import re
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import cached_property
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView
from django.views.static import serve

from catalog.caching import catalog_version
from catalog.models import (
    Appearance,
    Artist,
    ClickDailyTotal,
    Offer,
    Product,
    Retailer,
    Video,
    product_ids_in_videos,
)
from catalog.models.ingest import IMPORTS_FOLDER

from . import sitemaps
from .caching import (
    COUNT_CACHE_SECONDS,
    PAGE_CACHE_SECONDS,
    is_shared,
    store_page,
)
from .filters import BrowseFilter
from .models import FollowedArtist


class AnonymousCacheMixin:
    """Serve anonymous visitors' pages from the server-side cache and let browsers and
    shared caches keep them for a while (see storefront/caching.py).

    Pages of signed-in people are private; so is any response that sets a cookie (a CSRF
    token, a session), which a shared cache must never hand to somebody else.
    """

    # Read by PageCacheMiddleware, which answers cache hits before the view is reached;
    # the view renders what the cache did not have, and stores it.
    shares_pages = True

    def dispatch(self, request, *args, **kwargs):
        shared = is_shared(request)
        response = super().dispatch(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return response
        # Reading request.user touches the session, so the middleware adds Vary: Cookie.
        anonymous = not request.user.is_authenticated

        def finish(response):
            _patch_cache(response, anonymous)
            if shared:
                store_page(request, response)
            return response

        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(finish)
        else:
            finish(response)
        return response


def _patch_cache(response, anonymous):
    patch_vary_headers(response, ["Cookie"])
    if response.status_code != 200 or not anonymous or response.cookies:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PAGE_CACHE_SECONDS)
    return response


def cached_count(key, queryset):
    """Return a function counting `queryset`, remembered for COUNT_CACHE_SECONDS.

    For the large lists, where counting reads every matching row: the number shown may lag
    a catalog change by that long, the products listed never do.
    """

    def count():
        value = cache.get(key)
        if value is None:
            value = queryset.count()
            cache.set(key, value, COUNT_CACHE_SECONDS)
        return value

    return count


class CountedPaginator(Paginator):
    """A paginator for the large product lists.

    It is told how to count by the view, where a cheaper query says the same. It reads a
    page in two steps: the page's ids from the ordering's index first (OFFSET over index
    entries only), then those rows; in one query MariaDB reads every skipped row in full,
    2 s for a page deep in browse.

    Paging reaches the first MAX_PAGED products of a list, as on the large shops: a page
    costs what its offset costs, so a page of a 200,000-product list may not cost ten
    times one of a 20,000-product list. Beyond them, filters or the opposite sort reach
    the rest (and the sitemap lists every product for search engines).
    """

    MAX_PAGED = 10_000

    def __init__(self, *args, count, **kwargs):
        super().__init__(*args, **kwargs)
        self._count = count

    @cached_property
    def count(self):
        return self._count()

    @cached_property
    def num_pages(self):
        return min(super().num_pages, max(1, -(-self.MAX_PAGED // self.per_page)))

    @property
    def reachable(self):
        """How many products the pages reach."""
        return min(self.count, self.num_pages * self.per_page)

    @property
    def is_truncated(self):
        """Whether the list holds more products than its pages reach."""
        return self.count > self.reachable

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def artists_with_videos():
    """Return the artists with at least one published video, by name."""
    published = Video.objects.published().filter(artists=OuterRef("pk"))
    return Artist.objects.filter(Exists(published)).order_by("name")


def cached_by_version(name, read):
    """Return list(read()), kept in the cache until the catalog changes (or for the TTL)."""
    key = f"{name}:{catalog_version()}"
    rows = cache.get(key)
    if rows is None:
        rows = list(read())
        cache.set(key, rows, PAGE_CACHE_SECONDS)
    return rows


def artist_choices():
    """Return (slug, name) of every artist with a published video, for the artist filter.

    Cached under the catalog's version: the EXISTS per artist reads every artist.
    """
    return cached_by_version(
        "artist-choices", lambda: artists_with_videos().values_list("slug", "name")
    )


def trending_products(days=30, limit=8):
    """Return the published products most clicked over the last `days`, most first.

    Read from the click roll-up, never the raw clicks.
    """
    today = timezone.localdate()
    ranked = ClickDailyTotal.objects.covering(today - timedelta(days=days - 1), today).top(
        ClickDailyTotal.Subject.PRODUCT, limit=limit * 2
    )
    order = [product_id for product_id, _ in ranked]
    by_id = Product.objects.published().filter(pk__in=order).for_listing().in_bulk()
    return [by_id[product_id] for product_id in order if product_id in by_id][:limit]


class HomeView(AnonymousCacheMixin, TemplateView):
    """Context: featured_videos, newest_videos (the others), trending_products (most
    clicked in 30 days), newest_products, artists; for a signed-in person also
    followed_videos (the newest videos of the artists they follow)."""

    template_name = "storefront/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        videos = Video.objects.published().for_listing().order_by("-release_date", "title")
        featured = list(videos.featured()[:6])
        context["featured_videos"] = featured
        # A video shows once: the featured ones are not repeated under "New".
        context["newest_videos"] = videos.exclude(pk__in=[v.pk for v in featured])[:8]
        context["trending_products"] = trending_products()
        # Newest first by id (ids grow as products are made): a walk back along the primary
        # key, where an order by the creation time would sort every published product.
        context["newest_products"] = Product.objects.published().for_browsing().order_by("-pk")[:8]
        context["artists"] = cached_by_version("home-artists", lambda: artists_with_videos()[:12])
        if self.request.user.is_authenticated:
            context["followed_videos"] = (
                FollowedArtist.objects.by(self.request.user)
                .videos()
                .for_listing()
                .order_by("-release_date", "title")[:8]
            )
        return context


class ArtistListView(AnonymousCacheMixin, ListView):
    template_name = "storefront/artist_list.html"
    context_object_name = "artists"
    paginate_by = 48

    def get_queryset(self):
        return artists_with_videos()


class ArtistDetailView(AnonymousCacheMixin, DetailView):
    """Context: artist, videos (the artist's published videos, newest first)."""

    template_name = "storefront/artist_detail.html"
    context_object_name = "artist"

    def get_queryset(self):
        videos = (
            Video.objects.visible_to(self.request.user)
            .for_listing()
            .order_by("-release_date", "title")
        )
        return Artist.objects.prefetch_related(
            Prefetch("videos", queryset=videos, to_attr="listed")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["videos"] = self.object.listed
        return context


class VideoListView(AnonymousCacheMixin, ListView):
    template_name = "storefront/video_list.html"
    context_object_name = "videos"
    paginate_by = 24

    def get_queryset(self):
        return Video.objects.published().for_listing().order_by("-release_date", "title")


CLOCK_TIME = re.compile(r"(?:(\d{1,2}):)?(\d{1,2}):(\d{2})")
UNIT_TIME = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_start(value):
    """Return the ?t= start in whole seconds, or 0 when it is missing or not a time.

    Takes seconds (`65`), a clock time (`1:05`, `1:02:03`) and YouTube's units (`1m05s`).
    """
    value = (value or "").strip().lower()
    if clock := CLOCK_TIME.fullmatch(value):
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        if (minutes > 59 and clock.group(1)) or seconds > 59:
            return 0
        total = hours * 3600 + minutes * 60 + seconds
    elif (units := UNIT_TIME.fullmatch(value)) and any(units.groups()):
        hours, minutes, seconds = (int(part or 0) for part in units.groups())
        total = hours * 3600 + minutes * 60 + seconds
    else:
        try:
            total = float(value)
        except ValueError:
            return 0
        if total != total:  # NaN
            return 0
    if total < 0 or total > 86_400:
        return 0
    return int(total)


def scene_at(scenes, seconds):
    """Return the scene playing at `seconds`; past the last scene's end, the last scene.

    The last scene's products stay on screen when the video ends, and between scenes
    there is none.
    """
    if scenes and seconds >= scenes[-1].end_seconds:
        return scenes[-1]
    return next((s for s in scenes if s.start_seconds <= seconds < s.end_seconds), None)


class VideoDetailView(AnonymousCacheMixin, DetailView):
    """The player, its chapters, the playing scene's products and every look of the video.

    Context: video, source (the primary source or None), scenes (each with
    `panel_items`, a list of (appearance, product)), looks (products ordered by tier for
    `regroup`), start (seconds from ?t=), media_start (the same moment in the source's own
    time), current_scene, player_config (for the player script).
    """

    template_name = "storefront/video_detail.html"
    context_object_name = "video"

    def get_queryset(self):
        return Video.objects.visible_to(self.request.user).for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(player_context(self.object, self.request))
        return context


def player_context(video, request) -> dict:
    """The player, its scenes with their products, and every look of `video`; shared by
    the video page and its embeddable twin."""
    context = {}
    products = list(Product.objects.in_video(video).for_listing())
    by_id = {product.pk: product for product in products}
    scenes = list(video.scenes.all())
    for scene in scenes:
        scene.panel_items = [
            (appearance, by_id[appearance.product_id])
            for appearance in scene.appearances.all()
            if appearance.product_id in by_id
        ]
    start = parse_start(request.GET.get("t"))
    current = scene_at(scenes, start)
    source = next(iter(video.sources.all()), None)
    offset = source.offset.total_seconds() if source else 0
    context.update(
        source=source,
        media_start=int(start + offset),
        player_config={
            "provider": source.provider if source else "",
            "offset": offset,
            "start": start,
            "scenes": [
                {"id": s.pk, "start": s.start_seconds, "end": s.end_seconds} for s in scenes
            ],
        },
        scenes=scenes,
        current_scene=current or (scenes[0] if scenes else None),
        start=start,
        looks=sorted(products, key=lambda p: (p.style.position, p.style.name, p.brand, p.name)),
    )
    return context


class ProductDetailView(AnonymousCacheMixin, DetailView):
    """Context: product, offers (healthy, `best_first()`), best_offer, appearances
    (the scenes it is seen in), videos, related (same type, same videos, other products).
    """

    template_name = "storefront/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        offers = Offer.objects.healthy().select_related("retailer").best_first()
        return (
            Product.objects.visible_to(self.request.user)
            .for_listing()
            .prefetch_related(Prefetch("offers", queryset=offers, to_attr="listed_offers"))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = self.object
        visible_videos = Video.objects.visible_to(self.request.user)
        videos = list(
            visible_videos.showing(product).for_listing().order_by("-release_date", "title")
        )
        video_ids = [video.pk for video in videos]
        context.update(
            offers=product.listed_offers,
            best_offer=next(iter(product.shoppable_offers), None),
            appearances=(
                Appearance.objects.filter(product=product, scene__video__in=video_ids)
                .select_related("scene__video", "cast_member")
                .order_by("-scene__video__release_date", "scene__video__title", "scene__start")
            ),
            videos=videos,
            related=(
                Product.objects.in_videos(video_ids)
                .filter(product_type=product.product_type_id)
                .exclude(pk=product.pk)
                .for_listing()
                .order_by("style__position", "brand", "name")[:8]
                if video_ids
                else []
            ),
        )
        return context


class ProductListView(AnonymousCacheMixin, ListView):
    """Browse: the API's product filters, facet counts, sorting and pages.

    Context: filter (the bound FilterSet), products (the page), facets (name → list of
    dicts with slug, name, count, selected), sort, sort_choices, artists ((slug, name) pairs
    for the artist choice), chosen_artist, is_filtered.
    """

    template_name = "storefront/product_list.html"
    context_object_name = "products"
    paginate_by = 24

    def get_queryset(self):
        base = Product.objects.published()
        self.filter = BrowseFilter(self.request.GET or None, queryset=base, request=self.request)
        if self.filter.is_bound and not self.filter.is_valid():
            # Bad parameters show the form's errors over an empty list, never a 500.
            return Product.objects.none()
        return self.filter.qs.for_browsing()

    def get_paginator(self, queryset, per_page, **kwargs):
        # Counted once per filter for a while: counting reads every matching product.
        key = f"count:{self.filter.cache_key()}"
        return CountedPaginator(queryset, per_page, count=cached_count(key, queryset), **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        valid = not self.filter.is_bound or self.filter.is_valid()
        facets = self.filter.facets() if valid else {}
        artists = artist_choices()
        context.update(
            filter=self.filter,
            facets=facets,
            active_filters=active_filters(self.request.GET, facets, artists) if valid else [],
            sort=self.filter.sort_value(),
            sort_choices=BrowseFilter.SORT_CHOICES,
            artists=artists,
            chosen_artist=self.filter.form["artist"].value() if self.filter.is_bound else "",
            # Filtered lists are near-duplicates of the full one; search engines skip them.
            is_filtered=any(key != "page" for key in self.request.GET),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        if self.filter.is_bound and not self.filter.is_valid():
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


FACET_LEGENDS = {"type": "Type", "style": "Look", "retailer": "Retailer", "brand": "Brand"}


def active_filters(query, facets, artists):
    """Return the browse filters in use as chips: dicts of label and the URL without it.

    `artists` holds (slug, name) pairs.
    """

    def without(name, value):
        kept = [
            (key, item)
            for key, items in query.lists()
            for item in items
            if key != "page" and item != "" and not (key == name and item == value)
        ]
        return "?" + urlencode(kept) if kept else "?"

    chips = []
    for name, legend in FACET_LEGENDS.items():
        names = {entry["slug"]: entry["name"] for entry in facets.get(name, [])}
        for value in query.getlist(name):
            if value:
                chips.append(
                    {"label": f"{legend}: {names.get(value, value)}", "url": without(name, value)}
                )
    artist_names = dict(artists)
    if artist := query.get("artist"):
        chips.append(
            {
                "label": f"Artist: {artist_names.get(artist, artist)}",
                "url": without("artist", artist),
            }
        )
    for name, label in (("min_price", "From"), ("max_price", "Up to")):
        if value := query.get(name):
            chips.append({"label": f"{label} {value}", "url": without(name, value)})
    if query.get("in_stock") == "true":
        chips.append({"label": "In stock only", "url": without("in_stock", "true")})
    if video := query.get("video"):
        chips.append({"label": "In one video", "url": without("video", video)})
    return chips


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=100, required=False, strip=True)
    page = forms.IntegerField(min_value=1, max_value=100, required=False)


class SearchView(AnonymousCacheMixin, TemplateView):
    """One box across artists, videos and products, best match first (`catalog/search.py`).

    Context: form, query, artists and videos (the best few, on the first page), products
    (a page), page, has_next; where there is no query or nothing matches, suggestions:
    popular_videos (featured), popular_artists (theirs) and popular_products (their looks).
    """

    template_name = "storefront/search.html"
    limit = 12
    per_page = 24
    suggested = 6

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET)
        valid = form.is_valid()
        query = form.cleaned_data["q"] if valid else ""
        page = (form.cleaned_data["page"] if valid else None) or 1
        artists, videos, products = [], [], []
        if query:
            if page == 1:
                artists = list(artists_with_videos().search(query)[: self.limit])
                videos = list(Video.objects.published().search(query).for_listing()[: self.limit])
            start = (page - 1) * self.per_page
            # One more than a page tells whether there is a next one, without a count.
            ids = Product.objects.published().search_ids(query, start, start + self.per_page + 1)
            products = Product.objects.for_browsing().in_order_of(ids)
        context.update(
            form=form,
            query=query,
            page=page,
            artists=artists,
            videos=videos,
            products=products[: self.per_page],
            has_next=len(products) > self.per_page,
        )
        if valid and not (artists or videos or products):
            context.update(self.suggestions())
        return context

    def suggestions(self):
        """The curators' featured videos, newest first, their artists and their looks."""
        videos = list(
            Video.objects.published()
            .featured()
            .for_listing()
            .order_by("-release_date", "title")[: self.suggested]
        )
        artists = {artist.pk: artist for video in videos for artist in video.artists.all()}
        product_ids = product_ids_in_videos([video.pk for video in videos])
        return {
            "popular_videos": videos,
            "popular_artists": sorted(artists.values(), key=lambda artist: artist.name),
            "popular_products": (
                Product.objects.published()
                .filter(pk__in=product_ids)
                .for_listing()
                .order_by("style__position", "brand", "name")[: self.per_page // 2]
                if product_ids
                else []
            ),
        }

    def render_to_response(self, context, **response_kwargs):
        if context["form"].errors:
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class RetailerDetailView(AnonymousCacheMixin, ListView):
    """Context: retailer, products (published products it offers, a page of them)."""

    template_name = "storefront/retailer_detail.html"
    context_object_name = "products"
    paginate_by = 24

    def get_queryset(self):
        self.retailer = get_object_or_404(Retailer, slug=self.kwargs["slug"])
        offered = Offer.objects.filter(product=OuterRef("pk"), retailer=self.retailer)
        return (
            Product.objects.published()
            .filter(Exists(offered))
            .for_browsing()
            .order_by("brand", "name", "id")
        )

    def get_paginator(self, queryset, per_page, **kwargs):
        # Counted from the retailer's offers (one per product, a constraint): counting the
        # products above would test every published product of the catalog.
        offers = Offer.objects.filter(retailer=self.retailer, product__is_published=True)
        key = f"count:retailer:{self.retailer.pk}"
        return CountedPaginator(queryset, per_page, count=cached_count(key, offers), **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retailer"] = self.retailer
        return context


# Search engines


def _sitemap_response(request, key, render):
    """Serve sitemap XML from the cache under the catalog's version, rendering it once."""
    base = f"{request.scheme}://{RequestSite(request).domain}"
    key = f"sitemap:{catalog_version()}:{base}:{key}"
    body = cache.get(key)
    if body is None:
        body = render(base)
        if body is None:
            raise Http404("No such sitemap.")
        cache.set(key, body, PAGE_CACHE_SECONDS)
    response = HttpResponse(body, content_type="application/xml")
    patch_cache_control(response, public=True, max_age=PAGE_CACHE_SECONDS)
    return response


@require_safe
def sitemap(request):
    """Serve the sitemap index, on this request's host (never the sites framework's)."""
    return _sitemap_response(request, "index", sitemaps.render_index)


@require_safe
def sitemap_section(request, section, page):
    """Serve one page of a sitemap section (the video sitemap included)."""
    return _sitemap_response(
        request,
        f"{section}:{page}",
        lambda base: sitemaps.render_section(base, section, page),
    )


@require_safe
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("storefront:sitemap"))
    lines = [
        "User-agent: *",
        "Disallow: /go/",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /search/",
        f"Sitemap: {sitemap_url}",
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86_400)
    return response


# Uploaded media, when the site serves them itself (no object storage configured)


RANGE = re.compile(r"bytes=(\d*)-(\d*)")
MEDIA_CHUNK = 64 * 1024


def file_range(handle, start: int, length: int):
    """Yield `length` bytes of `handle` from `start`, a chunk at a time, then close it."""
    try:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(MEDIA_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


@require_safe
def media(request, path):
    """Serve MEDIA_ROOT with the byte ranges browsers need to seek a video.

    Used whenever uploads are on the local disk (with object storage, their URLs point
    there instead). Django's static serve answers every request with the whole file, so a
    <video> could not seek (the demo's chapters would not work); here one range (`bytes=a-b`,
    `a-`, `-n`) answers 206 with just those bytes, streamed, and the file's validators
    (Last-Modified, If-Modified-Since) still apply.
    """
    if posixpath.normpath(path).lstrip("/").startswith(IMPORTS_FOLDER):
        raise Http404("Feed uploads are not media.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Accept-Ranges"] = "bytes"
    if isinstance(response, FileResponse):
        patch_cache_control(response, public=True, max_age=settings.MEDIA_MAX_AGE)
    match = RANGE.fullmatch(request.headers.get("Range", "").strip())
    if not isinstance(response, FileResponse) or not match or not any(match.groups()):
        return response
    size = int(response["Content-Length"])
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:
        start, end = max(size - int(last), 0), size - 1
    handle = response.file_to_stream
    if start > end or start >= size:
        handle.close()
        return HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    partial = StreamingHttpResponse(
        file_range(handle, start, end - start + 1),
        status=206,
        content_type=response["Content-Type"],
    )
    partial["Content-Length"] = str(end - start + 1)
    partial["Content-Range"] = f"bytes {start}-{end}/{size}"
    partial["Accept-Ranges"] = "bytes"
    partial["Last-Modified"] = response["Last-Modified"]
    patch_cache_control(partial, public=True, max_age=settings.MEDIA_MAX_AGE)
    return partial
