"""Shoppers' search: the text rules, the stored search column and the database's own engine.

Artists, videos and products each store a `search_text`: their words (and, for a
product, its type, style, the titles of the published videos it is in and the names of
their artists) lower-cased, with accents and apostrophes dropped, other punctuation
split, plurals stemmed. A query goes through the same rules, so "LEVIS", "Levi's" and
"levis" are one word, and "jackets" is "jacket". The engine matches every word of the
query and ranks by relevance:

- MariaDB/MySQL: a FULLTEXT index on the column, `MATCH … AGAINST` in boolean mode.
- SQLite: an FTS5 table over the column (external content), kept by triggers, ranked
  by bm25.

InnoDB leaves out words shorter than three letters and a list of stopwords ("the",
"who", "with"); such words are stored and searched with a trailing "_" ("h&m" is
"h__ m__ hm_", "the who" is "the_ who_"), so every word counts on both engines.

Writers keep the column in step (`catalog/signals.py`, the feed import, the synthetic
catalog, `load_demo`); `manage.py refresh_search` rebuilds it for the whole catalog.
"""

import re
import unicodedata
from collections import Counter
from itertools import batched

from django.apps import apps as global_apps
from django.db import NotSupportedError, connection, connections, models
from django.db.models import Exists, OuterRef

# InnoDB's default full-text stopwords (information_schema.INNODB_FT_DEFAULT_STOPWORD).
INNODB_STOPWORDS = frozenset(
    {
        *("a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for"),
        *("from", "how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the"),
        *("this", "to", "was", "what", "when", "where", "who", "will", "with", "und", "www"),
    }
)
MIN_TOKEN = 3  # innodb_ft_min_token_size's default
MAX_TOKEN = 84  # innodb_ft_max_token_size's default
MAX_QUERY_TERMS = 12
APOSTROPHES = re.compile(r"['’‘ʼ`´]")
WORD = re.compile(r"[^\W_]+")
# Letters that do not decompose into a base letter and an accent.
LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d"})
IRREGULAR = {
    "men": "man",
    "women": "woman",
    "children": "child",
    "feet": "foot",
    "teeth": "tooth",
    "scarves": "scarf",
    "knives": "knife",
    "leaves": "leaf",
    "shelves": "shelf",
    "halves": "half",
    "wolves": "wolf",
}


def fold(text: str) -> str:
    """Lower-case `text` and drop its accents and apostrophes ("Levi's Café" → "levis cafe")."""
    text = unicodedata.normalize("NFKD", text.casefold()).translate(LETTERS)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return APOSTROPHES.sub("", text)


def stem(word: str) -> str:
    """Reduce an English plural to its singular, and a final -y/-ie to -i.

    A light stemmer: it only has to map a word and its plural to the same stem, since
    the text and the query both go through it ("hoodies", "hoodie" → "hoodi";
    "dresses" → "dress"; "accessories", "accessory" → "accessori").
    """
    if word in IRREGULAR:
        return IRREGULAR[word]
    if len(word) > 3:
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("sses", "xes", "ches", "shes", "zzes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us")):
            word = word[:-1]
    if len(word) > 3:
        if word.endswith("ie"):
            word = word[:-1]
        elif word.endswith("y"):
            word = word[:-1] + "i"
    return word


def token(word: str) -> str:
    """Return the stored form of one word: stemmed, and padded where InnoDB would skip it."""
    word = stem(word)[:MAX_TOKEN]
    if len(word) < MIN_TOKEN:
        return word.ljust(MIN_TOKEN, "_")
    if word in INNODB_STOPWORDS:
        return word + "_"
    return word


def tokens(text: str) -> list[str]:
    """Return the tokens of `text` in order; "t-shirt" is "t", "shirt" and also "tshirt"."""
    result = []
    for chunk in fold(text).split():
        parts = WORD.findall(chunk)
        result.extend(token(part) for part in parts)
        if len(parts) > 1:
            result.append(token("".join(parts)))
    return result


def search_text(*values) -> str:
    """Return the stored search text of these values (strings, or lists of strings)."""
    words = []
    for value in values:
        for text in [value] if isinstance(value, str) else value:
            words.extend(tokens(text or ""))
    return " ".join(words)


def query_terms(query: str) -> list[str]:
    """Return the distinct terms a query must all match, in order: [] when it has none."""
    terms = []
    for chunk in fold(query).split():
        for part in WORD.findall(chunk):
            term = token(part)
            if term not in terms:
                terms.append(term)
    return terms[:MAX_QUERY_TERMS]


