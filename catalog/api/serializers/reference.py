"""Product types, styles and retailers."""

from rest_framework import serializers

from catalog.models import (
    ProductStyle,
    ProductType,
    Retailer,
)

from .fields import TIMESTAMPS, ImageField, ModelCleanSerializer, WebUrlField


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
