"""Catalog writes that span rows or must survive races: the API and feed sync call these."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction

from .caching import bump_catalog_version
from .models import Offer, Product, ProductImage, Retailer, Video, product_ids_in_videos


class NestedValidationError(ValidationError):
    """Errors of a row and of the rows created with it, shaped like the input.

    `detail` is e.g. {"offers": {"1": {"price": ["A price cannot be negative."]}}}: the
    failing rows by their index in the input, as DRF reports nested list errors. A flat
    Django ValidationError cannot express that.
    """

    def __init__(self, detail: Mapping[str, Any]):
        super().__init__("Some of the rows are invalid.", code="invalid_rows")
        self.detail = dict(detail)


def constraint_field(constraint: models.BaseConstraint) -> str:
    """Return the field a constraint violation is best reported against.

    A unique constraint over (product, retailer) is about the last field, the one a writer
    chooses within the first; a check constraint such as end > start is about the field on
    its left-hand side, and so is a conditional unique constraint (one primary source).
    """
    condition = getattr(constraint, "condition", None)
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields and not condition:
        return constraint.fields[-1]
    while isinstance(condition, models.Q) and condition.children:
        condition = condition.children[0]
    if isinstance(condition, tuple):
        return condition[0].split("__")[0]
    return NON_FIELD_ERRORS


def without_generic_url_errors(
    instance: models.Model, errors: dict[str, list[ValidationError]]
) -> dict[str, list[ValidationError]]:
    """Drop Django's "Enter a valid URL." from URL fields whose own validator failed too.

    A model URLField runs Django's URLValidator before the validators it is given. The
    catalog's validate_http_url accepts less (http and https only), so a value that fails
    Django's fails it as well, and its message says what to write: both would report one
    problem twice. The admin never shows both, because its form field refuses the value
    before the model's validators run.
    """
    url_fields = {
        field.name for field in instance._meta.fields if isinstance(field, models.URLField)
    }
    for name in url_fields & errors.keys():
        specific = [error for error in errors[name] if error.message != URLValidator.message]
        if specific:
            errors[name] = specific
    return errors


def validate_instance(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Run the model's own validation, reporting constraint violations against a field."""
    exclude = set(exclude)
    errors: dict[str, list] = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        errors = without_generic_url_errors(instance, exc.update_error_dict(errors))
    for constraint in instance._meta.constraints:
        field = constraint_field(constraint)
        if field in exclude or field in errors:
            continue
        try:
            constraint.validate(type(instance), instance, exclude=exclude)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


def save_instance(
    instance: models.Model, *, exclude: Iterable[str] = (), validated: bool = False
) -> models.Model:
    """Validate and save one row; a race lost to a concurrent writer is a ValidationError.

    Validation and INSERT are two statements, so a concurrent request can commit the same
    UPC in between. The database constraint then refuses the row; validating again sees the
    winner's row and reports the field, instead of the IntegrityError becoming a 500.
    Pass `validated=True` when the caller has just validated the instance.
    """
    if not validated:
        validate_instance(instance, exclude=exclude)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        if instance._state.adding:
            instance.pk = None
        validate_instance(instance, exclude=exclude)
        raise ValidationError(
            "This conflicts with a row saved at the same moment; try again.", code="conflict"
        ) from exc
    return instance


@transaction.atomic
def create_product(
    *,
    images: Iterable[Mapping[str, Any]] = (),
    offers: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> Product:
    """Create a product with its images and offers: all of them are saved, or none."""
    product = save_instance(Product(**fields))
    detail: dict[str, dict[str, dict]] = {}
    for key, model, rows in (("images", ProductImage, images), ("offers", Offer, offers)):
        for index, row in enumerate(rows):
            try:
                save_instance(model(product=product, **row))
            except ValidationError as exc:
                detail.setdefault(key, {})[str(index)] = exc.message_dict
    if detail:
        raise NestedValidationError(detail)
    return product


def _upsert(model, lookup: Mapping[str, Any], fields: Mapping[str, Any]):
    """Update the row matching `lookup`, or create it; return (row, created)."""
    for _attempt in range(2):
        instance = model.objects.select_for_update().filter(**lookup).first()
        created = instance is None
        if created:
            instance = model(**lookup)
        for name, value in fields.items():
            setattr(instance, name, value)
        try:
            with transaction.atomic():
                validate_instance(instance)
                instance.save()
        except IntegrityError:
            # Another writer created the row between our SELECT and INSERT: update theirs.
            continue
        return instance, created
    raise ValidationError("The row kept changing during the update; try again.", code="conflict")


@transaction.atomic
def upsert_product(
    *,
    upc: str,
    images: Iterable[Mapping[str, Any]] = (),
    offers: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> tuple[Product, bool]:
    """Create or update the product with this UPC (feed sync); return (product, created).

    Its `images` are updated or created by position and its `offers` by retailer, as
    `create_product()` takes them; images and offers not named are left as they are. All
    are saved, or none.
    """
    product, created = _upsert(Product, {"upc": upc}, fields)
    detail: dict[str, dict[str, dict]] = {}
    for index, row in enumerate(images):
        row = dict(row)
        position = row.pop("position", 0)
        try:
            _upsert(ProductImage, {"product": product, "position": position}, row)
        except ValidationError as exc:
            detail.setdefault("images", {})[str(index)] = exc.message_dict
    for index, row in enumerate(offers):
        row = dict(row)
        retailer = row.pop("retailer")
        try:
            _upsert(Offer, {"product": product, "retailer": retailer}, row)
        except ValidationError as exc:
            detail.setdefault("offers", {})[str(index)] = exc.message_dict
    if detail:
        raise NestedValidationError(detail)
    return product, created


@transaction.atomic
def upsert_offer(*, product: Product, retailer: Retailer, **fields: Any) -> tuple[Offer, bool]:
    """Create or update the retailer's offer for a product; return (offer, created)."""
    return _upsert(Offer, {"product": product, "retailer": retailer}, fields)


def set_video_featured(*, videos: models.QuerySet[Video], featured: bool) -> int:
    """Feature or stop featuring `videos` at once; return how many there were.

    A bulk UPDATE sends no signals, so this makes the cached pages stale itself.
    """
    count = videos.update(is_featured=featured)
    bump_catalog_version()
    return count


@transaction.atomic
def set_video_status(*, videos: models.QuerySet[Video], status: str, user=None) -> int:
    """Give `videos` this status at once; return how many changed.

    A bulk UPDATE sends no signals, so this refreshes the published flag and the search
    text (which holds the titles of published videos) of the videos' products itself, in
    the same transaction, and writes their history rows (by `user`). Who may do it is
    catalog/review.py's business; its callers ask it first.
    """
    video_ids = list(videos.exclude(status=status).values_list("pk", flat=True))
    count = Video.objects.filter(pk__in=video_ids).update(status=status)
    Video.history.bulk_history_create(
        list(Video.objects.filter(pk__in=video_ids)), update=True, default_user=user
    )
    bump_catalog_version()  # the UPDATE sends no signals
    if status == Video.Status.PUBLISHED and video_ids:
        from .integrations.events import videos_published

        videos_published(video_ids)
    product_ids = product_ids_in_videos(video_ids)
    if product_ids:
        products = Product.objects.filter(pk__in=product_ids)
        products.refresh_published()
        products.refresh_search()
    return count
