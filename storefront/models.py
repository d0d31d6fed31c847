"""A shopper's own lists: the original's Bookmark and Follow buttons, stored for real."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch

from catalog.models import Artist, Product, TimeStampedModel, TimeStampedQuerySet, Video


class SavedProductQuerySet(TimeStampedQuerySet):
    def by(self, user):
        """Return what `user` saved, newest first; nothing for an anonymous visitor."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).order_by("-created_at", "-id")

    def visible_to(self, user):
        """Drop saves of products that are no longer shown to `user` (e.g. unpublished)."""
        return self.filter(product__in=Product.objects.visible_to(user))

    def for_listing(self):
        """Load the Saved page: each saved product with what its card renders."""
        return self.prefetch_related(Prefetch("product", queryset=Product.objects.for_listing()))


class SavedProduct(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_products"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="saves")

    objects = SavedProductQuerySet.as_manager()

    class Meta:
        verbose_name = "saved product"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"], name="storefront_savedproduct_unique_pair"
            ),
        ]
        indexes = [
            # The Saved page lists one person's saves newest first.
            models.Index(fields=["user", "-created_at"], name="storefront_saved_user_created"),
        ]

    def __str__(self):
        return f"{self.product_id} saved by {self.user_id}"


class FollowedArtistQuerySet(TimeStampedQuerySet):
    def by(self, user):
        """Return the artists `user` follows, newest follow first."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user).order_by("-created_at", "-id")

    def for_listing(self):
        """Load the Following page: each followed artist."""
        return self.select_related("artist")

    def videos(self):
        """Return the published videos of the artists in these follows, newest first."""
        # EXISTS rather than a join through the artists: one row per video, no DISTINCT.
        follows = self.order_by().filter(artist__videos=OuterRef("pk"))
        return Video.objects.published().filter(Exists(follows))


class FollowedArtist(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_artists"
    )
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="follows")

    objects = FollowedArtistQuerySet.as_manager()

    class Meta:
        verbose_name = "followed artist"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "artist"], name="storefront_followedartist_unique_pair"
            ),
        ]
        indexes = [
            # The Following page lists one person's follows newest first.
            models.Index(fields=["user", "-created_at"], name="storefront_follow_user_created"),
        ]

    def __str__(self):
        return f"{self.artist_id} followed by {self.user_id}"
