"""Webhook endpoints and their deliveries; the fields a retailer token may write on offers."""

from rest_framework import serializers

from catalog import services
from catalog.models import Offer, Product, Retailer, WebhookDelivery, WebhookEndpoint, WebhookEvent

from .fields import TIMESTAMPS, ModelCleanSerializer, slug_of


class WebhookEndpointSerializer(ModelCleanSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        help_text="The events sent to this URL.",
    )
    secret = serializers.CharField(
        read_only=True,
        help_text=(
            "Keyed HMAC-SHA256 of every delivery (the Inspired-Signature header). Keep it "
            "on the receiving side."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "secret",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            *TIMESTAMPS,
        ]
        read_only_fields = ["consecutive_failures", "disabled_at", "disabled_reason"]

    def update(self, instance, validated_data):
        if validated_data.get("is_active") and not instance.is_active:
            # Switching an endpoint back on forgives its past failures.
            validated_data.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
        return super().update(instance, validated_data)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "response_status",
            "response_body",
            "error",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


RETAILER_WRITABLE = ("url", "price", "currency", "availability")


class RetailerScopedMixin:
    """Refuse any field a retailer token may not write, rather than ignoring it quietly."""

    allowed_input = set(RETAILER_WRITABLE)

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            extra = sorted(set(data.keys()) - self.allowed_input)
            if extra:
                message = "A retailer token may only change url, price, currency and availability."
                raise serializers.ValidationError({name: [message] for name in extra})
        return super().to_internal_value(data)


class RetailerOfferSerializer(RetailerScopedMixin, ModelCleanSerializer):
    """An update of one offer by its retailer's token: price, currency, availability, URL."""

    class Meta:
        model = Offer
        fields = list(RETAILER_WRITABLE)


class RetailerOfferUpsertSerializer(RetailerScopedMixin, serializers.Serializer):
    """Feed sync by a retailer token: the retailer's existing offer for the product."""

    allowed_input = {"product", "retailer", *RETAILER_WRITABLE}
    product = slug_of(Product)
    retailer = slug_of(Retailer, required=False)
    url = serializers.CharField(required=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    availability = serializers.ChoiceField(choices=Offer.Availability.choices, required=False)

    def validate(self, attrs):
        token = self.context["request"].auth
        if attrs.get("retailer", token.retailer) != token.retailer:
            raise serializers.ValidationError(
                {"retailer": ["This token updates the offers of its own retailer only."]}
            )
        offer = Offer.objects.filter(product=attrs["product"], retailer=token.retailer).first()
        if offer is None:
            raise serializers.ValidationError(
                {"product": ["Your retailer has no offer for this product; curators add offers."]}
            )
        self.instance = offer
        for name in RETAILER_WRITABLE:
            if name in attrs:
                setattr(offer, name, attrs[name])
        services.validate_instance(offer)
        return attrs

    def save(self, **kwargs):
        self.instance.save()
        self.created = False
        return self.instance
