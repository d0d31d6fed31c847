"""The catalog's models, one module per concern; import them from `catalog.models`.

- `base`: the timestamps every row carries.
- `videos`: artists, videos and their sources, scenes, cast, and the looks
  (`VideoProduct`, `Appearance`) that tie products to videos.
- `products`: types, styles, products, their images, and the published rule.
- `offers`: retailers and their offers.
- `clicks`: click-throughs and the dashboard's roll-ups.
- `linkhealth`: the link checker's visits and the offers' price history.
- `ingest`: feed imports uploaded in the admin, run by a background worker.
"""

from .base import (
    NEGATIVE_PRICE,
    URL_MAX_LENGTH,
    SlugKeyedQuerySet,
    TimeStampedModel,
    TimeStampedQuerySet,
)
from .clicks import (
    ROLLUP_NONE,
    Click,
    ClickDaily,
    ClickDailyTotal,
    ClickRollupState,
    calendar_cover,
)
from .ingest import ImportJob
from .linkhealth import OfferCheck, PriceHistory
from .offers import Offer, Retailer
from .products import (
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    of_published_product,
    product_ids_in_videos,
    product_is_published,
)
from .videos import (
    Appearance,
    Artist,
    CastMember,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
    format_timecode,
)

__all__ = [
    "NEGATIVE_PRICE",
    "ROLLUP_NONE",
    "URL_MAX_LENGTH",
    "Appearance",
    "Artist",
    "CastMember",
    "Click",
    "ClickDaily",
    "ClickDailyTotal",
    "ClickRollupState",
    "ImportJob",
    "Offer",
    "OfferCheck",
    "PriceHistory",
    "Product",
    "ProductImage",
    "ProductStyle",
    "ProductType",
    "Retailer",
    "Scene",
    "SlugKeyedQuerySet",
    "TimeStampedModel",
    "TimeStampedQuerySet",
    "Video",
    "VideoProduct",
    "VideoSource",
    "calendar_cover",
    "format_timecode",
    "of_published_product",
    "product_ids_in_videos",
    "product_is_published",
]
