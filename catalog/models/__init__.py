"""The catalog's models, one module per concern; import them from `catalog.models`.

- `base`: the timestamps every row carries.
- `videos`: artists, videos and their sources, scenes, cast, and the looks
  (`VideoProduct`, `Appearance`) that tie products to videos.
- `products`: types, styles, products, their images and search terms, and the published
  rule.
- `offers`: retailers and their offers.
- `clicks`: click-throughs and the dashboard's roll-ups.
- `linkhealth`: the link checker's visits and the offers' price history.
- `alerts`: shoppers' price and stock alerts, their mails, the weekly digest opt-in.
- `webhooks`: integrators' endpoints and the delivery log.
- `apitokens`: retailer-scoped API tokens.
- `fx`: the ECB's exchange rates.
- `ingest`: feed imports uploaded in the admin, run by a background worker.
"""

from .alerts import AlertNotification, DigestSubscription, ProductAlert
from .apitokens import RetailerToken
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
from .fx import ExchangeRate
from .ingest import ImportJob
from .linkhealth import OfferCheck, PriceHistory
from .offers import Offer, Retailer, apply_link_template
from .products import (
    Product,
    ProductImage,
    ProductSearchTerm,
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
from .webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "NEGATIVE_PRICE",
    "ROLLUP_NONE",
    "URL_MAX_LENGTH",
    "AlertNotification",
    "Appearance",
    "Artist",
    "CastMember",
    "Click",
    "ClickDaily",
    "ClickDailyTotal",
    "ClickRollupState",
    "DigestSubscription",
    "ExchangeRate",
    "ImportJob",
    "Offer",
    "OfferCheck",
    "PriceHistory",
    "Product",
    "ProductAlert",
    "ProductImage",
    "ProductSearchTerm",
    "ProductStyle",
    "ProductType",
    "Retailer",
    "RetailerToken",
    "Scene",
    "SlugKeyedQuerySet",
    "TimeStampedModel",
    "TimeStampedQuerySet",
    "Video",
    "VideoProduct",
    "VideoSource",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "apply_link_template",
    "calendar_cover",
    "format_timecode",
    "of_published_product",
    "product_ids_in_videos",
    "product_is_published",
]
