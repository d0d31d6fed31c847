"""The shoppers' search: its text rules, the engine (MariaDB FULLTEXT, SQLite FTS5) and how
the stored search text keeps in step with every writer.

MariaDB's full-text index sees only committed rows, so the tests that search run
transactionally (and restore the migrations' types and styles afterwards).
"""

import csv
import os
import sqlite3
import subprocess
import sys
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from catalog import search
from catalog.models import Artist, Product, ProductSearchTerm, ProductType, Video
from catalog.services import set_video_status

from .factories import (
    AppearanceFactory,
    ArtistFactory,
    ProductFactory,
    SceneFactory,
    VideoFactory,
    VideoProductFactory,
    make_upc,
)

searching = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def found(text, queryset=None):
    """The products the full-text engine finds; the search terms must find the same."""
    queryset = Product.objects.all() if queryset is None else queryset
    results = list(queryset.search(text))
    assert set(queryset.search_ids(text, 0, 1000)) == {product.pk for product in results}
    return results


def terms_of(product):
    return dict(product.search_terms.values_list("term", "weight"))


def stored(instance):
    return type(instance).objects.values_list("search_text", flat=True).get(pk=instance.pk)


# The text rules


def test_fold_lowercases_and_drops_accents_and_apostrophes():
    assert search.fold("LEVI’S Café Ærø Beyoncé") == "levis cafe aero beyonce"


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("jackets", "jacket"),
        ("dresses", "dress"),
        ("shoes", "shoe"),
        ("watches", "watch"),
        ("boxes", "box"),
        ("hoodies", "hoodie"),
        ("accessories", "accessory"),
        ("jeans", "jean"),
        ("sunglasses", "sunglass"),
        ("scarves", "scarf"),
        ("women", "woman"),
        ("levis", "levi"),
    ],
)
def test_stem_maps_a_plural_and_its_singular_together(plural, singular):
    assert search.stem(plural) == search.stem(singular)


@pytest.mark.parametrize("word", ["dress", "status", "boy", "pie"])
def test_stem_leaves_singulars_that_look_plural_alone(word):
    assert search.stem(word) == word


def test_punctuation_splits_words_and_keeps_their_joined_form():
    assert search.tokens("T-Shirt") == ["t__", "shirt", "tshirt"]
    assert search.query_terms("t-shirt") == ["t__", "shirt"]
    assert search.query_terms("tshirt") == ["tshirt"]


def test_short_words_and_innodb_stopwords_are_kept_padded():
    assert search.tokens("The Who H&M") == ["the_", "who_", "h__", "m__", "hm_"]


@pytest.mark.parametrize("query", ["", "   ", "!!! ...", "'"])
def test_a_query_without_a_word_has_no_terms_and_matches_nothing(query, db):
    ProductFactory()
    assert search.query_terms(query) == []
    assert found(query) == []


# Matching and ranking


@pytest.fixture
def catalog():
    """Products as the journeys issue names them, with their artists and videos."""
    swift = ArtistFactory(name="Taylor Swift", first_name="Taylor", last_name="Swift")
    video = VideoFactory(title="Anti-Hero", artists=[swift])
    draft = VideoFactory(title="Secret Sessions", artists=[swift], draft=True)
    jacket = ProductFactory(
        brand="AllSaints", name="Dalby leather biker jacket", description="Washed lambskin."
    )
    rains = ProductFactory(
        brand="Rains",
        name="Long coat",
        description="A waterproof rain jacket with welded seams.",
    )
    levis = ProductFactory(brand="Levi's", name="501 Original", description="Straight jeans.")
    cafe = ProductFactory(brand="Maison", name="Café racer boots", description="Suede.")
    AppearanceFactory(scene=SceneFactory(video=video), product=jacket)
    VideoProductFactory(video=video, product=levis)
    VideoProductFactory(video=draft, product=cafe)
    return {"swift": swift, "video": video, "jacket": jacket, "rains": rains, "levis": levis}


@searching
def test_plurals_find_singulars_and_back(catalog):
    assert catalog["jacket"] in found("jackets")
    assert catalog["levis"] in found("jean")


@searching
@pytest.mark.parametrize("query", ["levis", "LEVI'S", "levi’s", "Levi"])
def test_case_and_punctuation_do_not_matter(catalog, query):
    assert found(query) == [catalog["levis"]]


@searching
def test_accents_do_not_matter():
    ArtistFactory(name="Beyoncé")
    boots = ProductFactory(name="Cafe racer boots")
    assert found("CAFÉ RACER") == [boots]
    assert list(Artist.objects.search("beyonce").values_list("name", flat=True)) == ["Beyoncé"]


@searching
def test_descriptions_are_searched(catalog):
    assert found("waterproof") == [catalog["rains"]]
    assert catalog["rains"] in found("rain jacket")


