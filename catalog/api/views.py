"""The integrators' API: one viewset per catalog resource, plus token login and logout.

Viewsets are adapters: reads come from the models' named QuerySets, filters from
catalog.filters, validation from the models, multi-row writes from catalog.services.
"""

import hashlib

from django.contrib.auth.signals import user_logged_in
from django.db.models import Q
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularRedocView
from knox import views as knox_views
from knox.models import get_token_model
from knox.settings import knox_settings
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import filters
from catalog.integrations import webhooks
from catalog.models import (
    Appearance,
    Artist,
    CastMember,
    Offer,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    VideoSource,
    WebhookEndpoint,
    of_published_product,
)

from . import serializers
from .pagination import CursorPagination, PageNumberPagination
from .permissions import OfferPermissions, StaffModelPermissions, retailer_token
from .serializers.products import ProductListSerializer
from .throttling import LoginRateThrottle


class CatalogViewSet(viewsets.ModelViewSet):
    """CRUD with model permissions, conditional GET, and writes answered in the read shape.

    After a write the row is read back through the detail bundle, so a create or update
    answers with exactly what a GET of the same row returns.
    """

    detail_serializer_class = None
    write_serializer_class = None

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"}:
            return self.write_serializer_class or self.serializer_class
        if self.action == "retrieve":
            return self.detail_serializer_class or self.serializer_class
        return self.serializer_class

    def read_back(self, instance):
        self.kwargs[self.lookup_url_kwarg or self.lookup_field] = instance.pk
        self.action = "retrieve"
        obj = self.get_object()
        serializer_class = self.detail_serializer_class or self.serializer_class
        return serializer_class(obj, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.read_back(instance), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.read_back(instance))

    def finalize_response(self, request, response, *args, **kwargs):
        """Lists and details alike differ by who asks: staff see drafts.

        So every answer varies on the credentials, and one given to an authenticated
        client is private: no shared cache may store it for the next visitor.
        """
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Authorization", "Cookie"])
        try:
            authenticated = request.user.is_authenticated
        except exceptions.APIException:
            authenticated = False
        if authenticated or request.META.get("HTTP_AUTHORIZATION"):
            patch_cache_control(response, private=True)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        # The ETag hashes the representation rather than the row's updated_at: a product's
        # page changes when one of its offers does, which leaves the product row untouched.
        digest = hashlib.sha256(JSONRenderer().render(response.data)).hexdigest()[:32]
        etag = f'"{digest}"'
        response["ETag"] = etag
        patch_vary_headers(response, ["Authorization", "Cookie"])
        not_modified = get_conditional_response(request, etag=etag, response=response)
        if not_modified is not response:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return response


PRODUCT_COLUMNS = ProductListSerializer.COLUMNS


def visible_videos(request):
    return Video.objects.visible_to(request.user)


def visible_products(request):
    return Product.objects.visible_to(request.user)


def write_schema(detail, write=None, create_status=201):
    """Document that writes take `write` and answer with the `detail` representation."""

    def decorate(viewset):
        request = write or detail
        return extend_schema_view(
            create=extend_schema(request=request, responses={create_status: detail}),
            update=extend_schema(request=request, responses={200: detail}),
            partial_update=extend_schema(request=request, responses={200: detail}),
            retrieve=extend_schema(responses={200: detail}),
        )(viewset)

    return decorate


@write_schema(serializers.ArtistSerializer)
class ArtistViewSet(CatalogViewSet):
    serializer_class = serializers.ArtistSerializer
    filterset_class = filters.ArtistFilter
    search_fields = ["name", "first_name", "last_name"]
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["name"]
    queryset = Artist.objects.none()

    def get_queryset(self):
        return Artist.objects.all()