# The column, its lookup and its rank


class SearchTextField(models.TextField):
    """The stored, normalised words of a row, searched with `search_text__matches=terms`."""


def search_text_field() -> SearchTextField:
    return SearchTextField(
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text="Normalised words for the shoppers' search. Kept by the catalog.",
    )


def fts_table_and_pk(compiler, connection, column):
    """Return the quoted FTS5 table of a search column's model and its row's primary key."""
    model = column.target.model
    quote = connection.ops.quote_name
    alias = compiler.quote_name(column.alias)
    return quote(f"{model._meta.db_table}_search"), f"{alias}.{quote(model._meta.pk.column)}"


@SearchTextField.register_lookup
class Matches(models.Lookup):
    """Rows whose search text holds every one of the terms (a list from query_terms())."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_mysql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        query = engine_query(connection, self.rhs)
        return f"MATCH ({column}) AGAINST (%s IN BOOLEAN MODE)", [*params, query]

    def as_sqlite(self, compiler, connection):
        table, pk = fts_table_and_pk(compiler, connection, self.lhs)
        query = engine_query(connection, self.rhs)
        sql = f"{pk} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)"  # noqa: S608 (names from the model)
        return sql, [query]

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Search needs MariaDB/MySQL or SQLite.")


class SearchRank(models.Func):
    """How well a row matches the terms: higher is better (InnoDB's score, or -bm25)."""

    output_field = models.FloatField()

    def __init__(self, terms, column="search_text"):
        super().__init__(models.F(column))
        self.terms = terms

    def as_mysql(self, compiler, connection):
        column, params = compiler.compile(self.source_expressions[0])
        query = engine_query(connection, self.terms)
        return f"MATCH ({column}) AGAINST (%s IN BOOLEAN MODE)", [*params, query]

    def as_sqlite(self, compiler, connection):
        table, pk = fts_table_and_pk(compiler, connection, self.source_expressions[0])
        query = engine_query(connection, self.terms)
        return (
            f"(SELECT -bm25({table}) FROM {table} WHERE {table} MATCH %s AND rowid = {pk})",  # noqa: S608 (names from the model)
            [query],
        )

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError("Search needs MariaDB/MySQL or SQLite.")


def engine_query(connection, terms) -> str:
    """Write the terms in the engine's own query syntax: every term required."""
    if connection.vendor == "mysql":
        return " ".join(f"+{term}" for term in terms)
    # Terms hold only letters, digits and "_": quoting keeps FTS5 from reading AND/OR/NOT.
    return " ".join(f'"{term}"' for term in terms)


class SearchableQuerySet(models.QuerySet):
    def matching(self, query: str):
        """Return the rows matching every word of `query`, in any order.

        A query without a word (empty, only punctuation) matches nothing.
        """
        terms = query_terms(query)
        if not terms:
            return self.none()
        return self.filter(search_text__matches=terms)

    def search(self, query: str):
        """Return the rows matching every word of `query`, best match first.

        Annotates `search_rank`.
        """
        terms = query_terms(query)
        if not terms:
            return self.none()
        return (
            self.filter(search_text__matches=terms)
            .annotate(search_rank=SearchRank(terms))
            .order_by("-search_rank", "pk")
        )

    def in_order_of(self, ids) -> list:
        """Return the rows with these ids (those this queryset holds) in the ids' order."""
        rows = {row.pk: row for row in self.filter(pk__in=ids).order_by()} if ids else {}
        return [rows[pk] for pk in ids if pk in rows]

    def refresh_search(self) -> int:
        """Recompute the stored search text of these rows; return how many changed."""
        ids = list(self.order_by().values_list("pk", flat=True))
        return refresh(self.model, ids)

    refresh_search.alters_data = True


# Keeping the column


def artist_texts(ids, apps=global_apps) -> dict[int, tuple[str, str]]:
    """Return {id: (new text, stored text)} of these artists."""
    Artist = apps.get_model("catalog", "Artist")
    rows = Artist.objects.filter(pk__in=ids).values_list(
        "pk", "name", "first_name", "last_name", "search_text"
    )
    return {pk: (search_text(name, name, first, last), old) for pk, name, first, last, old in rows}


def video_artist_names(video_ids, apps=global_apps) -> dict[int, list[str]]:
    Video = apps.get_model("catalog", "Video")
    names = {}
    rows = (
        Video.artists.through.objects.filter(video_id__in=video_ids)
        .order_by("artist__name")
        .values_list("video_id", "artist__name")
    )
    for video_id, name in rows:
        names.setdefault(video_id, []).append(name)
    return names


def video_texts(ids, apps=global_apps) -> dict[int, tuple[str, str]]:
    """Return {id: (new text, stored text)} of these videos: title, artists, description."""
    Video = apps.get_model("catalog", "Video")
    rows = list(
        Video.objects.filter(pk__in=ids).values_list("pk", "title", "description", "search_text")
    )
    artists = video_artist_names([row[0] for row in rows], apps)
    return {
        pk: (search_text(title, title, artists.get(pk, []), description), old)
        for pk, title, description, old in rows
    }


def product_texts(ids, apps=global_apps) -> dict[int, tuple[str, str]]:
    """Return {id: (new text, stored text)} of these products.

    Brand and name count twice (they rank above a word of the description), then the
    type, the style, the titles of the published videos it is shown with or seen in and
    their artists' names, the description and the UPC. Drafts are left out: their titles
    are not public yet.
    """
    Product = apps.get_model("catalog", "Product")
    VideoProduct = apps.get_model("catalog", "VideoProduct")
    Appearance = apps.get_model("catalog", "Appearance")
    Video = apps.get_model("catalog", "Video")
    rows = list(
        Product.objects.filter(pk__in=ids).values_list(
            "pk",
            "upc",
            "brand",
            "name",
            "description",
            "product_type__name",
            "style__name",
            "search_text",
        )
    )
    ids = [row[0] for row in rows]
    shown = VideoProduct.objects.filter(product__in=ids, video__status="published").values_list(
        "product_id", "video_id"
    )
    seen = Appearance.objects.filter(
        product__in=ids, scene__video__status="published"
    ).values_list("product_id", "scene__video_id")
    videos_of = {}
    for product_id, video_id in shown.order_by().union(seen.order_by()):
        videos_of.setdefault(product_id, set()).add(video_id)
    video_ids = set().union(*videos_of.values())
    titles = dict(Video.objects.filter(pk__in=video_ids).values_list("pk", "title"))
    artists = video_artist_names(video_ids, apps) if video_ids else {}
    texts = {}
    for pk, upc, brand, name, description, type_name, style_name, old in rows:
        videos = sorted(videos_of.get(pk, ()))
        names = sorted({artist for video in videos for artist in artists.get(video, [])})
        new = search_text(
            brand,
            brand,
            name,
            name,
            type_name,
            style_name,
            [titles[video] for video in videos],
            names,
            description,
            upc,
        )
        texts[pk] = (new, old)
    return texts


TEXTS = {"artist": artist_texts, "video": video_texts, "product": product_texts}
BATCH = 2000


def refresh(model, ids, apps=global_apps, *, every_term=False) -> int:
    """Recompute and store the search text of these rows of `model`; return the changes.

    A product's search terms are rewritten with its text (all of them with `every_term`,
    which repairs them).
    """
    model = apps.get_model("catalog", model._meta.model_name)
    texts = TEXTS[model._meta.model_name]
    keeps_terms = model._meta.model_name == "product"
    changed = 0
    for batch in batched(sorted(set(ids)), BATCH):
        current = texts(batch, apps)
        stale = [model(pk=pk, search_text=new) for pk, (new, old) in current.items() if new != old]
        if stale:
            # Derived data, not an edit: the base manager leaves updated_at as it is.
            model._base_manager.bulk_update(stale, ["search_text"], batch_size=500)
        if keeps_terms:
            rewritten = current if every_term else [row.pk for row in stale]
            write_terms({pk: current[pk][0] for pk in rewritten}, apps)
        changed += len(stale)
    return changed


def rebuild(apps=global_apps, using="default") -> dict[str, int]:
    """Recompute every stored search text and product search term, repair the engine's
    index; return the changes."""
    changed = {}
    for name in TEXTS:
        model = apps.get_model("catalog", name)
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        changed[name] = refresh(model, ids, apps, every_term=True)
    install(connections[using], rebuild_index=True)
    return changed


# The products' search terms


def term_weights(text: str) -> dict[str, int]:
    """Return {term: how often it occurs} of a stored search text."""
    return {term: min(count, 32_767) for term, count in Counter(text.split()).items()}


def write_terms(texts: dict[int, str], apps=global_apps) -> None:
    """Make the search terms of these products those of their texts ({id: text}).

    Only the products whose terms differ are rewritten.
    """
    try:
        Term = apps.get_model("catalog", "ProductSearchTerm")
    except LookupError:  # a migration older than the terms
        return
    if not texts:
        return
    wanted = {pk: term_weights(text) for pk, text in texts.items()}
    stored = {pk: {} for pk in texts}
    rows = Term.objects.filter(product_id__in=list(texts)).values_list("product", "term", "weight")
    for pk, term, weight in rows:
        stored[pk][term] = weight
    stale = [pk for pk in texts if stored[pk] != wanted[pk]]
    if not stale:
        return
    Term.objects.filter(product_id__in=stale).delete()
    Term.objects.bulk_create(
        [
            Term(product_id=pk, term=term, weight=weight)
            for pk in stale
            for term, weight in wanted[pk].items()
        ],
        batch_size=5000,
    )


# A bounded count of a term's products: enough to tell a rare word from a common one.
RARE = 2000


def bounded_counts(connection, terms) -> list[int]:
    """Return how many products have each term, counting to RARE at most, in one query."""
    from catalog.models import ProductSearchTerm

    table = connection.ops.quote_name(ProductSearchTerm._meta.db_table)
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE term = %s LIMIT {RARE}) AS t{i})"  # noqa: S608 (the model's table)
        for i in range(len(terms))
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}", terms)
        return list(cursor.fetchone())


