"""Retailer-scoped API tokens: `Authorization: Token rtk_…` authenticates a retailer's
integration, which may then update that retailer's offers and nothing else."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from catalog.models import RetailerToken
from catalog.models.apitokens import TOKEN_PREFIX


class RetailerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].decode(errors="replace").lower() != "token":
            return None
        token = parts[1].decode(errors="replace")
        if not token.startswith(TOKEN_PREFIX):
            return None  # a person's token: knox's turn
        row = RetailerToken.objects.authenticate(token)
        if row is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked retailer token.")
        RetailerToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        # No person stands behind the token: the request is anonymous but for its scope.
        return AnonymousUser(), row

    def authenticate_header(self, request):
        return self.keyword


class RetailerTokenScheme(OpenApiAuthenticationExtension):
    """Document retailer tokens in the OpenAPI schema."""

    target_class = "catalog.api.authentication.RetailerTokenAuthentication"
    name = "retailerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token rtk_…`: a retailer's integration token, issued in the admin. It may "
                "update that retailer's offers (url, price, currency, availability) through "
                "PATCH/PUT /api/v1/offers/{id}/ and POST /api/v1/offers/upsert/; everything "
                "else is read-only to it."
            ),
        }