@write_schema(serializers.VideoDetailSerializer, serializers.VideoSerializer)
class VideoViewSet(CatalogViewSet):
    serializer_class = serializers.VideoSerializer
    detail_serializer_class = serializers.VideoDetailSerializer
    filterset_class = filters.VideoFilter
    search_fields = ["title", "description"]
    ordering_fields = ["id", "title", "release_date", "updated_at"]
    ordering = ["-release_date", "title"]
    queryset = Video.objects.none()

    def get_queryset(self):
        videos = visible_videos(self.request)
        if self.action in {"scenes", "products"}:
            return videos  # the actions load what they list themselves
        if self.action == "retrieve":
            return videos.for_detail()
        return videos.for_listing()

    @extend_schema(
        responses=serializers.SceneWithProductsSerializer(many=True),
        filters=False,
        summary="The video's scenes in time order, with the products seen in each.",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=PageNumberPagination,
        serializer_class=serializers.SceneWithProductsSerializer,
    )
    def scenes(self, request, pk=None):
        video = self.get_object()
        scenes = Scene.objects.filter(video=video).select_related("video").for_timeline()
        page = self.paginate_queryset(scenes)
        serializer = serializers.SceneWithProductsSerializer(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        responses=serializers.ProductSerializer(many=True),
        filters=False,
        summary="Every product of the video once, shown with it or seen in a scene.",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=PageNumberPagination,
        serializer_class=serializers.ProductSerializer,
    )
    def products(self, request, pk=None):
        video = self.get_object()
        products = Product.objects.in_video(video).order_by("brand", "name", "id")
        page = self.paginate_queryset(products.values(*PRODUCT_COLUMNS))
        serializer = serializers.ProductSerializer(
            page, many=True, context=self.get_serializer_context()
        )
        return self.get_paginated_response(serializer.data)


@write_schema(serializers.VideoSourceSerializer)
class VideoSourceViewSet(CatalogViewSet):
    serializer_class = serializers.VideoSourceSerializer
    filterset_class = filters.VideoSourceFilter
    ordering_fields = ["id", "updated_at"]
    ordering = ["id"]
    queryset = VideoSource.objects.none()

    def get_queryset(self):
        return VideoSource.objects.filter(video__in=visible_videos(self.request)).select_related(
            "video"
        )


@write_schema(serializers.SceneSerializer)
class SceneViewSet(CatalogViewSet):
    serializer_class = serializers.SceneSerializer
    filterset_class = filters.SceneFilter
    search_fields = ["title"]
    ordering_fields = ["id", "updated_at"]
    ordering = ["id"]
    queryset = Scene.objects.none()

    def get_queryset(self):
        return (
            Scene.objects.filter(video__in=visible_videos(self.request))
            .select_related("video")
            .prefetch_related("cast_members")
        )


@write_schema(serializers.CastMemberSerializer)
class CastMemberViewSet(CatalogViewSet):
    serializer_class = serializers.CastMemberSerializer
    filterset_class = filters.CastMemberFilter
    search_fields = ["name", "performer_name"]
    ordering_fields = ["id", "updated_at"]
    ordering = ["id"]
    queryset = CastMember.objects.none()

    def get_queryset(self):
        return CastMember.objects.filter(video__in=visible_videos(self.request)).select_related(
            "video", "artist"
        )


@write_schema(serializers.AppearanceSerializer)
class AppearanceViewSet(CatalogViewSet):
    serializer_class = serializers.AppearanceSerializer
    # A large table: a page-number COUNT(*) took 5 s on the scale catalog. The orderings
    # are the primary key and the indexed updated_at, each ending on id.
    pagination_class = CursorPagination
    filterset_class = filters.AppearanceFilter
    ordering_fields = ["id", "updated_at"]
    ordering = ["id"]
    queryset = Appearance.objects.none()

    def get_queryset(self):
        return Appearance.objects.filter(
            scene__video__in=visible_videos(self.request)
        ).select_related("scene__video", "product")


