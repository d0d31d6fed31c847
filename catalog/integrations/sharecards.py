"""Share cards: the Open Graph image of a scene's or a product's share URL.

A 1200x630 PNG with the look (up to three product pictures), the video's title and the
moment in it. Drawn with Pillow once per version of its content and kept in
CATALOG_SHARE_CARD_DIR under a name that hashes that content, so a changed look gets a
new card and an unchanged one is never drawn twice.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ..models import Appearance, Product, Scene, format_timecode

WIDTH, HEIGHT = 1200, 630
BACKGROUND, INK, MUTED, ACCENT = "#111318", "#ffffff", "#b8bcc8", "#ff4d6d"


@dataclass
class Card:
    kind: str
    pk: int
    title: str  # the video's title
    moment: str  # "at 1:23"
    caption: str  # what is shown: the products' names
    images: list[str] = field(default_factory=list)  # storage names of product pictures

    def digest(self) -> str:
        text = "|".join(
            [self.kind, str(self.pk), self.title, self.moment, self.caption, *self.images]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _first_image(product) -> str:
    images = sorted(product.images.all(), key=lambda image: (image.position, image.pk))
    return images[0].image.name if images else ""


def scene_card(scene: Scene) -> Card:
    products = [appearance.product for appearance in scene.appearances.all()][:3]
    return Card(
        kind="scene",
        pk=scene.pk,
        title=scene.video.title,
        moment=f"at {format_timecode(scene.start)}",
        caption=", ".join(f"{p.brand} {p.name}" for p in products) or (scene.title or "Scene"),
        images=[name for name in (_first_image(p) for p in products) if name],
    )


def product_card(product: Product) -> Card:
    seen = (
        Appearance.objects.filter(product=product, scene__video__status="published")
        .select_related("scene__video")
        .order_by("-scene__video__release_date", "scene__start")
        .first()
    )
    if seen is not None:
        title, moment = seen.scene.video.title, f"at {format_timecode(seen.scene.start)}"
    else:
        video = product.video_products.filter(video__status="published").select_related("video")
        first = video.first()
        title, moment = (first.video.title if first else "Inspired"), ""
    return Card(
        kind="product",
        pk=product.pk,
        title=title,
        moment=moment,
        caption=f"{product.brand} {product.name}",
        images=[name for name in [_first_image(product)] if name],
    )


def _font(size: int):
    return ImageFont.load_default(size=size)


def _fit(draw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def draw(card: Card) -> Image.Image:
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    # The look: the pictures side by side on the left half.
    tiles = card.images[:3]
    if tiles:
        tile_width = 560 // len(tiles)
        for index, name in enumerate(tiles):
            try:
                with default_storage.open(name) as handle, Image.open(handle) as picture:
                    picture = ImageOps.fit(picture.convert("RGB"), (tile_width - 10, 570))
                    canvas.paste(picture, (30 + index * tile_width, 30))
            except (OSError, ValueError):
                pen.rectangle(
                    (30 + index * tile_width, 30, 20 + (index + 1) * tile_width, 600), fill="#222"
                )
    else:
        pen.rectangle((30, 30, 590, 600), fill="#1d2029")
    left = 630
    pen.text((left, 60), "INSPIRED · SHOP THE LOOK", font=_font(26), fill=ACCENT)
    title_font = _font(56)
    words, lines, line = card.title.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if pen.textlength(candidate, font=title_font) > 540 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    y = 130
    for text in lines[:3]:
        pen.text((left, y), _fit(pen, text, title_font, 540), font=title_font, fill=INK)
        y += 70
    if card.moment:
        pen.text((left, y + 20), card.moment, font=_font(44), fill=ACCENT)
        y += 80
    pen.text((left, y + 40), _fit(pen, card.caption, _font(30), 540), font=_font(30), fill=MUTED)
    return canvas


def card_file(card: Card) -> Path:
    """Return the PNG of `card`, drawing and storing it the first time."""
    folder = Path(settings.CATALOG_SHARE_CARD_DIR)
    path = folder / f"{card.kind}-{card.pk}-{card.digest()}.png"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".card-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as out:
            draw(card).save(out, format="PNG", optimize=True)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
