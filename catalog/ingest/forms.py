"""Forms of the curators' back-office that are not a model's admin form."""

from django.conf import settings

from import_export.forms import ImportForm


class CappedImportForm(ImportForm):
    """The admin's import form, refusing a file longer than one request can preview.

    The preview and the confirmed import each validate every row inside one request; a
    file of tens of thousands of rows would run into the server's timeout with nothing
    to show for it. Such a file gets a message on the file field instead, naming the
    shell command that imports it in batches.
    """

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.fields["import_file"].help_text = (
            f"Up to {settings.CATALOG_ADMIN_IMPORT_MAX_ROWS:,} rows. Larger feeds: "
            "Feed imports (a background import, any length), or manage.py import_feed."
        )

    def clean(self):
        data = super().clean()
        upload, chosen = data.get("import_file"), data.get("format")
        if upload is None or chosen in (None, ""):
            return data
        limit = settings.CATALOG_ADMIN_IMPORT_MAX_ROWS
        rows = self._count_rows(upload, self.formats[int(chosen)]())
        if rows is not None and rows > limit:
            self.add_error(
                "import_file",
                f"This file has {rows:,} rows; the admin imports at most {limit:,} at a "
                "time. Upload it under “Feed imports” (no limit, imported in the "
                "background, with a report), or import it from the shell with "
                "“manage.py import_feed”.",
            )
        return data

    @staticmethod
    def _count_rows(upload, input_format) -> int | None:
        """Return the file's number of data rows, or None when it cannot be read: the
        import then reports why, as it does for any unreadable file."""
        if not input_format.is_binary():
            input_format.encoding = "utf-8-sig"
        try:
            content = b"".join(upload.chunks())
            return len(input_format.create_dataset(content))
        except Exception:  # any parse failure is the import's to report, as before
            return None
        finally:
            upload.seek(0)