# The create documented here is applied last, over write_schema's: it takes offers.
@extend_schema_view(
    create=extend_schema(
        request=serializers.ProductCreateSerializer,
        responses={201: serializers.ProductDetailSerializer},
        summary="Create a product with its images and offers, all or nothing.",
    )
)
@write_schema(serializers.ProductDetailSerializer, serializers.ProductSerializer)
class ProductViewSet(CatalogViewSet):
    serializer_class = serializers.ProductSerializer
    detail_serializer_class = serializers.ProductDetailSerializer
    pagination_class = CursorPagination
    # ?search= is the ProductFilter's: the shoppers' full-text search (catalog/search.py).
    filterset_class = filters.ProductFilter
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["id"]
    queryset = Product.objects.none()

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.ProductCreateSerializer
        if self.action == "upsert":
            return serializers.ProductUpsertSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        products = visible_products(self.request)
        if self.action == "retrieve":
            return products.for_detail()
        if self.action == "list":
            # Plain rows: the list serializer reads the related tables itself.
            return products.values(*PRODUCT_COLUMNS)
        return products.for_browsing()

    def get_object(self):
        product = super().get_object()
        if self.action == "retrieve":
            product.visible_videos = list(
                visible_videos(self.request).showing(product).order_by("-release_date", "title")
            )
        return product

    @extend_schema(
        request=serializers.ProductUpsertSerializer,
        responses={
            200: serializers.ProductDetailSerializer,
            201: serializers.ProductDetailSerializer,
        },
        summary="Feed sync: update the product with this UPC, or create it (201).",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def upsert(self, request):
        serializer = serializers.ProductUpsertSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        product = serializer.save()
        code = status.HTTP_201_CREATED if serializer.created else status.HTTP_200_OK
        return Response(self.read_back(product), status=code)


@write_schema(serializers.ProductImageSerializer)
class ProductImageViewSet(CatalogViewSet):
    serializer_class = serializers.ProductImageSerializer
    # A large table, paged like the appearances.
    pagination_class = CursorPagination
    filterset_class = filters.ProductImageFilter
    ordering_fields = ["id", "updated_at"]
    ordering = ["id"]
    queryset = ProductImage.objects.none()

    def get_queryset(self):
        return ProductImage.objects.visible_to(self.request.user).select_related("product")


@write_schema(serializers.ProductTypeSerializer)
class ProductTypeViewSet(CatalogViewSet):
    serializer_class = serializers.ProductTypeSerializer
    filterset_class = filters.ProductTypeFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["name"]
    queryset = ProductType.objects.all()


@write_schema(serializers.ProductStyleSerializer)
class ProductStyleViewSet(CatalogViewSet):
    serializer_class = serializers.ProductStyleSerializer
    filterset_class = filters.ProductStyleFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["name"]
    queryset = ProductStyle.objects.all()


@write_schema(serializers.RetailerSerializer)
class RetailerViewSet(CatalogViewSet):
    serializer_class = serializers.RetailerSerializer
    filterset_class = filters.RetailerFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "updated_at"]
    ordering = ["name"]
    queryset = Retailer.objects.all()