def ranked_product_ids(queryset, query: str, start: int, stop: int) -> list[int]:
    """Return the ids of `queryset`'s products matching every word, best first, start:stop.

    The products come from the search terms of the query's rarest word (by a count that
    stops at RARE), most occurrences first, each checked for the other words and for
    `queryset` by its keys: the page's reads stop once it is full, so a page costs about
    the same on any catalog size.
    """
    from catalog.models import ProductSearchTerm

    terms = query_terms(query)
    if not terms:
        return []
    rows = ProductSearchTerm.objects.using(queryset.db)
    if len(terms) > 1:
        counts = bounded_counts(connections[queryset.db], terms)
        order = sorted(range(len(terms)), key=lambda index: (counts[index], index))
        terms = [terms[index] for index in order]
    rarest, others = terms[0], terms[1:]
    matches = rows.filter(term=rarest, product__in=queryset.order_by().values("pk"))
    for term in others:
        matches = matches.filter(Exists(rows.filter(term=term, product=OuterRef("product"))))
    return list(
        matches.order_by("-weight", "product").values_list("product", flat=True)[start:stop]
    )


# The engine's index


SEARCHABLE_TABLES = ("catalog_artist", "catalog_video", "catalog_product")


def sqlite_statements(table: str) -> list[str]:
    """The FTS5 table over `table`'s search text and the triggers that keep it.

    `table` is one of SEARCHABLE_TABLES, never input.
    """
    fts = f"{table}_search"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, "
        f"content='{table}', content_rowid='id', tokenize=\"unicode61 tokenchars '_'\")",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF search_text ON {table} "  # noqa: S608
        f"BEGIN INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


