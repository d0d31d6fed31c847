from django.contrib import admin

from .models import FollowedArtist, SavedProduct


class ShopperListAdmin(admin.ModelAdmin):
    """A shopper's saves and follows, for staff to look at and never to make.

    Each row is a shopper's own choice, made with the storefront's buttons: staff can see
    and delete one (a support request) but not add one or move it to another person. The
    change page is therefore read-only. The relations are raw ids all the same, so that a
    page made editable later never renders a select box of every user or product.
    """

    list_filter = ["created_at"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="email", ordering="user__email")
    def user_email(self, obj):
        return obj.user.email


@admin.register(SavedProduct)
class SavedProductAdmin(ShopperListAdmin):
    list_display = ["created_at", "user", "user_email", "product"]
    list_select_related = ["user", "product"]
    search_fields = ["user__email", "product__name", "product__brand", "product__upc"]
    raw_id_fields = ["user", "product"]
    fields = ["user", "product", "created_at", "updated_at"]


@admin.register(FollowedArtist)
class FollowedArtistAdmin(ShopperListAdmin):
    list_display = ["created_at", "user", "user_email", "artist"]
    list_select_related = ["user", "artist"]
    search_fields = ["user__email", "artist__name"]
    raw_id_fields = ["user", "artist"]
    fields = ["user", "artist", "created_at", "updated_at"]
