"""Shared builders for the API tests (this module holds no tests of its own)."""

import base64
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from django.core.cache import cache
from django.urls import reverse

import pytest
from PIL import Image

from catalog.models import ProductStyle, ProductType

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
)


def png_base64(color="teal") -> str:
    """A tiny PNG as base64, as a JSON client would send an image."""
    buffer = BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttle counts live in the cache; start every test with none."""
    cache.clear()
    yield
    cache.clear()


def api_url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs or None)


def build_catalog(size: int, *, children: int = 3):
    """A published catalog with `size` rows in every table and `children` per parent.

    Every product has `children` images and offers and is seen in a scene; every video has
    `children` sources, scenes, cast members and appearances per scene.
    """
    retailers = RetailerFactory.create_batch(max(size, children))
    for n in range(size):
        ProductType.objects.get_or_create(slug=f"type-{n}", defaults={"name": f"Type {n}"})
        ProductStyle.objects.get_or_create(slug=f"style-{n}", defaults={"name": f"Style {n}"})
    artists = ArtistFactory.create_batch(size)
    videos = []
    for n in range(size):
        video = VideoFactory(artists=artists[n : n + 2])
        videos.append(video)
        for k in range(children):
            VideoSourceFactory(video=video, is_primary=k == 0)
    main = videos[0]
    scenes = [
        SceneFactory(
            video=main, start=timedelta(seconds=10 * n), end=timedelta(seconds=10 * n + 9)
        )
        for n in range(size)
    ]
    cast = [CastMemberFactory(video=main, name=f"Role {n}") for n in range(size)]
    for scene in scenes:
        scene.cast_members.set(cast[:children])
    products = []
    for n in range(size):
        product = ProductFactory()
        products.append(product)
        for k in range(children):
            # A stored name is enough for the API, which only links to the file.
            ProductImageFactory(product=product, position=k, image=f"products/{n}-{k}.png")
            OfferFactory(product=product, retailer=retailers[k], price=Decimal("10.00") + n + k)
        VideoProductFactory(video=videos[n], product=product)
        for k in range(children):
            AppearanceFactory(scene=scenes[(n + k) % size], product=product, cast_member=cast[k])
    return {"videos": videos, "products": products, "scenes": scenes, "artists": artists}
