"""API tokens of a retailer's integration: they may update that retailer's offers only."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .base import TimeStampedModel, TimeStampedQuerySet
from .offers import Retailer

TOKEN_PREFIX = "rtk_"  # noqa: S105 - the prefix that marks a retailer token, not a secret


def token_digest(token: str) -> str:
    # 256 random bits need no slow hash: a SHA-256 of them cannot be searched.
    return hashlib.sha256(token.encode()).hexdigest()


class RetailerTokenQuerySet(TimeStampedQuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)

    def issue(self, *, retailer: Retailer, name: str, created_by=None):
        """Create a token; return (row, the token itself), which is shown once only."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = self.create(
            retailer=retailer,
            name=name,
            key_prefix=token[:12],
            digest=token_digest(token),
            created_by=created_by,
        )
        return row, token

    def authenticate(self, token: str):
        """Return the usable token row for `token`, or None."""
        return self.usable().select_related("retailer").filter(digest=token_digest(token)).first()


class RetailerToken(TimeStampedModel):
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120, help_text="Which integration uses it.")
    key_prefix = models.CharField(max_length=12, editable=False, help_text="Its first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RetailerTokenQuerySet.as_manager()

    class Meta:
        ordering = ["retailer", "name"]
        verbose_name = "retailer API token"

    def __str__(self):
        return f"{self.retailer}: {self.name} ({self.key_prefix}…)"

    def revoke(self):
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at", "updated_at"])
