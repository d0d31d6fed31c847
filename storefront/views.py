"""The shopper-facing pages. Views are adapters: reads come from the catalog's QuerySets."""

import posixpath
import re

from django import forms
from django.conf import settings
from django.contrib.sites.requests import RequestSite
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView
from django.views.static import serve

from catalog.models import (
    Appearance,
    Artist,
    Click,
    Offer,
    Product,
    Retailer,
    Scene,
    Video,
    VideoProduct,
)
from catalog.models.ingest import IMPORTS_FOLDER

from .filters import BrowseFilter
from .models import FollowedArtist
from .sitemaps import SITEMAPS

# Anonymous pages change when curators publish; five minutes keeps them fresh enough.
ANONYMOUS_MAX_AGE = 300


class AnonymousCacheMixin:
    """Let browsers and shared caches keep anonymous visitors' pages for a while.

    Pages of signed-in people are private; so is any response that sets a cookie (a CSRF
    token, a session), which a shared cache must never hand to somebody else.
    """

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD"):
            return response
        # Reading request.user touches the session, so the middleware adds Vary: Cookie.
        anonymous = not request.user.is_authenticated
        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(lambda r: _patch_cache(r, anonymous))
        else:
            _patch_cache(response, anonymous)
        return response


def _patch_cache(response, anonymous):
    patch_vary_headers(response, ["Cookie"])
    if response.status_code != 200 or not anonymous or response.cookies:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=ANONYMOUS_MAX_AGE)
    return response


def artists_with_videos():
    """Return the artists with at least one published video, by name."""
    published = Video.objects.published().filter(artists=OuterRef("pk"))
    return Artist.objects.filter(Exists(published)).order_by("name")


class HomeView(AnonymousCacheMixin, TemplateView):
    """Context: featured_videos, newest_videos, artists; for a signed-in person also
    followed_videos (the newest videos of the artists they follow)."""

    template_name = "storefront/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        videos = Video.objects.published().for_listing()
        context["featured_videos"] = videos.featured().order_by("-release_date", "title")[:6]
        context["newest_videos"] = videos.order_by("-release_date", "title")[:8]
        context["artists"] = artists_with_videos()[:12]
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