@write_schema(serializers.OfferSerializer)
class OfferViewSet(CatalogViewSet):
    """Offers. A retailer token (`Token rtk_…`) may update its own retailer's offers'
    url, price, currency and availability, here and through `upsert`; nothing else."""

    serializer_class = serializers.OfferSerializer
    pagination_class = CursorPagination
    filterset_class = filters.OfferFilter
    permission_classes = [OfferPermissions]
    ordering_fields = ["id", "price", "updated_at", "last_checked_at"]
    ordering = ["id"]
    queryset = Offer.objects.none()

    def get_serializer_class(self):
        scoped = retailer_token(self.request) is not None
        if self.action == "upsert":
            return (
                serializers.RetailerOfferUpsertSerializer
                if scoped
                else serializers.OfferUpsertSerializer
            )
        if scoped and self.action in {"update", "partial_update"}:
            return serializers.RetailerOfferSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        # Prefetched, not joined: with the joins MariaDB starts from products and sorts
        # every offer before taking a page (8 s on a million offers instead of 0.05 s).
        token = retailer_token(self.request)
        if token is not None:
            offers = Offer.objects.filter(Q(retailer=token.retailer) | Q(of_published_product()))
        else:
            offers = Offer.objects.visible_to(self.request.user)
        return offers.prefetch_related("product", "retailer")

    @extend_schema(
        request=serializers.OfferUpsertSerializer,
        responses={200: serializers.OfferSerializer, 201: serializers.OfferSerializer},
        summary="Feed sync: update the retailer's offer for the product, or create it (201).",
        description=(
            "With a retailer token, only that retailer's existing offer is updated, and only "
            "its url, price, currency and availability."
        ),
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def upsert(self, request):
        serializer = self.get_serializer_class()(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        offer = serializer.save()
        code = status.HTTP_201_CREATED if serializer.created else status.HTTP_200_OK
        return Response(self.read_back(offer), status=code)


# Webhooks


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints."),
    create=extend_schema(summary="Register an endpoint; the answer carries its signing secret."),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Integrators' webhook endpoints (staff with the webhook endpoint permissions)."""

    serializer_class = serializers.WebhookEndpointSerializer
    permission_classes = [StaffModelPermissions]
    filter_backends = []
    queryset = WebhookEndpoint.objects.order_by("id")

    @extend_schema(
        responses=serializers.WebhookDeliverySerializer(many=True),
        summary="The endpoint's deliveries, newest first, with what the endpoint answered.",
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=PageNumberPagination,
        serializer_class=serializers.WebhookDeliverySerializer,
    )
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(endpoint.deliveries.order_by("-created_at", "-id"))
        return self.get_paginated_response(
            serializers.WebhookDeliverySerializer(page, many=True).data
        )

    @extend_schema(
        request=None,
        responses={201: serializers.WebhookDeliverySerializer},
        summary="Queue a test delivery of the endpoint's first event; answers the delivery.",
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.WebhookDeliverySerializer)
    def test(self, request, pk=None):
        delivery = webhooks.send_test_event(self.get_object())
        return Response(
            serializers.WebhookDeliverySerializer(delivery).data, status=status.HTTP_201_CREATED
        )


# Tokens


class LoginView(APIView):
    """Exchange a username and password for an API token (shown once, stored hashed)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginRateThrottle]
    serializer_class = serializers.LoginSerializer

    @extend_schema(
        request=serializers.LoginSerializer,
        responses={200: serializers.TokenSerializer},
        summary="Obtain an API token.",
    )
    def post(self, request):
        serializer = serializers.LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        instance, token = get_token_model().objects.create(
            user=user, expiry=knox_settings.TOKEN_TTL, prefix=knox_settings.TOKEN_PREFIX
        )
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        data = serializers.TokenSerializer({"token": token, "expiry": instance.expiry}).data
        return Response(data, headers={"Cache-Control": "no-store"})


class LogoutView(knox_views.LogoutView):
    """Revoke the token this request is authenticated with."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
        summary="Revoke this token.",
    )
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllView(knox_views.LogoutAllView):
    """Revoke every token of the requesting user."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Revoked.")},
        summary="Revoke every token of this user.",
    )
    def post(self, request, format=None):
        return super().post(request, format)


@csrf_exempt
def api_not_found(request, path=""):
    """Answer unknown /api/ paths with JSON, in debug mode too (where handler404 is not used).

    A path that exists with a trailing slash is redirected there, as APPEND_SLASH would.
    It changes nothing, so a write to an unknown path is a 404, not a CSRF failure.
    """
    if not request.path_info.endswith("/"):
        match = resolve_or_none(request.path_info + "/")
        if match is not None and match.func is not api_not_found:
            if request.method in ("GET", "HEAD"):
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(
                    request.path + "/" + (f"?{query}" if query else "")
                )
            return JsonResponse(
                {"detail": f"Not found. Did you mean {request.path}/ (with a slash)?"},
                status=404,
            )
    return JsonResponse({"detail": "Not found."}, status=404)


def resolve_or_none(path):
    try:
        return resolve(path)
    except Resolver404:
        return None


def page_not_found(request, exception):
    """JSON for unknown /api/ paths, so integrators never parse an HTML page; HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


class RedocView(SpectacularRedocView):
    """ReDoc from the site alone: no web fonts. The site's Content-Security-Policy keeps the
    bundle's "API docs by Redocly" logo (an image on Redocly's CDN) from being fetched."""

    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
