"""The studio page and its JSON endpoints, under /admin/catalog/video/<id>/studio/.

Adapters only: they parse the request, call catalog/studio/services.py, catalog/review.py
or catalog/services.py, and answer JSON. A refused change answers 400 with the reason
({"error": ..., "fields": {...}}), a stale one 409, a forbidden one 403; never a 500.
"""

import json
import math
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from .. import review
from ..ingest.images import resolve_image
from ..models import (
    Appearance,
    CastMember,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Video,
    VideoSource,
)
from ..services import NestedValidationError, create_product
from . import services

STUDIO_PERMISSIONS = [
    "catalog.change_video",
    "catalog.add_scene",
    "catalog.change_scene",
    "catalog.delete_scene",
    "catalog.add_castmember",
    "catalog.change_castmember",
    "catalog.add_appearance",
    "catalog.change_appearance",
    "catalog.delete_appearance",
]
PRODUCT_PERMISSIONS = ["catalog.add_product", "catalog.add_offer"]
SEARCH_LIMIT = 20
BAD_JSON = "The request body must be a JSON object."


class BadRequest(Exception):
    pass


def can_use_studio(user) -> bool:
    return user.is_active and user.is_staff and user.has_perms(STUDIO_PERMISSIONS)


def studio_video(request, object_id) -> Video:
    if not can_use_studio(request.user):
        raise PermissionDenied
    return get_object_or_404(Video, pk=object_id)


# Reading


def product_json(product: Product) -> dict:
    images = product.images.all()
    return {
        "id": product.pk,
        "brand": product.brand,
        "name": product.name,
        "upc": product.upc,
        "style": product.style.name,
        "type": product.product_type.name,
        "image": images[0].image.url if images else "",
    }


PRODUCT_BUNDLE = ("product__product_type", "product__style")


def timeline_state(video: Video) -> dict:
    """Everything the studio shows, in a fixed number of queries whatever the video's size."""
    scenes = video.scenes.order_by("start").prefetch_related(
        Prefetch("cast_members", queryset=CastMember.objects.only("pk")),
        Prefetch(
            "appearances",
            queryset=Appearance.objects.select_related(*PRODUCT_BUNDLE)
            .prefetch_related(
                Prefetch("product__images", ProductImage.objects.order_by("position", "id"))
            )
            .order_by("position", "id"),
        ),
    )
    source = video.sources.order_by("-is_primary", "id").first()
    return {
        "video": {
            "id": video.pk,
            "title": video.title,
            "status": video.status,
            "status_label": video.get_status_display(),
            "version": video.version,
            "duration": video.duration.total_seconds() if video.duration else None,
        },
        "source": source_json(source),
        "cast": [
            {"id": m.pk, "name": m.name, "performer_name": m.performer_name}
            for m in video.cast_members.order_by("name")
        ],
        "scenes": [
            {
                "id": scene.pk,
                "title": scene.title,
                "start": scene.start_seconds,
                "end": scene.end_seconds,
                "label": str(scene),
                "cast": [member.pk for member in scene.cast_members.all()],
                "looks": [
                    {
                        "id": look.pk,
                        "match": look.match,
                        "cast_member": look.cast_member_id,
                        "product": product_json(look.product),
                    }
                    for look in scene.appearances.all()
                ],
            }
            for scene in scenes
        ],
    }


def source_json(source: VideoSource | None) -> dict | None:
    if source is None:
        return None
    return {
        "provider": source.provider,
        "external_id": source.external_id,
        "url": source.playback_url,
        "offset": source.offset.total_seconds(),
    }


def studio_config(request, video: Video) -> dict:
    base = reverse("admin:catalog_video_studio", args=[video.pk])
    return {
        "urls": {
            "state": base + "state/",
            "edit": base + "edit/",
            "products": base + "products/",
            "retailers": base + "retailers/",
            "create_product": base + "products/new/",
            "status": base + "status/",
            "preview": video.get_absolute_url(),
            "change": reverse("admin:catalog_video_change", args=[video.pk]),
        },
        "players": static("storefront/js/players.js"),
        "can_create_products": request.user.has_perms(PRODUCT_PERMISSIONS),
        "statuses": [
            {"value": value, "label": Video.Status(value).label}
            for value in review.allowed_statuses(video.status, request.user)
        ],
        "matches": [{"value": v, "label": label} for v, label in Appearance.Match.choices],
        "types": list(ProductType.objects.order_by("name").values("id", "name")),
        "styles": list(ProductStyle.objects.order_by("position", "name").values("id", "name")),
        "currency": settings.CATALOG_CURRENCY,
        "state": timeline_state(video),
    }


