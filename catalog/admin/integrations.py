"""Integrations in the admin: webhook endpoints and their delivery log, retailer API
tokens, shoppers' alerts and the exchange rates."""

from django import forms
from django.contrib import admin, messages

from ..integrations import webhooks
from ..models import (
    AlertNotification,
    ExchangeRate,
    ProductAlert,
    RetailerToken,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .base import ReadOnlyAdmin


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["created_at", "event", "status", "attempts", "response_status", "error"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        # The newest twenty; the delivery log has them all.
        recent = super().get_queryset(request).order_by("-created_at", "-id")
        ids = list(recent.values_list("pk", flat=True)[:20])
        return recent.filter(pk__in=ids)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "consecutive_failures", "disabled_at", "disabled_reason"]
    inlines = [WebhookDeliveryInline]
    actions = ["send_test", "enable"]

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and obj.is_active:
            obj.consecutive_failures, obj.disabled_at, obj.disabled_reason = 0, None, ""
        super().save_model(request, obj, form, change)

    @admin.action(description="Send a test delivery", permissions=["change"])
    def send_test(self, request, queryset):
        for endpoint in queryset.filter(is_active=True):
            webhooks.send_test_event(endpoint)
        self.message_user(request, "Test deliveries queued; see the delivery log.")

    @admin.action(description="Switch back on (forgets past failures)", permissions=["change"])
    def enable(self, request, queryset):
        queryset.update(
            is_active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_status",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
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
    ]


@admin.register(RetailerToken)
class RetailerTokenAdmin(admin.ModelAdmin):
    """Issuing a token shows it once, in the confirmation message; only its hash is kept."""

    list_display = ["retailer", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["retailer"]
    list_select_related = ["retailer"]
    fields = ["retailer", "name", "revoked_at"]
    readonly_fields = ["key_prefix", "last_used_at"]
    autocomplete_fields = ["retailer"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        row, token = RetailerToken.objects.issue(
            retailer=obj.retailer, name=obj.name, created_by=request.user
        )
        obj.pk, obj.key_prefix = row.pk, row.key_prefix
        obj._state.adding = False
        messages.warning(
            request,
            f"The token for {row.retailer}: {token} — copy it now, it is not shown again.",
        )


class AlertNotificationInline(admin.TabularInline):
    """The mails an alert sent: a record, never edited."""

    model = AlertNotification
    fields = ["created_at", "offer", "old_price", "new_price", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProductAlert)
class ProductAlertAdmin(admin.ModelAdmin):
    list_display = ["product", "user", "kind", "target_price", "currency", "is_active", "armed"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["product", "user"]
    autocomplete_fields = ["user", "product"]
    readonly_fields = ["armed", "last_fired_at"]
    inlines = [AlertNotificationInline]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ["date", "currency", "rate"]
    list_filter = ["currency"]
    date_hierarchy = "date"
