"""The synthetic catalog's shape: sizes and presets, invented words, and small helpers."""

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.utils.text import slugify

SYNTHETIC_PREFIX = "syn-"
PRODUCT_PICTURE = "synthetic/product.png"
VIDEO_PICTURE = "synthetic/video.png"
DEFAULT_BATCH_SIZE = 5000
# Field types whose Python value the database driver does not take as it is.
CONVERTED_TYPES = {"DateField", "DateTimeField", "DecimalField", "DurationField"}

# Shape of the catalog around the sizes asked for: a few cast members per video, two
# products seen per scene and two shown with each video, one picture per product.
CAST_PER_VIDEO = (2, 4)
APPEARANCES_PER_SCENE = 2
PRODUCTS_PER_VIDEO = 2
FEATURED_ARTIST_SHARE = 0.2
PUBLISHED_SHARE = 0.85
FEATURED_SHARE = 0.01


class SyntheticCatalogError(Exception):
    """The catalog cannot be made or removed as asked; the message says why."""


@dataclass(frozen=True)
class CatalogSize:
    artists: int
    videos: int
    scenes: int
    products: int
    offers: int
    retailers: int

    def problems(self) -> list[str]:
        """Return why this size cannot be generated, in plain sentences."""
        problems = [f"--{name} must not be negative." for name, n in asdict(self).items() if n < 0]
        if problems:
            return problems
        if self.videos and not self.artists:
            problems.append("Videos need at least one artist (--artists).")
        if self.scenes and not self.videos:
            problems.append("Scenes need at least one video (--videos).")
        if self.offers and not (self.products and self.retailers):
            problems.append("Offers need products and retailers (--products, --retailers).")
        if self.offers > self.products * self.retailers:
            problems.append(
                "A product has at most one offer per retailer, so --offers can be at most "
                f"--products × --retailers ({self.products * self.retailers:,})."
            )
        return problems


PRESETS = {
    "small": CatalogSize(
        artists=20, videos=200, scenes=2_000, products=2_000, offers=10_000, retailers=20
    ),
    "medium": CatalogSize(
        artists=100, videos=2_000, scenes=20_000, products=20_000, offers=100_000, retailers=50
    ),
    # The scale of issue 2.
    "full": CatalogSize(
        artists=1_000,
        videos=20_000,
        scenes=200_000,
        products=200_000,
        offers=1_000_000,
        retailers=200,
    ),
}


class Progress:
    """What the generator reports to: a bar per table. This one shows nothing."""

    def start(self, label: str, total: int) -> Callable[[int], None]:
        return lambda n: None

    def finish(self) -> None:
        pass


@dataclass
class TableReport:
    label: str
    rows: int
    seconds: float


