"""What the API shows and accepts. Validation is the models' own (see ModelCleanSerializer)."""

import base64
import binascii
import copy
import uuid
from io import BytesIO

from django.contrib.auth import authenticate
from django.core.files.base import ContentFile
from django.db import models

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from PIL import Image
from rest_framework import serializers
from rest_framework.utils import model_meta

from catalog import services
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
)

TIMESTAMPS = ("created_at", "updated_at")


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "description": (
            "On write: a multipart file upload, or the image as base64 (optionally a data: "
            "URI). On read: the image's URL."
        ),
    }
)
class ImageField(serializers.ImageField):
    """An image from a multipart upload or, for JSON clients, a base64 string."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = self.decode(data)
        return super().to_internal_value(data)

    def decode(self, value: str) -> ContentFile:
        payload = value.partition(",")[2] if value.startswith("data:") else value
        try:
            raw = base64.b64decode(payload, validate=True)
            with Image.open(BytesIO(raw)) as picture:
                extension = (picture.format or "img").lower()
        except (binascii.Error, ValueError, OSError, Image.DecompressionBombError):
            raise serializers.ValidationError(
                "Send a file upload, or a PNG, JPEG, GIF or WebP image in base64.",
                code="invalid_image",
            ) from None
        return ContentFile(raw, name=f"{uuid.uuid4().hex}.{extension}")


@extend_schema_field(OpenApiTypes.URI)
class WebUrlField(serializers.Field):
    """The object's storefront page, as an absolute URL."""

    def __init__(self, path=lambda obj: obj.get_absolute_url(), **kwargs):
        self.path = path
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        url = self.path(obj)
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ModelCleanSerializer(serializers.ModelSerializer):
    """A ModelSerializer that validates with the model's full_clean() and constraints.

    DRF copies some model rules (unique checks, validators) into serializer fields; they are
    dropped here so that every rule has one home, the model, and one wording. Fields still
    parse their input (a number is a number), which is the serializer's job.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.ImageField: ImageField,
        # The models' URL validators decide which schemes are allowed (http and https only).
        models.URLField: serializers.CharField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        # Range checks too: the model's validators carry the model's wording.
        for rule in ("validators", "min_value", "max_value"):
            field_kwargs.pop(rule, None)
        return field_class, field_kwargs

    def get_validators(self):
        return []

    def validate(self, attrs):
        self.validated_instance = self.build_instance(attrs)
        services.validate_instance(self.validated_instance)
        return attrs

    def build_instance(self, attrs):
        relations = model_meta.get_field_info(self.Meta.model).relations
        values = {
            name: value
            for name, value in attrs.items()
            if not (name in relations and relations[name].to_many)
        }
        if self.instance is None:
            return self.Meta.model(**values)
        instance = copy.copy(self.instance)
        for name, value in values.items():
            setattr(instance, name, value)
        return instance

    def create(self, validated_data):
        return self.save_validated(validated_data)

    def update(self, instance, validated_data):
        return self.save_validated(validated_data)

    def save_validated(self, validated_data):
        instance = services.save_instance(self.validated_instance, validated=True)
        relations = model_meta.get_field_info(self.Meta.model).relations
        for name, value in validated_data.items():
            if name in relations and relations[name].to_many:
                getattr(instance, name).set(value)
        return instance


def slug_of(model, **kwargs):
    return serializers.SlugRelatedField(slug_field="slug", queryset=model.objects.all(), **kwargs)


# Reference data


class ProductTypeSerializer(ModelCleanSerializer):
    class Meta:
        model = ProductType
        fields = ["id", "name", "slug", *TIMESTAMPS]


class ProductStyleSerializer(ModelCleanSerializer):
    class Meta:
        model = ProductStyle
        fields = ["id", "name", "slug", "position", *TIMESTAMPS]


class RetailerSerializer(ModelCleanSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Retailer
        fields = [
            "id",
            "name",
            "slug",
            "homepage_url",
            "logo",
            "link_template",
            "web_url",
            *TIMESTAMPS,
        ]


class RetailerBriefSerializer(serializers.ModelSerializer):
    logo = ImageField(read_only=True)

    class Meta:
        model = Retailer
        fields = ["id", "name", "slug", "logo"]


# People and videos


class ArtistSerializer(ModelCleanSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Artist
        fields = [
            "id",
            "name",
            "slug",
            "first_name",
            "last_name",
            "bio",
            "image",
            "web_url",
            *TIMESTAMPS,
        ]


class ArtistBriefSerializer(serializers.ModelSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Artist
        fields = ["id", "name", "slug", "web_url"]


class VideoSerializer(ModelCleanSerializer):
    artists = ArtistBriefSerializer(many=True, read_only=True)
    artist_slugs = slug_of(
        Artist,
        source="artists",
        many=True,
        required=False,
        write_only=True,
        help_text="On write: the slugs of the video's artists.",
    )
    web_url = WebUrlField()

    class Meta:
        model = Video
        fields = [
            "id",
            "title",
            "slug",
            "artists",
            "artist_slugs",
            "description",
            "thumbnail",
            "duration",
            "release_date",
            "status",
            "is_featured",
            "web_url",
            *TIMESTAMPS,
        ]


class VideoSourceBriefSerializer(serializers.ModelSerializer):
    playback_url = serializers.CharField(read_only=True)

    class Meta:
        model = VideoSource
        fields = ["id", "provider", "external_id", "url", "offset", "is_primary", "playback_url"]


class SceneBriefSerializer(serializers.ModelSerializer):
    start_seconds = serializers.FloatField(read_only=True)
    end_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = Scene
        fields = ["id", "title", "start", "end", "start_seconds", "end_seconds"]


class VideoDetailSerializer(VideoSerializer):
    sources = VideoSourceBriefSerializer(many=True, read_only=True)
    scenes = SceneBriefSerializer(many=True, read_only=True)

    class Meta(VideoSerializer.Meta):
        fields = [*VideoSerializer.Meta.fields, "sources", "scenes"]


def video_page(obj):
    return obj.video.get_absolute_url()


class VideoSourceSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    file = serializers.FileField(read_only=True)
    playback_url = serializers.CharField(read_only=True)
    web_url = WebUrlField(path=video_page)

    class Meta:
        model = VideoSource
        fields = [
            "id",
            "video",
            "provider",
            "external_id",
            "url",
            "file",
            "offset",
            "is_primary",
            "playback_url",
            "web_url",
            *TIMESTAMPS,
        ]


class CastMemberSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    artist = slug_of(Artist, required=False, allow_null=True)
    web_url = WebUrlField(path=video_page)

    class Meta:
        model = CastMember
        fields = [
            "id",
            "video",
            "name",
            "performer_name",
            "artist",
            "web_url",
            *TIMESTAMPS,
        ]


class CastMemberBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CastMember
        fields = ["id", "name", "performer_name"]


class SceneSerializer(ModelCleanSerializer):
    video = slug_of(Video)
    cast_members = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=CastMember.objects.all()
    )
    start_seconds = serializers.FloatField(read_only=True)
    end_seconds = serializers.FloatField(read_only=True)
    web_url = WebUrlField()

    class Meta:
        model = Scene
        fields = [
            "id",
            "video",
            "title",
            "start",
            "end",
            "start_seconds",
            "end_seconds",
            "cast_members",
            "web_url",
            *TIMESTAMPS,
        ]


# Products and offers


class ProductBriefSerializer(serializers.ModelSerializer):
    product_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    style = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    web_url = WebUrlField()

    class Meta:
        model = Product
        fields = ["id", "upc", "brand", "name", "slug", "product_type", "style", "web_url"]


class AppearanceSerializer(ModelCleanSerializer):
    product = slug_of(Product)
    cast_member = serializers.PrimaryKeyRelatedField(
        queryset=CastMember.objects.all(),
        required=False,
        allow_null=True,
        help_text="Who wears the product in the scene.",
    )
    web_url = WebUrlField(path=lambda obj: obj.scene.get_absolute_url())

    class Meta:
        model = Appearance
        fields = ["id", "scene", "product", "cast_member", "match", "web_url", *TIMESTAMPS]


class AppearanceInSceneSerializer(serializers.ModelSerializer):
    product = ProductBriefSerializer(read_only=True)
    cast_member = CastMemberBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Appearance
        fields = ["id", "product", "cast_member", "match"]


class SceneWithProductsSerializer(serializers.ModelSerializer):
    cast_members = CastMemberBriefSerializer(many=True, read_only=True)
    appearances = AppearanceInSceneSerializer(many=True, read_only=True)
    start_seconds = serializers.FloatField(read_only=True)
    end_seconds = serializers.FloatField(read_only=True)
    web_url = WebUrlField()

    class Meta:
        model = Scene
        fields = [
            "id",
            "title",
            "start",
            "end",
            "start_seconds",
            "end_seconds",
            "cast_members",
            "appearances",
            "web_url",
        ]


def product_page(obj):
    return obj.product.get_absolute_url()


class ProductImageSerializer(ModelCleanSerializer):
    product = slug_of(Product)
    web_url = WebUrlField(path=product_page)

    class Meta:
        model = ProductImage
        fields = ["id", "product", "image", "alt_text", "position", "web_url", *TIMESTAMPS]


class ProductImageInProductSerializer(ModelCleanSerializer):
    class Meta:
        model = ProductImage
        fields = ["id", "image", "alt_text", "position"]


class OfferSerializer(ModelCleanSerializer):
    product = slug_of(Product)
    retailer = slug_of(Retailer)
    buy_url = serializers.SerializerMethodField(
        help_text="The outbound link, with the retailer's tracking template applied."
    )
    is_in_stock = serializers.BooleanField(read_only=True)
    web_url = WebUrlField(path=product_page)

    class Meta:
        model = Offer
        fields = [
            "id",
            "product",
            "retailer",
            "url",
            "buy_url",
            "price",
            "currency",
            "availability",
            "is_in_stock",
            "last_checked_at",
            "link_status",
            "web_url",
            *TIMESTAMPS,
        ]
        read_only_fields = ["link_status"]

    def get_buy_url(self, obj) -> str:
        return obj.retailer.apply_link_template(obj.url)


class OfferInProductSerializer(serializers.ModelSerializer):
    retailer = RetailerBriefSerializer(read_only=True)
    buy_url = serializers.SerializerMethodField()
    is_in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "retailer",
            "url",
            "buy_url",
            "price",
            "currency",
            "availability",
            "is_in_stock",
            "last_checked_at",
        ]

    def get_buy_url(self, obj) -> str:
        return obj.retailer.apply_link_template(obj.url)


class ProductSerializer(ModelCleanSerializer):
    product_type = slug_of(ProductType)
    product_type_name = serializers.CharField(source="product_type.name", read_only=True)
    style = slug_of(ProductStyle)
    style_name = serializers.CharField(source="style.name", read_only=True)
    images = ProductImageInProductSerializer(many=True, read_only=True)
    offers = OfferInProductSerializer(
        source="shoppable_offers",
        many=True,
        read_only=True,
        help_text="The offers shoppers can act on now, cheapest first.",
    )
    web_url = WebUrlField()

    class Meta:
        model = Product
        fields = [
            "id",
            "upc",
            "brand",
            "name",
            "slug",
            "description",
            "product_type",
            "product_type_name",
            "style",
            "style_name",
            "images",
            "offers",
            "web_url",
            *TIMESTAMPS,
        ]


class VideoBriefSerializer(serializers.ModelSerializer):
    web_url = WebUrlField()

    class Meta:
        model = Video
        fields = ["id", "title", "slug", "release_date", "web_url"]


class ProductDetailSerializer(ProductSerializer):
    offers = OfferInProductSerializer(
        source="all_offers",
        many=True,
        read_only=True,
        help_text="Every offer, cheapest first, whether in stock or not.",
    )
    videos = VideoBriefSerializer(
        source="visible_videos",
        many=True,
        read_only=True,
        help_text="The videos the product is shown with or seen in.",
    )

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "videos"]


class OfferInputSerializer(ModelCleanSerializer):
    """An offer sent with a new product; the product validates it once it exists."""

    retailer = slug_of(Retailer)

    class Meta:
        model = Offer
        fields = ["retailer", "url", "price", "currency", "availability", "last_checked_at"]

    def validate(self, attrs):
        return attrs


class ImageInputSerializer(ModelCleanSerializer):
    class Meta:
        model = ProductImage
        fields = ["image", "alt_text", "position"]

    def validate(self, attrs):
        return attrs


class ProductCreateSerializer(ModelCleanSerializer):
    """A product with its images and offers, saved together or not at all."""

    product_type = slug_of(ProductType)
    style = slug_of(ProductStyle)
    images = ImageInputSerializer(many=True, required=False)
    offers = OfferInputSerializer(many=True, required=False)

    class Meta:
        model = Product
        fields = [
            "upc",
            "brand",
            "name",
            "slug",
            "description",
            "product_type",
            "style",
            "images",
            "offers",
        ]

    def build_instance(self, attrs):
        fields = {k: v for k, v in attrs.items() if k not in {"images", "offers"}}
        return super().build_instance(fields)

    def create(self, validated_data):
        return services.create_product(**validated_data)


class ProductUpsertSerializer(ModelCleanSerializer):
    """Feed sync: the product with this UPC is updated, or created when there is none."""

    upc = serializers.CharField(max_length=14)
    product_type = slug_of(ProductType)
    style = slug_of(ProductStyle)

    class Meta:
        model = Product
        fields = ["upc", "brand", "name", "slug", "description", "product_type", "style"]

    def validate(self, attrs):
        # The service validates the row it is about to update or create.
        return attrs

    def create(self, validated_data):
        product, self.created = services.upsert_product(**validated_data)
        return product


class OfferUpsertSerializer(ModelCleanSerializer):
    """Feed sync: the retailer's offer for the product is updated, or created."""

    product = slug_of(Product)
    retailer = slug_of(Retailer)

    class Meta:
        model = Offer
        fields = [
            "product",
            "retailer",
            "url",
            "price",
            "currency",
            "availability",
            "last_checked_at",
        ]

    def validate(self, attrs):
        return attrs

    def create(self, validated_data):
        offer, self.created = services.upsert_offer(**validated_data)
        return offer


# Tokens


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(
            self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with these credentials.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Shown this once; send it as 'Authorization: Token …'."
    )
    expiry = serializers.DateTimeField()
