"""Keep the products' derived columns in step with the rows they are derived from.

`Product.from_price` (with its currency and rank) is a stored copy of the product's
cheapest buyable offer, so it changes when an offer is added, changed (price, currency,
availability, a link check's verdict) or deleted, or moves to another product. Bulk
writers that skip save() (the offer feed, load_demo, generate_catalog) call
`refresh_prices()` themselves.

`Product.is_published` is a stored copy of `product_is_published()`, so it changes when a video is
published or unpublished, a scene moves to another video, or an appearance or a product
shown with a video is added, changed or deleted. Deletes that cascade (a video takes its
scenes, their appearances and its video products with it) send post_delete for every row,
so the receivers on the rows that name a product see them all.

Receivers are the one home for this because every writer (admin forms and inlines, the
API, the import resources, the shell) goes through save() and delete(). The writers that
bypass them refresh for themselves: `set_video_status()` (a bulk UPDATE of the status),
the product feed's bulk path, and load_demo and generate_catalog (raw rows; raw saves
are skipped here).

The stored search text (`catalog/search.py`) of a product holds the titles of its
published videos and their artists' names, so it follows the same rows as the flag,
plus renames: of the product's type or style, of a video, of an artist, and a video's
artists changing.
"""

from django.apps import apps
from django.db.models import QuerySet
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)

from . import search
from .caching import bump_catalog_version
from .models import (
    Appearance,
    Artist,
    Offer,
    Product,
    ProductStyle,
    ProductType,
    Scene,
    Video,
    VideoProduct,
    product_ids_in_videos,
)

# The fields whose old values decide what to refresh, per model.
TRACKED = {
    Video: ("status", "title", "description"),
    Scene: ("video",),
    Appearance: ("product", "scene"),
    VideoProduct: ("product", "video"),
    Offer: ("product",),
    Artist: ("name", "first_name", "last_name"),
    ProductType: ("name",),
    ProductStyle: ("name",),
}
BEFORE = "_published_flag_before"
PRODUCTS_OF_DELETED = "_published_flag_products"
VIDEOS_OF_ARTIST = "_search_video_ids"
# loaddata sets a raw row's many-to-many fields after saving it, sending m2m_changed.
RAW_SAVE = "_saved_raw"


def refresh_products(product_ids) -> None:
    product_ids = {product_id for product_id in product_ids if product_id is not None}
    if product_ids:
        Product.objects.filter(pk__in=product_ids).refresh_published()
        search.refresh(Product, product_ids)


def refresh_prices(product_ids) -> None:
    product_ids = {product_id for product_id in product_ids if product_id is not None}
    if product_ids:
        Product.objects.filter(pk__in=product_ids).refresh_prices()


def read_row_before_save(sender, instance, raw, update_fields, **kwargs):
    """Keep the tracked columns as the database has them, before the save changes them.

    Read from the row rather than remembered from when the instance was loaded: an
    instance can outlive a bulk update or a refresh_from_db(), and a remembered value
    would then miss a change. One primary-key lookup, only for updates that can change
    a tracked column.
    """
    instance.__dict__.pop(BEFORE, None)
    instance.__dict__[RAW_SAVE] = raw
    if raw or instance._state.adding:
        return
    fields = [sender._meta.get_field(name) for name in TRACKED[sender]]
    if update_fields is not None and not {
        name for field in fields for name in (field.name, field.attname)
    } & set(update_fields):
        return
    columns = [field.attname for field in fields]
    row = sender._base_manager.filter(pk=instance.pk).values(*columns).first()
    instance.__dict__[BEFORE] = row or {}


def changed_columns(instance) -> dict:
    """Return {attname: old value} of the tracked columns that this save changed."""
    before = instance.__dict__.pop(BEFORE, None) or {}
    return {attname: old for attname, old in before.items() if old != getattr(instance, attname)}