def studio_page(request, object_id, model_admin):
    video = studio_video(request, object_id)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Video._meta,
        "original": video,
        "title": f"Studio: {video.title}",
        "config": studio_config(request, video),
        "source": video.sources.order_by("-is_primary", "id").first(),
    }
    return TemplateResponse(request, "admin/catalog/video/studio.html", context)


@require_GET
def state_view(request, object_id):
    return JsonResponse(timeline_state(studio_video(request, object_id)))


@require_GET
def product_search(request, object_id):
    """Products by brand, name or UPC; a UPC or an exact id first."""
    studio_video(request, object_id)
    query = request.GET.get("q", "").strip()[:100]
    if not query:
        return JsonResponse({"results": []})
    condition = Q(upc=query) | Q(name__icontains=query) | Q(brand__icontains=query)
    words = query.split()
    if len(words) > 1:
        both = Q()
        for word in words:
            both &= Q(name__icontains=word) | Q(brand__icontains=word)
        condition |= both
    products = (
        Product.objects.filter(condition)
        .select_related("product_type", "style")
        .prefetch_related(Prefetch("images", ProductImage.objects.order_by("position", "id")))
        .order_by("brand", "name", "id")[:SEARCH_LIMIT]
    )
    return JsonResponse({"results": [product_json(product) for product in products]})


@require_GET
def retailer_search(request, object_id):
    studio_video(request, object_id)
    query = request.GET.get("q", "").strip()[:100]
    retailers = Retailer.objects.order_by("name")
    if query:
        retailers = retailers.filter(name__icontains=query)
    return JsonResponse({"results": list(retailers.values("id", "name")[:SEARCH_LIMIT])})


# Writing


def read_json(request) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(BAD_JSON) from None
    if not isinstance(data, dict):
        raise BadRequest(BAD_JSON)
    return data


def seconds(value) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest("A time must be a number of seconds.")
    if value < 0:
        raise BadRequest("A time cannot be before the start of the video.")
    # Milliseconds, as the admin's timecodes show them.
    return timedelta(milliseconds=round(value * 1000))