def parse_start(value):
    """Return the ?t= start in whole seconds, or 0 when it is missing or not a time."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0
    if seconds != seconds or seconds < 0 or seconds > 86_400:
        return 0
    return int(seconds)


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
        video = self.object
        products = list(Product.objects.in_video(video).for_listing())
        by_id = {product.pk: product for product in products}
        scenes = list(video.scenes.all())
        for scene in scenes:
            scene.panel_items = [
                (appearance, by_id[appearance.product_id])
                for appearance in scene.appearances.all()
                if appearance.product_id in by_id
            ]
        start = parse_start(self.request.GET.get("t"))
        current = next((s for s in scenes if s.start_seconds <= start < s.end_seconds), None)
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
            looks=sorted(
                products, key=lambda p: (p.style.position, p.style.name, p.brand, p.name)
            ),
        )
        return context


class ProductDetailView(AnonymousCacheMixin, DetailView):
    """Context: product, offers (healthy, cheapest first), best_offer, appearances
    (the scenes it is seen in), videos, related (same type, same videos, other products).
    """

    template_name = "storefront/product_detail.html"
    context_object_name = "product"

    def get_queryset(self):
        offers = Offer.objects.healthy().select_related("retailer").order_by("price", "id")
        return (
            Product.objects.visible_to(self.request.user)
            .for_listing()
            .prefetch_related(Prefetch("offers", queryset=offers, to_attr="listed_offers"))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        product = self.object
        visible_videos = Video.objects.visible_to(self.request.user)
        shown = VideoProduct.objects.filter(video=OuterRef("pk"), product=product)
        seen = Appearance.objects.filter(scene__video=OuterRef("pk"), product=product)
        videos = list(
            visible_videos.filter(Q(Exists(shown)) | Q(Exists(seen)))
            .for_listing()
            .order_by("-release_date", "title")
        )
        video_ids = [video.pk for video in videos]
        related_shown = VideoProduct.objects.filter(product=OuterRef("pk"), video__in=video_ids)
        related_seen = Appearance.objects.filter(
            product=OuterRef("pk"), scene__video__in=video_ids
        )
        context.update(
            offers=product.listed_offers,
            best_offer=next(iter(product.shoppable_offers), None),
            appearances=(
                Appearance.objects.filter(product=product, scene__video__in=visible_videos)
                .select_related("scene__video", "cast_member")
                .order_by("-scene__video__release_date", "scene__video__title", "scene__start")
            ),
            videos=videos,
            related=(
                Product.objects.filter(product_type=product.product_type)
                .exclude(pk=product.pk)
                .filter(Q(Exists(related_shown)) | Q(Exists(related_seen)))
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
    dicts with slug, name, count, selected), sort, sort_choices, artists (for the artist
    choice), is_filtered.
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
        return self.filter.qs.for_listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        valid = not self.filter.is_bound or self.filter.is_valid()
        context.update(
            filter=self.filter,
            facets=self.filter.facets() if valid else {},
            sort=self.filter.sort_value(),
            sort_choices=BrowseFilter.SORT_CHOICES,
            artists=artists_with_videos().only("slug", "name"),
            # Filtered lists are near-duplicates of the full one; search engines skip them.
            is_filtered=any(key != "page" for key in self.request.GET),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        if self.filter.is_bound and not self.filter.is_valid():
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=100, required=False, strip=True)


class SearchView(AnonymousCacheMixin, TemplateView):
    """One box across artists, videos and products.

    Context: form, query, artists, videos, products (each capped; empty without a query).
    """

    template_name = "storefront/search.html"
    limit = 12

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        context.update(form=form, query=query, artists=[], videos=[], products=[])
        if query:
            context.update(
                artists=artists_with_videos().filter(name__icontains=query)[: self.limit],
                videos=(
                    Video.objects.published()
                    .filter(Q(title__icontains=query) | Q(artists__name__icontains=query))
                    .distinct()
                    .for_listing()
                    .order_by("-release_date", "title")[: self.limit]
                ),
                products=(
                    Product.objects.published()
                    .filter(Q(name__icontains=query) | Q(brand__icontains=query))
                    .for_listing()
                    .order_by("brand", "name")[: self.limit * 2]
                ),
            )
        return context

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
            .for_listing()
            .order_by("brand", "name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retailer"] = self.retailer
        return context


# Click-through to retailers


def visitor_hash(request) -> str:
    """Return a daily, salted hash of the visitor: counts unique clicks, keeps no raw IP."""
    ip = request.META.get("REMOTE_ADDR", "")
    agent = request.META.get("HTTP_USER_AGENT", "")[:512]
    day = timezone.now().date().isoformat()
    return salted_hmac(
        "storefront.click.visitor", f"{ip}|{agent}|{day}", algorithm="sha256"
    ).hexdigest()


def _id_param(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@never_cache
@require_safe
def go(request, offer_id):
    """Record a "Buy at <retailer>" click and send the shopper to the offer's stored URL.

    The target is always the offer's own URL with its retailer's link template applied:
    nothing in the request can change where the redirect goes.
    """
    offer = get_object_or_404(
        Offer.objects.select_related("retailer", "product").filter(
            product__in=Product.objects.visible_to(request.user)
        ),
        pk=offer_id,
    )
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
    if request.method == "GET":
        # HEAD requests come from link checkers and previews, not shoppers.
        Click.objects.create(
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


# Search engines


@require_safe
def sitemap(request):
    """Serve sitemap.xml with this request's host, not the sites framework's placeholder."""
    site = RequestSite(request)
    urls = []
    for section in SITEMAPS.values():
        urls.extend(section().get_urls(site=site, protocol=request.scheme))
    response = TemplateResponse(
        request, "sitemap.xml", {"urlset": urls}, content_type="application/xml"
    )
    patch_cache_control(response, public=True, max_age=ANONYMOUS_MAX_AGE)
    return response


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
