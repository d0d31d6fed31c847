"""Generate the synthetic catalog table by table with bulk inserts, reproducibly from a seed."""

import math
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from itertools import batched, pairwise
from time import monotonic

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import search
from catalog.models import (
    Appearance,
    Artist,
    CastMember,
    Offer,
    Product,
    ProductImage,
    ProductStyle,
    ProductType,
    Retailer,
    Scene,
    Video,
    VideoProduct,
    VideoSource,
)
from catalog.validators import gtin_check_digit

from .shape import (
    APPEARANCES_PER_SCENE,
    BRANDS,
    CAST_PER_VIDEO,
    COLORS,
    CONVERTED_TYPES,
    CURRENCIES,
    DEFAULT_BATCH_SIZE,
    FEATURED_ARTIST_SHARE,
    FEATURED_SHARE,
    FIRST_NAMES,
    LAST_NAMES,
    LINK_TEMPLATES,
    MATERIALS,
    PRODUCT_PICTURE,
    PRODUCTS_PER_VIDEO,
    PUBLISHED_SHARE,
    RETAILER_SUFFIXES,
    RETAILER_WORDS,
    ROLES,
    SCENE_TITLES,
    SYNTHETIC_PREFIX,
    TITLE_WORDS,
    TYPE_NOUNS,
    VIDEO_PICTURE,
    YOUTUBE_ID_ALPHABET,
    CatalogSize,
    Progress,
    SyntheticCatalogError,
    TableReport,
    cached_slug,
    split_evenly,
    weighted,
)


def solid_picture(color: str, size: int = 64) -> ContentFile:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue())


def ensure_picture(name: str, color: str) -> str:
    """Store the one picture that every synthetic row of a kind points at."""
    if not default_storage.exists(name):
        name = default_storage.save(name, solid_picture(color))
    return name


