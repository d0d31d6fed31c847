from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

import pytest

from catalog.models import (
    Appearance,
    Artist,
    Offer,
    Product,
    ProductStyle,
    ProductType,
    Scene,
    Video,
    VideoSource,
)

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    CastMemberFactory,
    OfferFactory,
    ProductFactory,
    ProductImageFactory,
    RetailerFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    VideoSourceFactory,
    make_upc,
)

pytestmark = pytest.mark.django_db


def test_timestamps_are_set_on_create_and_bumped_on_save():
    artist = ArtistFactory()
    assert artist.created_at is not None
    first_update = artist.updated_at
    artist.bio = "New bio"
    artist.save()
    artist.refresh_from_db()
    assert artist.updated_at > first_update
    assert artist.created_at <= first_update


def test_queryset_update_bumps_updated_at():
    video = VideoFactory(draft=True)
    before = video.updated_at
    Video.objects.filter(pk=video.pk).update(status=Video.Status.PUBLISHED)
    video.refresh_from_db()
    assert video.updated_at > before


def test_bulk_update_bumps_updated_at():
    products = ProductFactory.create_batch(2)
    before = {p.pk: p.updated_at for p in products}
    for product in products:
        product.description = "Changed"
    Product.objects.bulk_update(products, ["description"])
    for product in Product.objects.filter(pk__in=before):
        assert product.updated_at > before[product.pk]


def test_artist_name_is_unique():
    ArtistFactory(name="Taylor Swift", slug="taylor-swift")
    with pytest.raises(IntegrityError):
        Artist.objects.create(name="Taylor Swift", slug="taylor-swift-2")


def test_duplicate_upc_is_refused_by_the_database():
    ProductFactory(upc=make_upc(101))
    with pytest.raises(IntegrityError):
        ProductFactory(upc=make_upc(101))


@pytest.mark.parametrize(
    ("upc", "code"),
    [
        ("12345678901a", "gtin_not_digits"),
        ("101", "gtin_length"),
        ("036000291453", "gtin_check_digit"),
    ],
)
def test_bad_upc_is_a_validation_error(upc, code):
    product = ProductFactory.build(upc=upc)
    with pytest.raises(ValidationError) as excinfo:
        product.full_clean()
    assert code in [error.code for error in excinfo.value.error_dict["upc"]]


def test_valid_upc_passes():
    ProductFactory.build(upc="036000291452").clean_fields(exclude=["product_type", "style"])


def test_scene_must_end_after_it_starts_in_the_database():
    video = VideoFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Scene.objects.create(video=video, start=timedelta(seconds=5), end=timedelta(seconds=5))


def test_scene_ending_before_start_is_a_validation_error():
    scene = SceneFactory.build(
        video=VideoFactory(), start=timedelta(seconds=9), end=timedelta(seconds=3)
    )
    with pytest.raises(ValidationError, match="must end after it starts"):
        scene.full_clean()


def test_scenes_keep_millisecond_precision_and_time_order():
    video = VideoFactory()
    late = SceneFactory(video=video, start=timedelta(seconds=20.25), end=timedelta(seconds=30))
    early = SceneFactory(video=video, start=timedelta(seconds=1.5), end=timedelta(seconds=20.25))
    assert list(video.scenes.all()) == [early, late]
    early.refresh_from_db()
    assert early.start == timedelta(seconds=1, milliseconds=500)


def test_negative_price_is_refused():
    offer = OfferFactory.build(
        product=ProductFactory(), retailer=RetailerFactory(), price=Decimal("-1")
    )
    with pytest.raises(ValidationError, match="cannot be negative"):
        offer.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.com/x", "data:text/html,x"])
def test_offer_url_must_be_http_or_https(url):
    offer = OfferFactory.build(product=ProductFactory(), retailer=RetailerFactory(), url=url)
    with pytest.raises(ValidationError) as excinfo:
        offer.full_clean()
    assert "url" in excinfo.value.error_dict


def test_offer_url_may_be_2048_characters():
    long_url = "https://shop.example.com/" + "a" * (2048 - len("https://shop.example.com/"))
    offer = OfferFactory(url=long_url)
    offer.full_clean()
    offer.refresh_from_db()
    assert len(offer.url) == 2048


def test_unknown_currency_is_refused():
    offer = OfferFactory.build(
        product=ProductFactory(), retailer=RetailerFactory(), currency="XXY"
    )
    with pytest.raises(ValidationError) as excinfo:
        offer.full_clean()
    assert "currency" in excinfo.value.error_dict


def test_one_offer_per_product_and_retailer():
    offer = OfferFactory()
    with pytest.raises(IntegrityError):
        OfferFactory(product=offer.product, retailer=offer.retailer)


def test_deleting_a_type_or_style_in_use_is_refused():
    product = ProductFactory()
    with pytest.raises(ProtectedError):
        product.product_type.delete()
    with pytest.raises(ProtectedError):
        product.style.delete()
    assert Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_retailer_with_offers_is_refused():
    offer = OfferFactory()
    with pytest.raises(ProtectedError):
        offer.retailer.delete()


