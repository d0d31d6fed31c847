import factory

from catalog.tests.factories import ArtistFactory, ProductFactory, UserFactory
from storefront import models


class SavedProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SavedProduct

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)


class FollowedArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FollowedArtist

    user = factory.SubFactory(UserFactory)
    artist = factory.SubFactory(ArtistFactory)