class SyntheticCatalog:
    """Make a catalog of `size` from `seed`: the same seed gives the same rows."""

    def __init__(
        self,
        size: CatalogSize,
        *,
        seed: int,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
    ):
        self.size = size
        self.seed = seed
        self.batch_size = batch_size
        self.progress = progress or Progress()
        # Synthetic data, not secrets: a seeded Mersenne Twister is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.reports: list[TableReport] = []
        self.connection = connections[DEFAULT_DB_ALIAS]
        # Timestamps for the rows' own dates (link checks); `bulk_create` still stamps
        # created_at/updated_at itself, since it runs auto_now's pre_save on every row.
        self.now = timezone.now()

    def generate(self) -> list[TableReport]:
        problems = self.size.problems()
        if problems:
            raise SyntheticCatalogError(" ".join(problems))
        self.types = list(ProductType.objects.order_by("slug"))
        self.styles = {style.slug: style for style in ProductStyle.objects.all()}
        if not self.types or not self.styles:
            raise SyntheticCatalogError(
                "Product types and styles are missing: run `manage.py migrate` first."
            )
        self.product_picture = ensure_picture(PRODUCT_PICTURE, "#c8a27a")
        self.video_picture = ensure_picture(VIDEO_PICTURE, "#2d3a4a")

        with self.without_foreign_key_checks():
            self.make_retailers()
            self.make_artists()
            self.make_videos()
            self.make_cast()
            self.make_scenes()
            self.make_products()
            self.make_offers()
            self.make_video_products()
            self.make_appearances()
        # The rows went in as raw SQL, past the receivers that keep the flag, the prices
        # and the search texts.
        Product.objects.refresh_published()
        Product.objects.refresh_prices()
        search.rebuild()
        self.progress.finish()
        return self.reports

    @contextmanager
    def without_foreign_key_checks(self):
        """Skip MySQL's per-row foreign key lookups while inserting.

        Safe here: every id written was read back from the database by this run. Unique
        checks stay on, since they are what refuses a slug or UPC a curator already used.
        """
        if self.connection.vendor != "mysql":
            yield
            return
        with self.connection.cursor() as cursor:
            cursor.execute("SET SESSION foreign_key_checks = 0")
        try:
            yield
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET SESSION foreign_key_checks = 1")

    # Inserting

    def insert(
        self,
        model: type[models.Model],
        fields: tuple[str, ...],
        rows: Iterable[tuple],
        total: int,
        *,
        label: str | None = None,
        key: tuple[str, ...] | None = None,
    ) -> list[int]:
        """Insert `rows` (values of `fields`) in batches; return their ids if `key` is given.

        This writes plain tuples with `executemany` rather than `bulk_create`: building a
        model instance and compiling each of its fields costs more than the database's
        work, and made the full catalog take a quarter of an hour. The values are still
        converted by the model's fields where the database wants another form (dates,
        durations, decimals), and the timestamps are set here since no `auto_now` runs.

        Each batch commits on its own: an interrupted run leaves a partial catalog that
        `--replace` removes, instead of one transaction's undo log of millions of rows.
        `key` names unique fields whose values find the new ids; MySQL returns none from
        a multi-row INSERT.
        """
        label = label or str(model._meta.verbose_name_plural)
        opts = model._meta
        columns = [opts.get_field(name) for name in fields]
        stamped = [f for f in opts.concrete_fields if f.name in ("created_at", "updated_at")]
        quote = self.connection.ops.quote_name
        # Table and column names come from the model and are quoted; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(opts.db_table),
            ", ".join(quote(field.column) for field in [*columns, *stamped]),
            ", ".join(["%s"] * (len(columns) + len(stamped))),
        )
        converters = [
            self.converter(field) if field.get_internal_type() in CONVERTED_TYPES else None
            for field in columns
        ]
        converted = [index for index, convert in enumerate(converters) if convert]
        stamps = tuple(field.get_db_prep_save(self.now, self.connection) for field in stamped)
        key_indexes = [fields.index(name) for name in key] if key else []

        started = monotonic()
        advance = self.progress.start(label, total)
        ids: list[int] = []
        count = 0
        for batch in batched(rows, self.batch_size):
            params = []
            for row in batch:
                if converted:
                    row = list(row)
                    for index in converted:
                        row[index] = converters[index](row[index])
                params.append((*row, *stamps))
            with transaction.atomic(), self.connection.cursor() as cursor:
                cursor.executemany(sql, params)
                if key:
                    ids.extend(self.ids_of(model, batch, key, key_indexes))
            count += len(batch)
            advance(len(batch))
        self.reports.append(TableReport(label, count, monotonic() - started))
        return ids

    def converter(self, field) -> Callable[[object], object]:
        """Return the field's conversion to the database's form, remembering results.

        The generator draws dates, times and prices from small sets of values, so the
        memo stays small and saves most of Django's per-value work (time zones above all).
        """
        memo: dict = {}

        def convert(value):
            try:
                return memo[value]
            except KeyError:
                memo[value] = field.get_db_prep_save(value, self.connection)
                return memo[value]

        return convert

    def ids_of(self, model, batch, key, key_indexes) -> list[int]:
        """Return the ids of a batch just inserted, in its order, by its unique `key`."""
        first = key_indexes[0]
        found = {
            tuple(row[:-1]): row[-1]
            for row in model._base_manager.filter(
                **{f"{key[0]}__in": {row[first] for row in batch}}
            ).values_list(*key, "pk")
        }
        return [found[tuple(row[index] for index in key_indexes)] for row in batch]

    # Tables

    def make_retailers(self) -> None:
        rng = self.rng
        taken = set(Retailer.objects.values_list("name", flat=True))
        self.retailer_hosts: list[str] = []
        self.retailer_currencies: list[str] = []

        def rows() -> Iterator[tuple]:
            for number in range(1, self.size.retailers + 1):
                name = f"{rng.choice(RETAILER_WORDS)} {rng.choice(RETAILER_SUFFIXES)}"
                if name in taken:
                    name = f"{name} {number}"
                taken.add(name)
                slug = f"{SYNTHETIC_PREFIX}{slugify(name)}"
                host = f"{slug.removeprefix(SYNTHETIC_PREFIX)}.example.com"
                self.retailer_hosts.append(host)
                self.retailer_currencies.append(weighted(rng, CURRENCIES))
                template = weighted(rng, LINK_TEMPLATES)
                yield (name, slug, f"https://{host}/", "", template)

        fields = ("name", "slug", "homepage_url", "logo", "link_template")
        self.retailer_ids = self.insert(
            Retailer, fields, rows(), self.size.retailers, key=("slug",)
        )

    def make_artists(self) -> None:
        rng = self.rng
        taken = set(Artist.objects.values_list("name", flat=True))
        self.artist_names: list[str] = []

        def rows() -> Iterator[tuple]:
            for number in range(1, self.size.artists + 1):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                name = f"{first} {last}"
                if name in taken:
                    name = f"{first} {last} {number}"
                taken.add(name)
                self.artist_names.append(name)
                bio = f"{name} is a synthetic artist made for scale tests."
                yield (name, f"{SYNTHETIC_PREFIX}{slugify(name)}", first, last, bio, "")

        fields = ("name", "slug", "first_name", "last_name", "bio", "image")
        self.artist_ids = self.insert(Artist, fields, rows(), self.size.artists, key=("slug",))

    def make_videos(self) -> None:
        rng = self.rng
        first_day = date(1985, 1, 1).toordinal()
        last_day = date(2026, 6, 30).toordinal()
        self.video_durations: list[int] = []  # milliseconds
        self.video_artists: list[list[int]] = []  # artist indexes
        self.scene_counts = split_evenly(rng, self.size.scenes, self.size.videos)

        def rows() -> Iterator[tuple]:
            for number in range(1, self.size.videos + 1):
                title = " ".join(rng.sample(TITLE_WORDS, rng.randint(1, 3)))
                artists = [rng.randrange(self.size.artists)]
                if self.size.artists > 1 and rng.random() < FEATURED_ARTIST_SHARE:
                    other = artists[0] + 1 + rng.randrange(self.size.artists - 1)
                    artists.append(other % self.size.artists)
                self.video_artists.append(artists)
                # Long enough for a second per scene at the least.
                scenes = self.scene_counts[number - 1]
                duration = max(rng.randint(150_000, 360_000), scenes * 1000)
                self.video_durations.append(duration)
                published = rng.random() < PUBLISHED_SHARE
                yield (
                    title,
                    f"{SYNTHETIC_PREFIX}{cached_slug(title)}-{number}",
                    f"{title} by {self.artist_names[artists[0]]}.",
                    self.video_picture,
                    timedelta(milliseconds=duration),
                    date.fromordinal(rng.randint(first_day, last_day)),
                    Video.Status.PUBLISHED if published else Video.Status.DRAFT,
                    published and rng.random() < FEATURED_SHARE,
                )

        fields = (
            "title",
            "slug",
            "description",
            "thumbnail",
            "duration",
            "release_date",
            "status",
            "is_featured",
        )
        self.video_ids = self.insert(Video, fields, rows(), self.size.videos, key=("slug",))
        links = [
            (video_id, self.artist_ids[artist])
            for video_id, artists in zip(self.video_ids, self.video_artists, strict=True)
            for artist in artists
        ]
        through = Video.artists.through
        self.insert(through, ("video_id", "artist_id"), links, len(links), label="video artists")

        zero = timedelta(0)

        def sources() -> Iterator[tuple]:
            for video_id in self.video_ids:
                external_id = "".join(rng.choices(YOUTUBE_ID_ALPHABET, k=11))
                url = f"https://www.youtube.com/watch?v={external_id}"
                yield (video_id, VideoSource.Provider.YOUTUBE, external_id, url, "", zero, True)

        fields = ("video_id", "provider", "external_id", "url", "file", "offset", "is_primary")
        self.insert(VideoSource, fields, sources(), self.size.videos)

    def make_cast(self) -> None:
        rng = self.rng
        casts = [rng.sample(ROLES, rng.randint(*CAST_PER_VIDEO)) for _ in self.video_ids]

        def rows() -> Iterator[tuple]:
            for video_id, artists, roles in zip(
                self.video_ids, self.video_artists, casts, strict=True
            ):
                for role in roles:
                    if role == "Lead":
                        performer = self.artist_names[artists[0]]
                        artist_id = self.artist_ids[artists[0]]
                    else:
                        performer = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                        artist_id = None
                    yield (video_id, role, performer, artist_id)

        fields = ("video_id", "name", "performer_name", "artist_id")
        total = sum(map(len, casts))
        ids = iter(self.insert(CastMember, fields, rows(), total, key=("video_id", "name")))
        self.cast_ids = [[next(ids) for _ in roles] for roles in casts]

    def make_scenes(self) -> None:
        rng = self.rng
        self.scene_videos: list[int] = []  # video index of each scene
        self.scene_cast: list[list[int]] = []  # cast member ids of each scene

        def rows() -> Iterator[tuple]:
            for index, (video_id, count) in enumerate(
                zip(self.video_ids, self.scene_counts, strict=True)
            ):
                if not count:
                    continue
                # Scenes tile the video: each ends where the next starts and the last at
                # the end, on a tenth-of-a-second grid so that none is empty.
                steps = self.video_durations[index] // 100
                cuts = [0, *sorted(rng.sample(range(1, steps), count - 1)), steps]
                cast = self.cast_ids[index]
                for number, (start, end) in enumerate(pairwise(cuts), start=1):
                    self.scene_videos.append(index)
                    self.scene_cast.append(rng.sample(cast, min(len(cast), rng.randint(1, 2))))
                    yield (
                        video_id,
                        f"{SCENE_TITLES[number % len(SCENE_TITLES)]} {number}",
                        timedelta(milliseconds=start * 100),
                        timedelta(milliseconds=end * 100),
                    )

        fields = ("video_id", "title", "start", "end")
        self.scene_ids = self.insert(
            Scene, fields, rows(), self.size.scenes, key=("video_id", "start")
        )
        links = (
            (scene_id, cast_id)
            for scene_id, cast in zip(self.scene_ids, self.scene_cast, strict=True)
            for cast_id in cast
        )
        total = sum(map(len, self.scene_cast))
        through = Scene.cast_members.through
        fields = ("scene_id", "castmember_id")
        self.insert(through, fields, links, total, label="scene cast members")

    def make_products(self) -> None:
        rng = self.rng
        size = self.size.products
        # GS1 prefixes 20-29 are for restricted, in-store use: no real product has one, so
        # synthetic codes never collide with a curator's. Skip any a curator used anyway.
        taken = set(Product.objects.filter(upc__startswith="2").values_list("upc", flat=True))
        bodies = [f"2{body:011d}" for body in rng.sample(range(10**11), size + len(taken))]
        upcs = [body + str(gtin_check_digit(body)) for body in bodies]
        self.product_upcs = [upc for upc in upcs if upc not in taken][:size]
        styles = [
            (self.styles[slug], weight)
            for slug, weight in (("original", 50), ("low_end", 25), ("high_end", 25))
            if slug in self.styles
        ] or [(style, 1) for style in self.styles.values()]
        self.product_prices: list[float] = []

        def rows() -> Iterator[tuple]:
            for number, upc in enumerate(self.product_upcs, start=1):
                product_type = rng.choice(self.types)
                style = weighted(rng, styles)
                brand = rng.choice(BRANDS)
                noun = rng.choice(TYPE_NOUNS.get(product_type.slug, (product_type.name,)))
                name = f"{rng.choice(COLORS)} {rng.choice(MATERIALS)} {noun}"
                price = math.exp(rng.gauss(math.log(60), 0.7))
                price *= {"low_end": 0.5, "high_end": 3}.get(style.slug, 1)
                self.product_prices.append(min(max(price, 3), 5000))
                yield (
                    upc,
                    brand,
                    name,
                    f"{SYNTHETIC_PREFIX}{cached_slug(brand)}-{cached_slug(name)}-{number}",
                    f"A synthetic {noun.lower()} by {brand}.",
                    product_type.pk,
                    style.pk,
                )

        fields = ("upc", "brand", "name", "slug", "description", "product_type_id", "style_id")
        self.product_ids = self.insert(Product, fields, rows(), size, key=("upc",))
        images = (
            (product_id, self.product_picture, f"Photo of product {upc}", 0)
            for product_id, upc in zip(self.product_ids, self.product_upcs, strict=True)
        )
        fields = ("product_id", "image", "alt_text", "position")
        self.insert(ProductImage, fields, images, size)

    def make_offers(self) -> None:
        rng = self.rng
        counts = split_evenly(rng, self.size.offers, self.size.products)
        retailers = range(self.size.retailers)
        in_stock, out_of_stock, unknown = (
            Offer.Availability.IN_STOCK,
            Offer.Availability.OUT_OF_STOCK,
            Offer.Availability.UNKNOWN,
        )
        link = Offer.LinkStatus
        minutes_in_month = 30 * 24 * 60
        # Shop prices end in .99, .49 or .00; checks happened on the minute.
        endings = ("0.99", "0.49", "1.00")

        def rows() -> Iterator[tuple]:
            for index, count in enumerate(counts):
                product_id, upc = self.product_ids[index], self.product_upcs[index]
                base_price = self.product_prices[index]
                for retailer in rng.sample(retailers, count):
                    roll = rng.random()
                    checked = self.now - timedelta(minutes=rng.randrange(minutes_in_month))
                    # Mostly healthy links; some out of stock, unchecked, or failing.
                    if roll < 0.80:
                        state = (in_stock, link.OK, 0, checked)
                    elif roll < 0.88:
                        state = (out_of_stock, link.OUT_OF_STOCK, 1, checked)
                    elif roll < 0.95:
                        state = (unknown, link.UNCHECKED, 0, None)
                    else:
                        state = (unknown, link.BROKEN, rng.randint(1, 5), checked)
                    whole = max(int(base_price * rng.uniform(0.85, 1.2)), 1)
                    price = Decimal(whole) + Decimal(rng.choice(endings)) - 1
                    yield (
                        product_id,
                        self.retailer_ids[retailer],
                        f"https://{self.retailer_hosts[retailer]}/p/{upc}",
                        price,
                        self.retailer_currencies[retailer],
                        *state,
                    )

        fields = (
            "product_id",
            "retailer_id",
            "url",
            "price",
            "currency",
            "availability",
            "link_status",
            "failed_checks",
            "last_checked_at",
        )
        self.insert(Offer, fields, rows(), self.size.offers)

    def video_pool(self, index: int) -> list[int]:
        """Return the product indexes a video's scenes draw from: its own slice of them."""
        if not self.size.products:
            return []
        per_video = max(3, math.ceil(self.size.products / max(self.size.videos, 1)))
        per_video = min(per_video, self.size.products)
        return [(index * per_video + n) % self.size.products for n in range(per_video)]

    def make_video_products(self) -> None:
        rng = self.rng
        picks = [
            rng.sample(pool, min(PRODUCTS_PER_VIDEO, len(pool)))
            for pool in map(self.video_pool, range(self.size.videos))
        ]
        rows = (
            (video_id, self.product_ids[product])
            for video_id, products in zip(self.video_ids, picks, strict=True)
            for product in products
        )
        fields = ("video_id", "product_id")
        self.insert(VideoProduct, fields, rows, sum(map(len, picks)), label="video products")

    def make_appearances(self) -> None:
        rng = self.rng
        matches = (
            (Appearance.Match.EXACT, 60),
            (Appearance.Match.SIMILAR, 30),
            (Appearance.Match.ALTERNATIVE, 10),
        )
        per_scene = min(APPEARANCES_PER_SCENE, len(self.video_pool(0)))

        def rows() -> Iterator[tuple]:
            for scene_id, video, cast in zip(
                self.scene_ids, self.scene_videos, self.scene_cast, strict=True
            ):
                for product in rng.sample(self.video_pool(video), per_scene):
                    worn_by = rng.choice(cast) if cast and rng.random() < 0.7 else None
                    yield (scene_id, self.product_ids[product], worn_by, weighted(rng, matches))

        fields = ("scene_id", "product_id", "cast_member_id", "match")
        self.insert(Appearance, fields, rows(), len(self.scene_ids) * per_scene)
