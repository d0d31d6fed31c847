"""Keep `Product.is_published` in step with the rows it is derived from.

The flag is a stored copy of `product_is_published()`, so it changes when a video is
published or unpublished, a scene moves to another video, or an appearance or a product
shown with a video is added, changed or deleted. Deletes that cascade (a video takes its
scenes, their appearances and its video products with it) send post_delete for every row,
so the receivers on the rows that name a product see them all.

Receivers are the one home for this because every writer (admin forms, the API, the
import resources, the shell) goes through save() and delete(); the writers that do not
refresh for themselves: `set_video_status()` for bulk status updates, and load_demo and
generate_catalog, which write raw rows.
"""

from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from .models import Appearance, Product, Scene, Video, VideoProduct, product_ids_in_videos

# The fields whose old values a receiver needs, per model; kept on the instance at load.
TRACKED = {
    Video: ("status",),
    Scene: ("video_id",),
    Appearance: ("product_id", "scene_id"),
    VideoProduct: ("product_id", "video_id"),
}
MISSING = object()


def refresh_products(product_ids) -> None:
    product_ids = {product_id for product_id in product_ids if product_id is not None}
    if product_ids:
        Product.objects.filter(pk__in=product_ids).refresh_published()


def remember(instance) -> None:
    instance._published_flag_state = {
        name: instance.__dict__.get(name, MISSING) for name in TRACKED[type(instance)]
    }


def previous(instance, name):
    """Return the value `name` had when `instance` was loaded or last saved, or MISSING."""
    return getattr(instance, "_published_flag_state", {}).get(name, MISSING)


def changed(instance, name) -> bool:
    return previous(instance, name) != getattr(instance, name)


def on_init(sender, instance, **kwargs):
    remember(instance)


def video_saved(sender, instance, created, raw, **kwargs):
    # A new video has no scenes or products yet; they refresh when they are added.
    if not raw and not created and changed(instance, "status"):
        refresh_products(product_ids_in_videos([instance.pk]))
    remember(instance)


def scene_saved(sender, instance, created, raw, **kwargs):
    if not raw and not created and changed(instance, "video_id"):
        refresh_products(instance.appearances.values_list("product_id", flat=True))
    remember(instance)


def product_row_saved(sender, instance, created, raw, **kwargs):
    """An appearance or a video product: its product, and the one it named before."""
    if not raw and (created or any(changed(instance, name) for name in TRACKED[sender])):
        old_product = previous(instance, "product_id")
        refresh_products({instance.product_id, None if old_product is MISSING else old_product})
    remember(instance)


def product_row_deleted(sender, instance, origin=None, **kwargs):
    # Deleting the product itself cascades here too; its flag goes with it.
    origin_model = origin.model if isinstance(origin, QuerySet) else type(origin)
    if origin_model is not Product:
        refresh_products({instance.product_id})


def video_products_added(sender, instance, action, reverse, pk_set, **kwargs):
    """`video.products.add()` bulk-creates its rows; remove() and clear() delete each one."""
    if action == "post_add":
        refresh_products({instance.pk} if reverse else pk_set)


def connect() -> None:
    for model in TRACKED:
        post_init.connect(on_init, sender=model, dispatch_uid=f"published_flag_init_{model}")
    post_save.connect(video_saved, sender=Video, dispatch_uid="published_flag_video")
    post_save.connect(scene_saved, sender=Scene, dispatch_uid="published_flag_scene")
    for model in (Appearance, VideoProduct):
        post_save.connect(
            product_row_saved, sender=model, dispatch_uid=f"published_flag_saved_{model}"
        )
        post_delete.connect(
            product_row_deleted, sender=model, dispatch_uid=f"published_flag_deleted_{model}"
        )
    m2m_changed.connect(
        video_products_added, sender=VideoProduct, dispatch_uid="published_flag_m2m"
    )
