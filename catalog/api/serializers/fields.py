"""The fields and the base serializer every API serializer builds on: validation is the
models' own (see ModelCleanSerializer)."""

import base64
import binascii
import copy
import uuid
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import models

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from PIL import Image
from rest_framework import serializers
from rest_framework.utils import model_meta

from catalog import services

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
