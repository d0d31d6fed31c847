"""Products, their images, offers and looks, and the nested writes of products and offers."""

from django.utils import timezone

from rest_framework import serializers

from catalog import services
from catalog.models import (
    Appearance,
    CastMember,
    Offer,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    apply_link_template,
)
from catalog.prepared import PreparedRead
from storefront.sitemaps import url_maker

from .fields import TIMESTAMPS, ModelCleanSerializer, WebUrlField, slug_of
from .reference import RetailerBriefSerializer
from .videos import CastMemberBriefSerializer


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


class ProductListSerializer(serializers.ListSerializer):
    """Products as ProductSerializer writes them, from plain rows instead of model instances.

    A list of products is the API's busiest answer: building model instances for every
    product, image, offer and retailer and walking a dozen field objects per row cost
    several times its SQL. This takes the page as `values(*COLUMNS)` rows, reads each
    related table once as tuples (types, styles, images, buyable offers with their
    retailer: four queries whatever the page size) and writes the same JSON (tests
    compare the two on every field).
    """

    COLUMNS = (
        "id",
        "upc",
        "brand",
        "name",
        "slug",
        "description",
        "product_type_id",
        "style_id",
        "created_at",
        "updated_at",
    )

    def to_representation(self, data):
        rows = list(data)
        request = self.context.get("request")
        absolute = request.build_absolute_uri if request is not None else (lambda url: url)
        image_url = file_url_of(ProductImage, "image", absolute)
        logo_url = file_url_of(Retailer, "logo", absolute)
        zone = timezone.get_current_timezone()

        def stamp(value):
            # As DateTimeField writes an aware value in ISO 8601: in the current zone, Z for UTC.
            if value is None:
                return None
            text = value.astimezone(zone).isoformat()
            return f"{text[:-6]}Z" if text.endswith("+00:00") else text

        ids = [row["id"] for row in rows]
        types = reference_names(type_names, {row["product_type_id"] for row in rows})
        styles = reference_names(style_names, {row["style_id"] for row in rows})
        # The URL reversed once, each row's slug put in place (as the sitemap writes them).
        web_url = url_maker(absolute("/")[:-1], "storefront:product-detail")
        images = {pk: [] for pk in ids}
        offers = {pk: [] for pk in ids}
        if ids:
            for product_id, pk, image, alt_text, position in page_images(ids):
                images[product_id].append(
                    {
                        "id": pk,
                        "image": image_url(image),
                        "alt_text": alt_text,
                        "position": position,
                    }
                )
            for (
                product_id,
                pk,
                url,
                amount,
                currency,
                availability,
                last_checked_at,
                retailer_id,
                retailer_name,
                retailer_slug,
                retailer_logo,
                link_template,
            ) in page_offers(ids):
                offers[product_id].append(
                    {
                        "id": pk,
                        "retailer": {
                            "id": retailer_id,
                            "name": retailer_name,
                            "slug": retailer_slug,
                            "logo": logo_url(retailer_logo),
                        },
                        "url": url,
                        "buy_url": apply_link_template(link_template, url),
                        "price": f"{amount:.2f}",
                        "currency": currency,
                        "availability": availability,
                        "is_in_stock": availability == Offer.Availability.IN_STOCK,
                        "last_checked_at": stamp(last_checked_at),
                    }
                )
        return [
            {
                "id": row["id"],
                "upc": row["upc"],
                "brand": row["brand"],
                "name": row["name"],
                "slug": row["slug"],
                "description": row["description"],
                "product_type": types[row["product_type_id"]][0],
                "product_type_name": types[row["product_type_id"]][1],
                "style": styles[row["style_id"]][0],
                "style_name": styles[row["style_id"]][1],
                "images": images[row["id"]],
                "offers": offers[row["id"]],
                "web_url": web_url(row["slug"]),
                "created_at": stamp(row["created_at"]),
                "updated_at": stamp(row["updated_at"]),
            }
            for row in rows
        ]


def reference_names(read, pks):
    """Map the primary keys of a small reference table to their (slug, name)."""
    return {pk: (slug, name) for pk, slug, name in read(pks)}


def _names(model):
    return PreparedRead(
        model,
        lambda pks: model.objects.filter(pk__in=pks).order_by().values_list("pk", "slug", "name"),
    )


type_names = _names(ProductType)
style_names = _names(ProductStyle)

page_images = PreparedRead(
    ProductImage,
    lambda ids: (
        ProductImage.objects.filter(product_id__in=ids)
        .order_by("position", "id")
        .values_list("product_id", "pk", "image", "alt_text", "position")
    ),
)

page_offers = PreparedRead(
    Offer,
    lambda ids: (
        Offer.objects.buyable()
        .filter(product_id__in=ids)
        .by_price()
        .values_list(
            "product_id",
            "pk",
            "url",
            "price",
            "currency",
            "availability",
            "last_checked_at",
            "retailer_id",
            "retailer__name",
            "retailer__slug",
            "retailer__logo",
            "retailer__link_template",
        )
    ),
)


def file_url_of(model, field_name, absolute):
    """Return a function from a stored file name to its absolute URL, as FileField.url does.

    Each name is resolved once per call (a retailer's logo repeats on every offer).
    """
    storage = model._meta.get_field(field_name).storage
    urls = {}

    def url(name):
        if not name:
            return None
        if name not in urls:
            urls[name] = absolute(storage.url(name))
        return urls[name]

    return url


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
        # Lists of products (the API's list, a video's products) take the lean path.
        list_serializer_class = ProductListSerializer


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
        list_serializer_class = serializers.ListSerializer


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
    """Feed sync: the product with this UPC is updated, or created when there is none.

    Takes images and offers as a create does: images are matched by position, offers by
    retailer; those not sent are kept.
    """

    upc = serializers.CharField(max_length=14)
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
