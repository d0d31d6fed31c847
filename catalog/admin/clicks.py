"""The clicks' admin and the click-through dashboard it serves."""

from django.contrib import admin
from django.urls import path

from ..analytics.dashboard import click_dashboard
from ..models import (
    Click,
)
from .base import (
    LargeTableAdmin,
)


@admin.register(Click)
class ClickAdmin(LargeTableAdmin):
    list_display = ["created_at", "product", "retailer", "video", "scene"]
    list_select_related = ["product", "retailer", "video", "scene"]
    list_filter = ["retailer"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def dashboard(request):
            return click_dashboard(request, self)

        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(dashboard),
                name="catalog_click_dashboard",
            ),
            *super().get_urls(),
        ]