def install(connection=connection, *, rebuild_index: bool = False) -> None:
    """Create the engine's index of each searchable table where it is missing.

    SQLite drops a table's triggers when a migration rebuilds the table, so this runs
    after every migrate (and flush) too; `rebuild_index` also re-reads every row into
    the FTS5 tables, which repairs them after writes that bypassed the triggers.
    """
    with connection.cursor() as cursor:
        for table in SEARCHABLE_TABLES:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s",
                    [f"{table}_search"],
                )
                missing = cursor.fetchone() is None
                for statement in sqlite_statements(table):
                    cursor.execute(statement)
                if rebuild_index or missing:
                    cursor.execute(
                        f"INSERT INTO {table}_search({table}_search) VALUES ('rebuild')"  # noqa: S608
                    )
            elif connection.vendor == "mysql":
                cursor.execute(
                    "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() "
                    "AND table_name = %s AND index_name = %s",
                    [table, f"{table}_search"],
                )
                if cursor.fetchone() is None:
                    # COPY: MariaDB's in-place build can leave the rows already in the
                    # table out of an index that was dropped and created again.
                    cursor.execute(
                        f"ALTER TABLE {table} ADD FULLTEXT INDEX {table}_search (search_text), "
                        "ALGORITHM=COPY"
                    )


def uninstall(connection=connection) -> None:
    with connection.cursor() as cursor:
        for table in SEARCHABLE_TABLES:
            if connection.vendor == "sqlite":
                for action in ("insert", "delete", "update"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{action}")
                cursor.execute(f"DROP TABLE IF EXISTS {table}_search")
            elif connection.vendor == "mysql":
                cursor.execute(f"DROP INDEX {table}_search ON {table}")
