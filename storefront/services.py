"""Saving products and following artists. Every call is idempotent: a double click, a
resubmitted form or two tabs end in the same state as one click."""

from django.contrib.auth.models import AbstractBaseUser

from catalog.models import Artist, Product

from .models import FollowedArtist, SavedProduct


def save_product(*, user: AbstractBaseUser, product: Product) -> SavedProduct:
    # get_or_create retries the read when a concurrent insert hits the unique constraint.
    saved, _created = SavedProduct.objects.get_or_create(user=user, product=product)
    return saved


def unsave_product(*, user: AbstractBaseUser, product: Product) -> None:
    SavedProduct.objects.filter(user=user, product=product).delete()


def follow_artist(*, user: AbstractBaseUser, artist: Artist) -> FollowedArtist:
    followed, _created = FollowedArtist.objects.get_or_create(user=user, artist=artist)
    return followed


def unfollow_artist(*, user: AbstractBaseUser, artist: Artist) -> None:
    FollowedArtist.objects.filter(user=user, artist=artist).delete()
