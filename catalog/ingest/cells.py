"""How a cell of an import file is read: lists of values, text, default slugs, and
reference rows (types, styles, retailers) found by name or slug."""

from django.utils.text import slugify

# Cells that hold several values (artists, images) separate them with "|" or new lines.
LIST_SEPARATOR = " | "


def split_list(value) -> list[str]:
    """Return the non-empty items of a "a | b" or one-per-line cell, in order."""
    if value is None:
        return []
    text = str(value).replace("\r", "\n").replace("|", "\n")
    return [item.strip() for item in text.split("\n") if item.strip()]


def join_list(values) -> str:
    return LIST_SEPARATOR.join(str(value) for value in values)


def cell_text(value) -> str:
    """Return a cell as stripped text: XLSX gives numbers, CSV and JSON give strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        # A UPC typed into a spreadsheet comes back as 12345678905.0.
        value = int(value)
    return str(value).strip()


def default_slug(*parts) -> str:
    """Return the slug a row gets when its file leaves the slug column empty."""
    return slugify(" ".join(str(part) for part in parts if part))


class NameOrSlugIndex:
    """Find rows of a small reference table by name or slug, case-insensitively.

    Product types, styles and retailers are a few hundred rows at most, so one query
    loads them all; the same rule then holds on SQLite (case-sensitive) and MariaDB
    (case-insensitive collation).
    """

    def __init__(self, model):
        self.model = model
        self._by_key = None

    def _load(self):
        self._by_key = {}
        for obj in self.model.objects.only("pk", "name", "slug").order_by("pk"):
            self._by_key.setdefault(obj.slug.casefold(), obj)
            self._by_key.setdefault(obj.name.casefold(), obj)

    def get(self, value):
        """Return the row named or slugged `value`, or raise ValueError saying so."""
        if self._by_key is None:
            self._load()
        text = cell_text(value)
        obj = self._by_key.get(text.casefold())
        if obj is None:
            raise ValueError(f"No {self.model._meta.verbose_name} is named “{text}”.")
        return obj