def test_deleting_a_video_removes_its_sources_scenes_and_appearances():
    appearance = AppearanceFactory()
    video = appearance.scene.video
    VideoSourceFactory(video=video)
    product = appearance.product
    video.delete()
    assert not VideoSource.objects.exists()
    assert not Scene.objects.exists()
    assert not Appearance.objects.exists()
    assert Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_product_removes_its_images_and_offers():
    image = ProductImageFactory()
    OfferFactory(product=image.product)
    image.product.delete()
    assert not Offer.objects.exists()


def test_join_rows_are_unique_per_pair():
    link = VideoProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoProductFactory(video=link.video, product=link.product)
    appearance = AppearanceFactory()
    with pytest.raises(IntegrityError):
        AppearanceFactory(scene=appearance.scene, product=appearance.product)


def test_video_has_one_primary_source():
    source = VideoSourceFactory(is_primary=True)
    second = VideoSourceFactory.build(video=source.video, is_primary=True)
    with pytest.raises(ValidationError, match="one primary source"):
        second.full_clean()


def test_youtube_source_needs_an_id():
    source = VideoSourceFactory.build(video=VideoFactory(), external_id="")
    with pytest.raises(ValidationError) as excinfo:
        source.full_clean()
    assert "external_id" in excinfo.value.error_dict


def test_cast_member_must_belong_to_the_scene_video():
    scene = SceneFactory()
    outsider = CastMemberFactory()
    appearance = AppearanceFactory.build(
        scene=scene, product=ProductFactory(), cast_member=outsider
    )
    with pytest.raises(ValidationError, match="another video"):
        appearance.full_clean()


def test_reference_data_is_seeded():
    assert {"shirt", "jeans", "dress", "jacket", "shoe", "hat", "accessory"} <= set(
        ProductType.objects.values_list("slug", flat=True)
    )
    assert not ProductType.objects.filter(slug="show").exists()
    assert list(ProductStyle.objects.values_list("slug", "name")) == [
        ("original", "As seen"),
        ("low_end", "Affordable"),
        ("high_end", "Premium"),
    ]


def test_published_products_are_those_of_published_videos():
    shown = VideoProductFactory().product
    seen = AppearanceFactory().product
    hidden = VideoProductFactory(video=VideoFactory(draft=True)).product
    ProductFactory()
    assert set(Product.objects.published()) == {shown, seen}
    assert hidden not in Product.objects.published()


def test_shoppable_offers_skip_out_of_stock_and_failing_links(settings):
    settings.CATALOG_OFFER_MAX_FAILED_CHECKS = 3
    good = OfferFactory()
    OfferFactory(out_of_stock=True)
    failing = OfferFactory()
    Offer.objects.filter(pk=failing.pk).update(failed_checks=3)
    assert list(Offer.objects.buyable()) == [good]


@pytest.mark.parametrize(
    ("template", "url", "expected"),
    [
        ("", "https://s.example/p/1", "https://s.example/p/1"),
        (
            "{url}?utm_source=inspired",
            "https://s.example/p/1",
            "https://s.example/p/1?utm_source=inspired",
        ),
        (
            "{url}?utm_source=inspired",
            "https://s.example/p?id=1",
            "https://s.example/p?id=1&utm_source=inspired",
        ),
        (
            "https://go.example.com/?id=9&url={url_encoded}",
            "https://s.example/p?id=1",
            "https://go.example.com/?id=9&url=https%3A%2F%2Fs.example%2Fp%3Fid%3D1",
        ),
    ],
)
def test_retailer_link_template(template, url, expected):
    retailer = RetailerFactory.build(link_template=template)
    assert retailer.apply_link_template(url) == expected


def test_link_template_needs_a_placeholder():
    retailer = RetailerFactory.build(link_template="https://go.example.com/")
    with pytest.raises(ValidationError) as excinfo:
        retailer.full_clean()
    assert "link_template" in excinfo.value.error_dict


def test_natural_keys_round_trip():
    offer = OfferFactory()
    assert Offer.objects.get_by_natural_key(*offer.natural_key()) == offer
    scene = SceneFactory(start=timedelta(seconds=1.25))
    assert Scene.objects.get_by_natural_key(*scene.natural_key()) == scene
    appearance = AppearanceFactory()
    assert Appearance.objects.get_by_natural_key(*appearance.natural_key()) == appearance


def test_timestamps_are_timezone_aware():
    assert timezone.is_aware(ArtistFactory().created_at)


def test_best_price_prefers_the_site_currency(settings):
    settings.CATALOG_CURRENCY = "USD"
    product = ProductFactory()
    pounds = OfferFactory(product=product, currency="GBP", price=Decimal("110.00"))
    dollars = OfferFactory(product=product, currency="USD", price=Decimal("140.00"))
    cheaper_dollars = OfferFactory(product=product, currency="USD", price=Decimal("120.00"))
    loaded = Product.objects.for_detail().get(pk=product.pk)
    assert loaded.shoppable_offers == [cheaper_dollars, dollars, pounds]
    assert loaded.all_offers == [cheaper_dollars, dollars, pounds]


@pytest.mark.parametrize("model", [Artist, Product, ProductType, ProductStyle, Video, VideoSource])
def test_unknown_field_is_refused(model):
    with pytest.raises(TypeError, match="unexpected keyword"):
        model(no_such_field="x")


def test_two_images_of_a_product_may_share_a_picture():
    first = ProductImageFactory()
    second = ProductImageFactory(product=first.product, image=first.image.name)
    assert first.product.images.count() == 2
    assert second.image.name == first.image.name
