"""How an image reference in an import (a media path or an http(s) URL) becomes a
stored file, fetched through the link checker's guard."""

import hashlib
import io
import posixpath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ..linkhealth import fetcher
from ..models import ProductImage
from .cells import split_list

# Where images fetched from a URL are stored, named by a hash of that URL so that
# importing the same file again finds the file it stored last time instead of fetching.
IMPORTED_IMAGES_DIR = "products/imported"


def image_reference_is_url(reference: str) -> bool:
    return reference.lower().startswith(("http://", "https://"))


def clean_storage_path(reference: str) -> str:
    """Return a stored file's name from a path relative to the media storage."""
    path = posixpath.normpath(reference.replace("\\", "/"))
    if reference.startswith("/") or path.startswith("..") or path in {".", ""}:
        raise ValidationError(
            f"“{reference}” is not a path inside the media storage.", code="image_path_outside"
        )
    if not default_storage.exists(path):
        raise ValidationError(f"No stored file “{path}”.", code="image_path_missing")
    return path


def imported_image_name(url: str, extension: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"{IMPORTED_IMAGES_DIR}/{digest}.{extension}"


IMAGE_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


def image_extension(content: bytes) -> str:
    """Return the file extension of an image's bytes, or raise if they are no image."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: refuse both, since
        # a few kilobytes of compressed pixels can stand for gigabytes once decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
                kind = image.format
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ValidationError(
            f"The image is too large to open (more than {Image.MAX_IMAGE_PIXELS:,} pixels).",
            code="image_too_many_pixels",
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError("The file is not an image.", code="image_invalid") from error
    if kind not in IMAGE_EXTENSIONS:
        raise ValidationError(f"{kind} images are not accepted.", code="image_format")
    return IMAGE_EXTENSIONS[kind]


def resolve_image(reference: str, *, store: bool) -> str:
    """Return the stored name for an image reference: a media path or an http(s) URL.

    A URL is fetched through the guarded fetcher. With `store` false (the preview), the
    image is fetched and checked but nothing is written to the storage.
    """
    if not image_reference_is_url(reference):
        return clean_storage_path(reference)
    for extension in IMAGE_EXTENSIONS.values():
        name = imported_image_name(reference, extension)
        if default_storage.exists(name):
            return name
    content = download(reference)
    name = imported_image_name(reference, image_extension(content))
    if store:
        # The name is derived from the URL; a rolled-back import leaves the file behind
        # for the next attempt to reuse, never a second copy.
        default_storage.save(name, ContentFile(content))
    return name


def download(url: str) -> bytes:
    """Return the body at `url`, fetched through the link checker's SSRF guard."""
    try:
        response = fetcher.fetch(url)
    except (fetcher.LinkRefused, fetcher.FetchError) as error:
        raise ValidationError(f"Could not fetch {url}: {error}", code="image_fetch") from error
    if response.status != 200:
        raise ValidationError(
            f"Could not fetch {url}: the server answered {response.status}.", code="image_fetch"
        )
    if response.truncated:
        raise ValidationError(f"The image at {url} is too large.", code="image_too_large")
    return response.body


def product_image_names(product) -> list[str]:
    """Return the stored names of a product's images, featured first."""
    images = sorted(product.images.all(), key=lambda image: (image.position, image.pk))
    return [image.image.name for image in images]


def replace_product_images(product, names: list[str]) -> None:
    """Make `names`, in order, the product's images; alt texts of kept images stay."""
    alt_texts = {image.image.name: image.alt_text for image in product.images.all()}
    product.images.all().delete()
    ProductImage.objects.bulk_create(
        ProductImage(
            product=product,
            image=name,
            alt_text=alt_texts.get(name) or f"Photo of {product}",
            position=position,
        )
        for position, name in enumerate(names)
    )
    if hasattr(product, "_prefetched_objects_cache"):
        product._prefetched_objects_cache.pop("images", None)


def resolve_images(value, *, store: bool) -> list[str]:
    """Return the stored names for a cell of image references, or raise every problem."""
    names, problems = [], []
    for reference in split_list(value):
        try:
            names.append(resolve_image(reference, store=store))
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError(problems)
    if len(set(names)) != len(names):
        raise ValidationError("The same image is listed twice.", code="image_twice")
    return names
