"""Template context for the Save and Follow buttons."""

from django.utils.functional import SimpleLazyObject

from .models import FollowedArtist, SavedProduct


def saved_and_followed(request):
    """Offer the ids of what the visitor saved and follows, as sets of ints.

    Lazy: a page without a Save or Follow button runs no query, and a page with a
    hundred of them runs one per set, not one per button.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"saved_product_ids": frozenset(), "followed_artist_ids": frozenset()}
    return {
        "saved_product_ids": SimpleLazyObject(
            lambda: frozenset(SavedProduct.objects.by(user).values_list("product_id", flat=True))
        ),
        "followed_artist_ids": SimpleLazyObject(
            lambda: frozenset(FollowedArtist.objects.by(user).values_list("artist_id", flat=True))
        ),
    }
