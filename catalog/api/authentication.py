"""Retailer-scoped API tokens: `Authorization: Token rtk_…` authenticates a retailer's
integration, which may then update that retailer's offers and nothing else."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

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