def video_saved(sender, instance, created, raw, **kwargs):
    changed = changed_columns(instance)
    if raw:
        return
    if created or {"title", "description"} & changed.keys():
        search.refresh(Video, [instance.pk])
    # A new video has no scenes or products yet; they refresh when they are added.
    if created:
        return
    if "status" in changed:
        refresh_products(product_ids_in_videos([instance.pk]))
    elif "title" in changed and instance.is_published:
        search.refresh(Product, product_ids_in_videos([instance.pk]))


def scene_saved(sender, instance, created, raw, **kwargs):
    if "video_id" in changed_columns(instance) and not (raw or created):
        refresh_products(instance.appearances.values_list("product_id", flat=True))


def product_row_saved(sender, instance, created, raw, **kwargs):
    """An appearance or a video product: its product, and the one it named before."""
    changed = changed_columns(instance)
    if not raw and (created or changed):
        refresh_products({instance.product_id, changed.get("product_id")})


def origin_model(origin):
    """The model whose delete() started a (cascading) delete."""
    return origin.model if isinstance(origin, QuerySet) else type(origin)


def container_deleting(sender, instance, origin=None, **kwargs):
    """Note the products of a video or scene about to go, to refresh once when it is gone.

    Its appearances and video products go first, one post_delete each; refreshing per row
    would be two UPDATEs per row of the cascade.
    """
    if sender is Scene and origin_model(origin) is Video:
        return  # the video notes its scenes' products itself
    if sender is Video:
        product_ids = product_ids_in_videos([instance.pk])
    else:
        product_ids = set(instance.appearances.values_list("product_id", flat=True))
    instance.__dict__[PRODUCTS_OF_DELETED] = product_ids


def container_deleted(sender, instance, **kwargs):
    refresh_products(instance.__dict__.pop(PRODUCTS_OF_DELETED, ()))


def product_row_deleted(sender, instance, origin=None, **kwargs):
    # Deleting the product itself cascades here too, and its flag goes with it; a video
    # or a scene refreshes its products once, after the whole cascade.
    if origin_model(origin) not in (Product, Video, Scene):
        refresh_products({instance.product_id})


def offer_saved(sender, instance, created, raw, **kwargs):
    """Any saved offer may change its product's from price, and the one it belonged to."""
    if not raw:
        refresh_prices({instance.product_id, changed_columns(instance).get("product_id")})


def offer_deleted(sender, instance, origin=None, **kwargs):
    # Deleting the product takes its offers with it, and the from price with them.
    if origin_model(origin) is not Product:
        refresh_prices({instance.product_id})


def video_products_added(sender, instance, action, reverse, pk_set, **kwargs):
    """`video.products.add()` bulk-creates its rows; remove() and clear() delete each one."""
    if action == "post_add":
        refresh_products({instance.pk} if reverse else pk_set)


# Rows shoppers never see: clicks and their roll-ups, the link checker's visits.
NOT_SHOWN = {
    "click",
    "clickdaily",
    "clickdailytotal",
    "clickrollupstate",
    "offercheck",
    "pricehistory",
}


def catalog_written(sender, action="post", **kwargs):
    """Any write shoppers may see makes the cached pages stale (see caching.py)."""
    if action.startswith("pre"):
        return  # m2m_changed's pre_add, pre_remove, pre_clear
    if sender._meta.app_label == "catalog" and sender._meta.model_name not in NOT_SHOWN:
        bump_catalog_version()


# Search texts


def refresh_videos_search(video_ids) -> None:
    """Refresh these videos' search texts and those of their products."""
    video_ids = set(video_ids)
    if video_ids:
        search.refresh(Video, video_ids)
        search.refresh(Product, product_ids_in_videos(video_ids))


def product_saved(sender, instance, raw, **kwargs):
    if not raw:
        search.refresh(Product, [instance.pk])


