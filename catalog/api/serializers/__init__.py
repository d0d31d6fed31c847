"""What the API shows and accepts, one module per concern; validation is the models' own
(see `fields.ModelCleanSerializer`)."""

from .auth import (
    LoginSerializer,
    TokenSerializer,
)
from .integrations import (
    RetailerOfferSerializer,
    RetailerOfferUpsertSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
)
from .products import (
    AppearanceSerializer,
    OfferSerializer,
    OfferUpsertSerializer,
    ProductCreateSerializer,
    ProductDetailSerializer,
    ProductImageSerializer,
    ProductSerializer,
    ProductUpsertSerializer,
    SceneWithProductsSerializer,
)
from .reference import (
    ProductStyleSerializer,
    ProductTypeSerializer,
    RetailerSerializer,
)
from .videos import (
    ArtistSerializer,
    CastMemberSerializer,
    SceneSerializer,
    VideoDetailSerializer,
    VideoSerializer,
    VideoSourceSerializer,
)

__all__ = [
    "AppearanceSerializer",
    "ArtistSerializer",
    "CastMemberSerializer",
    "LoginSerializer",
    "OfferSerializer",
    "OfferUpsertSerializer",
    "ProductCreateSerializer",
    "ProductDetailSerializer",
    "ProductImageSerializer",
    "ProductSerializer",
    "ProductStyleSerializer",
    "ProductTypeSerializer",
    "ProductUpsertSerializer",
    "RetailerOfferSerializer",
    "RetailerOfferUpsertSerializer",
    "RetailerSerializer",
    "SceneSerializer",
    "SceneWithProductsSerializer",
    "TokenSerializer",
    "VideoDetailSerializer",
    "VideoSerializer",
    "VideoSourceSerializer",
    "WebhookDeliverySerializer",
    "WebhookEndpointSerializer",
]
