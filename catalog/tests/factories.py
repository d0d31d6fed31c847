from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.text import slugify

import factory

from catalog import models
from catalog.groups import CURATORS, REVIEWERS
from catalog.validators import gtin_check_digit


def make_upc(n: int) -> str:
    body = f"{n:011d}"
    return body + str(gtin_check_digit(body))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    @factory.post_generation
    def curator(self, create, extracted, **kwargs):
        """UserFactory(curator=True) makes a staff member of the Curators group."""
        if create and extracted:
            self.is_staff = True
            self.save(update_fields=["is_staff"])
            self.groups.add(Group.objects.get(name=CURATORS))

    @factory.post_generation
    def reviewer(self, create, extracted, **kwargs):
        """UserFactory(reviewer=True) makes a staff member of the Reviewers group."""
        if create and extracted:
            self.is_staff = True
            self.save(update_fields=["is_staff"])
            self.groups.add(Group.objects.get(name=REVIEWERS))


class ProductTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductType
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Type {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class ProductStyleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductStyle
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Style {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    position = factory.Sequence(lambda n: n + 10)


class ArtistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Artist

    name = factory.Sequence(lambda n: f"Artist {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    bio = factory.Faker("paragraph")


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Video
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Video {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    description = factory.Faker("sentence")
    duration = timedelta(minutes=3, seconds=30)
    release_date = factory.Faker("date_between", start_date="-5y", end_date="today")
    status = models.Video.Status.PUBLISHED

    class Params:
        draft = factory.Trait(status=models.Video.Status.DRAFT)

    @factory.post_generation
    def artists(self, create, extracted, **kwargs):
        if create and extracted:
            self.artists.set(extracted)


class VideoSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VideoSource

    video = factory.SubFactory(VideoFactory)
    provider = models.VideoSource.Provider.YOUTUBE
    external_id = factory.Sequence(lambda n: f"yt{n:09d}")
    url = factory.LazyAttribute(lambda o: f"https://www.youtube.com/watch?v={o.external_id}")
    is_primary = True


class SceneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Scene

    video = factory.SubFactory(VideoFactory)
    title = factory.Sequence(lambda n: f"Scene {n}")
    # Within the factory video's 3:30, before 3:00.
    start = factory.Sequence(lambda n: timedelta(seconds=10 * (n % 18)))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(seconds=10))


class CastMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CastMember

    video = factory.SubFactory(VideoFactory)
    name = factory.Sequence(lambda n: f"Character {n}")
    performer_name = factory.Faker("name")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    upc = factory.Sequence(lambda n: make_upc(n + 1))
    brand = factory.Iterator(["Paul Smith", "Acne Studios", "Levi's", "Zara"])
    name = factory.Sequence(lambda n: f"Item {n}")
    slug = factory.LazyAttribute(lambda o: slugify(f"{o.brand} {o.name}"))
    description = factory.Faker("sentence")
    product_type = factory.LazyFunction(lambda: models.ProductType.objects.get(slug="shirt"))
    style = factory.LazyFunction(lambda: models.ProductStyle.objects.get(slug="original"))

    class Params:
        affordable = factory.Trait(
            style=factory.LazyFunction(lambda: models.ProductStyle.objects.get(slug="low_end"))
        )
        premium = factory.Trait(
            style=factory.LazyFunction(lambda: models.ProductStyle.objects.get(slug="high_end"))
        )


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=8, height=8, color="teal")
    alt_text = factory.LazyAttribute(lambda o: f"Photo of {o.product.name}")
    position = factory.Sequence(lambda n: n)


class RetailerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Retailer

    name = factory.Sequence(lambda n: f"Retailer {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    homepage_url = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.com/")


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Offer

    product = factory.SubFactory(ProductFactory)
    retailer = factory.SubFactory(RetailerFactory)
    url = factory.LazyAttribute(
        lambda o: f"https://{o.retailer.slug}.example.com/p/{o.product.upc}"
    )
    price = factory.Sequence(lambda n: Decimal("20.00") + n)
    currency = "USD"
    availability = models.Offer.Availability.IN_STOCK

    class Params:
        out_of_stock = factory.Trait(availability=models.Offer.Availability.OUT_OF_STOCK)


class VideoProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VideoProduct

    video = factory.SubFactory(VideoFactory)
    product = factory.SubFactory(ProductFactory)


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Appearance

    scene = factory.SubFactory(SceneFactory)
    product = factory.SubFactory(ProductFactory)
    match = models.Appearance.Match.EXACT


class ClickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Click

    offer = factory.SubFactory(OfferFactory)
    product = factory.LazyAttribute(lambda o: o.offer.product)
    retailer = factory.LazyAttribute(lambda o: o.offer.retailer)
    visitor_hash = factory.Sequence(lambda n: f"{n:064x}")
    target_url = factory.LazyAttribute(lambda o: o.offer.url)


class OfferCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OfferCheck

    offer = factory.SubFactory(OfferFactory)
    status = models.Offer.LinkStatus.OK
    http_status = 200
    final_url = factory.LazyAttribute(lambda o: o.offer.url)
    duration = timedelta(milliseconds=120)


class PriceHistoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PriceHistory

    offer = factory.SubFactory(OfferFactory)
    price = factory.LazyAttribute(lambda o: o.offer.price)
    currency = factory.LazyAttribute(lambda o: o.offer.currency)
    availability = factory.LazyAttribute(lambda o: o.offer.availability)


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/in")
    events = factory.LazyFunction(lambda: ["offer.price_changed"])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = "offer.price_changed"
    payload = factory.LazyFunction(lambda: {"id": 1})


class RetailerTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.RetailerToken

    retailer = factory.SubFactory(RetailerFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    key_prefix = factory.Sequence(lambda n: f"rtk_{n:08d}")
    digest = factory.Sequence(lambda n: f"{n:064x}")


class ProductAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ProductAlert

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)
    kind = models.ProductAlert.Kind.BACK_IN_STOCK
    currency = "USD"


class AlertNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.AlertNotification

    alert = factory.SubFactory(ProductAlertFactory)
    new_price = Decimal("10.00")
    currency = "USD"


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ExchangeRate

    currency = factory.Iterator(["USD", "GBP", "JPY", "CHF", "SEK", "CAD", "AUD", "NOK"])
    date = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    rate = Decimal("1.10")


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ImportJob

    kind = "retailers"
    file = factory.django.FileField(filename="retailers.csv", data=b"name,slug\nShop,shop\n")
    status = models.ImportJob.Status.DONE
    total_rows = 1
    processed_rows = 1
    report = factory.LazyFunction(
        lambda: {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0, "rejected_rows": []}
    )
    created_by = factory.SubFactory(UserFactory)