@searching
def test_every_word_must_match(catalog):
    assert found("rain jacket lambskin") == []


@searching
def test_products_are_found_through_their_artists_and_videos(catalog):
    assert set(found("TAYLOR SWIFT")) == {catalog["jacket"], catalog["levis"]}
    assert set(found("anti hero")) == {catalog["jacket"], catalog["levis"]}
    assert set(found("antihero")) == {catalog["jacket"], catalog["levis"]}


@searching
def test_draft_videos_do_not_lend_their_titles(catalog):
    assert found("secret sessions") == []


@searching
def test_a_name_match_ranks_above_a_description_match(catalog):
    results = found("jacket")
    assert results[0] == catalog["jacket"]
    assert catalog["rains"] in results[1:]
    ranks = [product.search_rank for product in results]
    assert ranks == sorted(ranks, reverse=True)


@searching
def test_a_page_of_ids_comes_best_first_on_either_engine():
    video = VideoFactory()
    once = ProductFactory(brand="Acme", name="Coat", description="Not a jacket.")
    four = ProductFactory(brand="Jacket Co", name="Jacket", description="Wool.")
    twice = ProductFactory(brand="Acme", name="Biker jacket", description="Wool.")
    for product in (once, four, twice):
        VideoProductFactory(video=video, product=product)
    ProductFactory(brand="Jacket Jacket", name="Jacket jacket")  # in no video

    published = Product.objects.published()
    assert published.search_ids("jackets", 0, 10) == [four.pk, twice.pk, once.pk]
    assert published.search_ids("jackets", 1, 2) == [twice.pk]
    assert published.in_order_of([once.pk, four.pk]) == [once, four]


@searching
def test_several_words_are_read_from_the_rarest_and_every_word_must_match(monkeypatch):
    video = VideoFactory()
    black = [ProductFactory(brand="Acme", name=f"Black tee {n}") for n in range(6)]
    both = ProductFactory(brand="Acme", name="Black denim jacket")
    denim_name = ProductFactory(brand="Denim Co", name="Denim shirt", description="Black.")
    denim_only = ProductFactory(brand="Acme", name="Denim cap")
    for product in [*black, both, denim_name, denim_only]:
        VideoProductFactory(video=video, product=product)
    draft = ProductFactory(brand="Acme", name="Black denim draft")  # in no video
    published = Product.objects.published()
    monkeypatch.setattr(search, "RARE", 5)  # counts stop at 5: "black" (9) reads as 5

    with CaptureQueriesContext(connection) as queries:
        ids = published.search_ids("black denim", 0, 10)

    # "denim" (4 products with the draft) drives, most occurrences first: 4 in brand and
    # name against 2 in the name (where "black" would have put the jacket first)
    assert ids == [denim_name.pk, both.pk]
    assert published.search_ids("denim black", 0, 10) == ids
    assert published.search_ids("black denim", 1, 10) == [both.pk]
    assert draft.pk in Product.objects.all().search_ids("black denim", 0, 10)
    assert len(queries) == 2  # the words' counts, then the page
    assert "LIMIT 5" in queries[0]["sql"]


@searching
def test_videos_and_artists_are_searched_on_the_same_engine(catalog):
    assert list(Video.objects.search("anti-hero")) == [catalog["video"]]
    assert list(Video.objects.published().search("taylor")) == [catalog["video"]]
    assert list(Artist.objects.search("swift")) == [catalog["swift"]]


@searching
def test_search_runs_on_the_full_text_engine_without_like_scans(catalog):
    with CaptureQueriesContext(connection) as queries:
        list(Product.objects.search("jackets"))
        list(Video.objects.search("hero"))
        list(Artist.objects.search("swift"))
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert sql.count("MATCH") >= 3
    assert " LIKE " not in sql


@searching
def test_the_api_search_uses_the_same_rules(catalog, api_client):
    response = api_client.get("/api/v1/products/", {"search": "Jackets"})
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {catalog["jacket"].pk}


# Keeping the stored text in step


@searching
def test_editing_a_product_updates_its_text():
    product = ProductFactory(name="Plain tee")
    product.name = "Striped sweater"
    product.save()
    assert found("sweaters") == [product]
    assert found("tee") == []


@searching
def test_renaming_an_artist_or_a_video_updates_their_products(catalog):
    swift = catalog["swift"]
    swift.name = "Tay Tay"
    swift.save()
    assert catalog["jacket"] in found("tay tay")
    assert found("taylor swift") == []
    video = catalog["video"]
    video.title = "Midnights"
    video.save()
    assert set(found("midnights")) == {catalog["jacket"], catalog["levis"]}
    assert list(Video.objects.search("midnight")) == [video]