# Word lists: invented names, so that no synthetic row reads like a real artist or brand.
FIRST_NAMES = (  # noqa: SIM905 - a block of words reads better than a column
    "Ada Alba Ari Bea Cal Cleo Dax Eli Ezra Faye Gia Hal Ines Ivo Jade Juno Kai Kit Lea Leo "
    "Lux Mae Milo Nia Noor Odo Oli Pax Quin Rae Remy Rio Sol Tae Teo Uma Val Vic Wren Xan "
    "Yara Zed Zia"
).split()
LAST_NAMES = (  # noqa: SIM905 - a block of words reads better than a column
    "Arden Bell Calloway Dune Ember Fable Grove Harlow Ivory Jett Kestrel Lark Meadow Nettle "
    "Onyx Pike Quarry Reed Sable Thorne Umber Vale Wilder Yew Zephyr Ash Brook Crane Drake "
    "Finch Gale Heath Isle Juniper Knoll Linden Marsh North Oak Pine Ridge Stone Tide Vane"
).split()
TITLE_WORDS = (  # noqa: SIM905 - a block of words reads better than a column
    "Neon Midnight Velvet Golden Electric Paper Silver Broken Wild Lucid Hollow Crystal "
    "Summer Winter Echo Fever Satellite Ocean Desert Ghost Honey Diamond Thunder Rose Glass "
    "Paradise Signal Mirror Cherry Static Dream River Highway Comet Shadow Fire Magic Cloud "
    "Disco Heart Runaway Tokyo Berlin Lagos Lima Seoul Nights Lights Waves Hearts Lovers"
).split()
ROLES = (
    "Lead",
    "Love interest",
    "Best friend",
    "Dancer",
    "Guitarist",
    "Drummer",
    "Backing singer",
    "Bartender",
    "Driver",
    "Stranger",
    "Rival",
    "DJ",
)
SCENE_TITLES = ("Intro", "Verse", "Chorus", "Bridge", "Dance break", "Close-up", "Outro")
BRANDS = (
    "Arlo & Finch",
    "Atelier Bramble",
    "Cinder Co.",
    "Dovetail",
    "Eastwind",
    "Fernhill",
    "Gilded Fox",
    "Harbor Supply",
    "Indigo Row",
    "Juniper Lane",
    "Kiln Works",
    "Loomstate",
    "Marlowe",
    "Northbound",
    "Oakhide",
    "Pellucid",
    "Quillon",
    "Redwing Lab",
    "Saltmarsh",
    "Tidewater",
    "Umbra",
    "Vesper",
    "Wayfarer Goods",
    "Yarrow",
    "Zenith Studio",
)
COLORS = "Black White Navy Olive Rust Cream Charcoal Burgundy Camel Teal Blush".split()  # noqa: SIM905
MATERIALS = "Leather Denim Linen Wool Silk Cotton Suede Corduroy Satin".split()  # noqa: SIM905
TYPE_NOUNS = {
    "shirt": ("Shirt", "Oxford Shirt", "Camp Shirt"),
    "jeans": ("Jeans", "Slim Jeans", "Wide Jeans"),
    "dress": ("Dress", "Slip Dress", "Midi Dress"),
    "jacket": ("Jacket", "Bomber", "Biker Jacket"),
    "shoe": ("Sneakers", "Boots", "Loafers"),
    "hat": ("Cap", "Bucket Hat", "Beanie"),
    "accessory": ("Belt", "Scarf", "Gloves"),
    "top": ("Top", "Tank", "Crop Top"),
    "trousers": ("Trousers", "Cargo Pants", "Chinos"),
    "skirt": ("Skirt", "Mini Skirt", "Pleated Skirt"),
    "shorts": ("Shorts", "Cycling Shorts"),
    "coat": ("Coat", "Trench", "Parka"),
    "knitwear": ("Sweater", "Cardigan", "Turtleneck"),
    "bag": ("Tote", "Crossbody Bag", "Backpack"),
    "jewellery": ("Necklace", "Rings", "Earrings"),
    "eyewear": ("Sunglasses", "Frames"),
}
RETAILER_WORDS = (  # noqa: SIM905 - a block of words reads better than a column
    "Northwind Meridian Lantern Harbour Atlas Copper Foundry Orchard Summit Beacon Canvas "
    "Drift Ember Fjord Gallery Haven Keystone Loft Mosaic Parlour"
).split()
RETAILER_SUFFIXES = ("Outfitters", "Store", "Market", "Supply", "Collective", "Emporium")
# Most retailers sell in dollars; a few elsewhere, so currency handling is exercised.
CURRENCIES = (("USD", 70), ("EUR", 15), ("GBP", 10), ("CAD", 3), ("JPY", 2))
LINK_TEMPLATES = (
    ("", 50),
    ("{url}?utm_source=inspired&utm_medium=synthetic", 30),
    ("https://go.example.net/click?id=123&url={url_encoded}", 20),
)
YOUTUBE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def weighted(rng: random.Random, pairs) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


@lru_cache(maxsize=65_536)
def cached_slug(text: str) -> str:
    """slugify() is slow for what it does; the generator slugs the same words over again."""
    return slugify(text)


def split_evenly(rng: random.Random, total: int, parts: int) -> list[int]:
    """Return `parts` counts that add up to `total`, differing by at most one."""
    if not parts:
        return []
    base, extra = divmod(total, parts)
    counts = [base] * parts
    for index in rng.sample(range(parts), extra):
        counts[index] += 1
    return counts