def artist_saved(sender, instance, created, raw, **kwargs):
    changed = changed_columns(instance)
    if raw or not (created or changed):
        return
    search.refresh(Artist, [instance.pk])
    if "name" in changed and not created:
        refresh_videos_search(instance.videos.values_list("pk", flat=True))


def artist_deleting(sender, instance, **kwargs):
    # Its rows in the videos' artists go without an m2m_changed signal.
    instance.__dict__[VIDEOS_OF_ARTIST] = list(instance.videos.values_list("pk", flat=True))


def artist_deleted(sender, instance, **kwargs):
    refresh_videos_search(instance.__dict__.pop(VIDEOS_OF_ARTIST, ()))


def video_artists_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A video's artists changed, from either side: `video.artists` or `artist.videos`."""
    if not reverse and instance.__dict__.get(RAW_SAVE):
        return  # a fixture's row: whoever loads raw rows refreshes for themselves
    if action == "pre_clear" and reverse:
        instance.__dict__[VIDEOS_OF_ARTIST] = list(instance.videos.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove", "post_clear"):
        if not reverse:
            video_ids = [instance.pk]
        elif action == "post_clear":
            video_ids = instance.__dict__.pop(VIDEOS_OF_ARTIST, ())
        else:
            video_ids = pk_set
        refresh_videos_search(video_ids)


def product_kind_saved(sender, instance, created, raw, **kwargs):
    """A type or a style renamed: its products' texts hold its name."""
    if "name" in changed_columns(instance) and not (raw or created):
        field = "product_type" if sender is ProductType else "style"
        Product.objects.filter(**{field: instance}).refresh_search()


def connect() -> None:
    for model in apps.get_app_config("catalog").get_models():
        if model._meta.model_name not in NOT_SHOWN:
            post_save.connect(catalog_written, sender=model, dispatch_uid=f"cache_saved_{model}")
            post_delete.connect(
                catalog_written, sender=model, dispatch_uid=f"cache_deleted_{model}"
            )
    m2m_changed.connect(catalog_written, dispatch_uid="cache_m2m")
    for model in TRACKED:
        pre_save.connect(
            read_row_before_save, sender=model, dispatch_uid=f"published_flag_before_{model}"
        )
    post_save.connect(video_saved, sender=Video, dispatch_uid="published_flag_video")
    post_save.connect(scene_saved, sender=Scene, dispatch_uid="published_flag_scene")
    for model in (Appearance, VideoProduct):
        post_save.connect(
            product_row_saved, sender=model, dispatch_uid=f"published_flag_saved_{model}"
        )
        post_delete.connect(
            product_row_deleted, sender=model, dispatch_uid=f"published_flag_deleted_{model}"
        )
    for model in (Video, Scene):
        pre_delete.connect(
            container_deleting, sender=model, dispatch_uid=f"published_flag_deleting_{model}"
        )
        post_delete.connect(
            container_deleted, sender=model, dispatch_uid=f"published_flag_deleted_{model}"
        )
    post_save.connect(offer_saved, sender=Offer, dispatch_uid="from_price_offer_saved")
    post_delete.connect(offer_deleted, sender=Offer, dispatch_uid="from_price_offer_deleted")
    m2m_changed.connect(
        video_products_added, sender=VideoProduct, dispatch_uid="published_flag_m2m"
    )
    post_save.connect(product_saved, sender=Product, dispatch_uid="search_product")
    post_save.connect(artist_saved, sender=Artist, dispatch_uid="search_artist")
    pre_delete.connect(artist_deleting, sender=Artist, dispatch_uid="search_artist_deleting")
    post_delete.connect(artist_deleted, sender=Artist, dispatch_uid="search_artist_deleted")
    m2m_changed.connect(
        video_artists_changed, sender=Video.artists.through, dispatch_uid="search_video_artists"
    )
    for model in (ProductType, ProductStyle):
        post_save.connect(product_kind_saved, sender=model, dispatch_uid=f"search_kind_{model}")