def identifier(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("An id must be a whole number.")
    return value


def optional_identifier(value) -> int | None:
    return None if value in (None, "") else identifier(value)


def text(value) -> str:
    if not isinstance(value, str):
        raise BadRequest("A text must be a string.")
    return value


def flag(value) -> bool:
    if not isinstance(value, bool):
        raise BadRequest("A flag must be true or false.")
    return value


def step(value) -> int:
    if value not in (-1, 1):
        raise BadRequest("A look moves by -1 or 1.")
    return value


def snapshot(value) -> dict:
    if not isinstance(value, dict):
        raise BadRequest("Undo needs the state to go back to.")
    return value


# Each edit's arguments and how to read them; `?` marks the optional ones.
EDIT_ARGUMENTS = {
    "split": {"at": seconds},
    "move_edge": {"scene": identifier, "edge": text, "at": seconds},
    "rename": {"scene": identifier, "title": text},
    "merge": {"scene": identifier},
    "delete_scene": {"scene": identifier},
    "set_duration": {"seconds": seconds},
    "add_cast": {"name": text, "performer_name?": text, "scene?": optional_identifier},
    "set_scene_cast": {"scene": identifier, "cast_member": identifier, "present": flag},
    "add_look": {
        "scene": identifier,
        "product": identifier,
        "cast_member?": optional_identifier,
        "match?": text,
    },
    "change_look": {"appearance": identifier, "cast_member?": optional_identifier, "match?": text},
    "move_look": {"appearance": identifier, "by": step},
    "remove_look": {"appearance": identifier},
    "restore": {"snapshot": snapshot},
}


def parse_edit(data: dict) -> tuple[int, str, dict]:
    edit = data.get("edit")
    if edit not in EDIT_ARGUMENTS:
        raise BadRequest("Unknown edit.")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise BadRequest("The edit must name the version it was made on.")
    given = data.get("args") or {}
    if not isinstance(given, dict):
        raise BadRequest(BAD_JSON)
    spec = {
        name.rstrip("?"): (parse, name.endswith("?"))
        for name, parse in EDIT_ARGUMENTS[edit].items()
    }
    unknown = set(given) - set(spec)
    if unknown:
        raise BadRequest(f"Unknown argument: {sorted(unknown)[0]}.")
    args = {}
    for name, (parse, optional) in spec.items():
        if name in given:
            args[name] = parse(given[name])
        elif not optional:
            raise BadRequest(f"Missing argument: {name}.")
    return version, edit, args


def refused(exc: ValidationError, status=400, **extra) -> JsonResponse:
    if isinstance(exc, NestedValidationError):
        return JsonResponse({"error": exc.message, "fields": exc.detail, **extra}, status=status)
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
        first = next(iter(fields.values()))[0]
        return JsonResponse({"error": first, "fields": fields, **extra}, status=status)
    return JsonResponse({"error": " ".join(exc.messages), "fields": {}, **extra}, status=status)


def answer_errors(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return JsonResponse({"error": str(exc), "fields": {}}, status=400)
        except PermissionDenied as exc:
            message = str(exc) or "You may not do this."
            return JsonResponse({"error": message, "fields": {}}, status=403)

    return wrapped


@require_POST
@answer_errors
def edit_view(request, object_id):
    video = studio_video(request, object_id)
    version, edit, args = parse_edit(read_json(request))
    try:
        services.edit_timeline(video_id=video.pk, version=version, edit=edit, args=args)
    except services.StaleVersion as exc:
        video.refresh_from_db()
        return refused(exc, status=409, state=timeline_state(video))
    except ValidationError as exc:
        return refused(exc)
    video.refresh_from_db()
    return JsonResponse(timeline_state(video))


@require_POST
@answer_errors
def status_view(request, object_id):
    video = studio_video(request, object_id)
    status = read_json(request).get("status")
    if status not in Video.Status.values:
        raise BadRequest("Unknown status.")
    try:
        video = review.change_status(video=video, status=status, user=request.user)
    except ValidationError as exc:
        return refused(exc)
    return JsonResponse(
        {
            "status": video.status,
            "status_label": video.get_status_display(),
            "statuses": [
                {"value": value, "label": Video.Status(value).label}
                for value in review.allowed_statuses(video.status, request.user)
            ],
        }
    )


PRODUCT_FIELDS = {"brand", "name", "upc", "slug", "product_type", "style", "description"}
OFFER_FIELDS = {"retailer", "url", "price", "currency", "availability"}


@require_POST
@answer_errors
def create_product_view(request, object_id):
    """Create a product with its picture (fetched from a URL) and first offer."""
    studio_video(request, object_id)
    if not request.user.has_perms(PRODUCT_PERMISSIONS):
        raise PermissionDenied("You may not add products.")
    data = read_json(request)
    fields = {name: data[name] for name in PRODUCT_FIELDS & data.keys()}
    if any(not isinstance(value, str | int) for value in fields.values()):
        raise BadRequest("Product fields are texts or ids.")
    for relation in ("product_type", "style"):
        fields[f"{relation}_id"] = optional_identifier(fields.pop(relation, None))
    fields.setdefault("slug", "")
    offer = data.get("offer") or {}
    if not isinstance(offer, dict):
        raise BadRequest(BAD_JSON)
    offer = {name: offer[name] for name in OFFER_FIELDS & offer.keys()}
    offer["retailer_id"] = optional_identifier(offer.pop("retailer", None))
    try:
        if not fields["slug"]:
            fields["slug"] = product_slug(fields)
        images = []
        image_url = data.get("image_url") or ""
        if image_url:
            images = [{"image": resolve_image(text(image_url), store=True)}]
        product = create_product(images=images, offers=[offer], **fields)
    except ValidationError as exc:
        return refused(exc)
    product = (
        Product.objects.select_related("product_type", "style")
        .prefetch_related("images")
        .get(pk=product.pk)
    )
    return JsonResponse(product_json(product), status=201)


def product_slug(fields: dict) -> str:
    base = slugify(f"{fields.get('brand', '')} {fields.get('name', '')}")[:180] or "product"
    slug, number = base, 2
    while Product.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def studio_urls(model_admin) -> list:
    def wrap(view):
        return model_admin.admin_site.admin_view(view)

    def page(request, object_id):
        return studio_page(request, object_id, model_admin)

    return [
        path("<int:object_id>/studio/", wrap(page), name="catalog_video_studio"),
        path("<int:object_id>/studio/state/", wrap(state_view), name="catalog_video_studio_state"),
        path("<int:object_id>/studio/edit/", wrap(edit_view), name="catalog_video_studio_edit"),
        path(
            "<int:object_id>/studio/products/",
            wrap(product_search),
            name="catalog_video_studio_products",
        ),
        path(
            "<int:object_id>/studio/products/new/",
            wrap(create_product_view),
            name="catalog_video_studio_create_product",
        ),
        path(
            "<int:object_id>/studio/retailers/",
            wrap(retailer_search),
            name="catalog_video_studio_retailers",
        ),
        path(
            "<int:object_id>/studio/status/",
            wrap(status_view),
            name="catalog_video_studio_status",
        ),
    ]
