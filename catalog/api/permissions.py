"""Who may do what through the API: model permissions for people, a narrow scope for
retailer tokens (catalog/api/authentication.py)."""

from rest_framework import permissions

from catalog.models import RetailerToken


def retailer_token(request) -> RetailerToken | None:
    return request.auth if isinstance(request.auth, RetailerToken) else None


class CatalogPermissions(permissions.DjangoModelPermissionsOrAnonReadOnly):
    """Reads for everybody, writes with the model's permissions; retailer tokens read only."""

    def has_permission(self, request, view):
        if retailer_token(request) is not None:
            return request.method in permissions.SAFE_METHODS
        return super().has_permission(request, view)


class OfferPermissions(CatalogPermissions):
    """As CatalogPermissions, and a retailer token may update its own retailer's offers."""

    retailer_actions = {"update", "partial_update", "upsert"}

    def has_permission(self, request, view):
        if retailer_token(request) is not None:
            return (
                request.method in permissions.SAFE_METHODS or view.action in self.retailer_actions
            )
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        token = retailer_token(request)
        if token is not None and request.method not in permissions.SAFE_METHODS:
            return obj.retailer_id == token.retailer_id
        return super().has_object_permission(request, view, obj)


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Model permissions for reads too: integrations' settings are not public."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if retailer_token(request) is not None:
            return False
        return super().has_permission(request, view)