@searching
def test_a_videos_artists_changing_updates_the_video_and_its_products(catalog):
    guest = ArtistFactory(name="Bon Iver")
    catalog["video"].artists.add(guest)
    assert set(found("bon iver")) == {catalog["jacket"], catalog["levis"]}
    guest.videos.clear()
    assert found("bon iver") == []
    catalog["video"].artists.remove(catalog["swift"])
    assert found("taylor swift") == []
    assert list(Video.objects.search("anti hero taylor")) == []


@searching
def test_deleting_an_artist_updates_the_videos_and_products(catalog):
    catalog["swift"].delete()
    assert found("taylor swift") == []
    assert list(Video.objects.search("taylor")) == []


@searching
def test_looks_and_publishing_update_the_products(catalog):
    video = catalog["video"]
    rains = catalog["rains"]
    VideoProductFactory(video=video, product=rains)
    assert rains in found("anti hero")
    set_video_status(videos=Video.objects.filter(pk=video.pk), status=Video.Status.DRAFT)
    assert found("anti hero") == []
    video.refresh_from_db()
    video.status = Video.Status.PUBLISHED
    video.save()
    assert rains in found("anti hero")
    video.video_products.get(product=rains).delete()
    assert rains not in found("anti hero")


@searching
def test_renaming_a_type_updates_its_products(catalog):
    shirt = ProductType.objects.get(slug="shirt")
    shirt.name = "Overshirt"
    shirt.save()
    assert catalog["jacket"] in found("overshirts")


@searching
def test_the_product_feed_keeps_the_text(tmp_path):
    existing = ProductFactory(upc=make_upc(800), name="Old name")
    path = tmp_path / "products.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["upc", "brand", "name", "description", "type", "style"])
        writer.writerow([existing.upc, "Acme", "Quilted gilet", "", "Shirt", "original"])
        writer.writerow([make_upc(801), "Acme", "Waxed parka", "", "Shirt", "original"])
    call_command(
        "import_feed", str(path), "--model", "products", "--no-progress", stdout=StringIO()
    )
    assert found("gilets") == [existing]
    assert [p.upc for p in found("parkas")] == [make_upc(801)]


@searching
def test_refresh_search_repairs_raw_writes_and_the_index(catalog):
    Product.objects.update(search_text="")  # as a raw SQL writer would leave it
    ProductSearchTerm.objects.filter(term="jacket").delete()
    out = StringIO()
    call_command("refresh_search", stdout=out)
    assert out.getvalue().strip() == (
        "Search texts corrected: 0 artists, 0 videos, 4 products. The search index is complete."
    )
    assert catalog["jacket"] in found("taylor swift jacket")
    assert terms_of(catalog["jacket"]) == search.term_weights(stored(catalog["jacket"]))
    assert (
        stored(catalog["jacket"])
        == search.product_texts([catalog["jacket"].pk])[catalog["jacket"].pk][0]
    )


@searching
def test_a_missing_index_comes_back_after_migrate(catalog):
    """SQLite drops a table's triggers when a migration rebuilds it; migrate puts them back."""
    search.uninstall(connection)
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert found("jackets")[0] == catalog["jacket"]
    product = ProductFactory(name="Fresh jacket")
    assert product in found("fresh jacket")


@searching
def test_generate_catalog_fills_the_texts():
    call_command(
        "generate_catalog",
        "--videos=4",
        "--products=20",
        "--offers=20",
        "--retailers=2",
        "--artists=2",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    product = Product.objects.published().first()
    assert stored(product) == search.product_texts([product.pk])[product.pk][0] != ""
    assert product in found(f"{product.brand} {product.name}")
    for product in Product.objects.all():
        assert terms_of(product) == search.term_weights(stored(product))


def manage(*args, database_url, media_root):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_MEDIA_ROOT": str(media_root),
        "DJANGO_DEBUG": "1",
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.slow
def test_refresh_search_command_as_run_from_the_shell(tmp_path):
    """On its own SQLite file: migrate, load the demo, break the texts, repair them."""
    path = tmp_path / "db.sqlite3"
    options = {"database_url": f"sqlite:///{path}", "media_root": tmp_path / "media"}
    manage("migrate", "--no-input", **options)
    manage("load_demo", **options)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE catalog_product SET search_text = ''")
        db.execute("DROP TRIGGER catalog_product_search_update")
        db.execute("UPDATE catalog_product SET search_text = 'stale' WHERE id = 1")
    out = manage("refresh_search", **options)
    assert out.startswith("Search texts corrected: 0 artists, 0 videos, 23 products.")
    found = manage(
        "shell",
        "-c",
        "from catalog.models import Product; "
        "print([p.name for p in Product.objects.published().search('rain jackets')])",
        **options,
    )
    assert "Arcadia II rain jacket" in found
