"""What the catalog's admins share: import and export, change lists for big tables,
thumbnails and the read-only evidence admins."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, JSON, XLSX
from simple_history.admin import SimpleHistoryAdmin

from ..ingest.forms import CappedImportForm
from ..models import (
    Click,
    Product,
)
from .paginator import EstimatedCountPaginator

TIMESTAMPS = ["created_at", "updated_at"]
TIMESTAMPS_FIELDSET = ("Record", {"classes": ["collapse"], "fields": TIMESTAMPS})


def recent_clicks_display(relation):
    """Return a read-only admin field counting the object's clicks of the last 30 days."""

    @admin.display(description="clicks in the last 30 days")
    def clicks_last_30_days(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        since = timezone.now() - timedelta(days=30)
        return Click.objects.filter(**{relation: obj}, created_at__gte=since).count()

    return clicks_last_30_days


def thumbnail(image_field, alt, size=48):
    if not image_field:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" class="inspired-thumb">',
        image_field.url,
        alt,
        size,
        size,
    )


class CatalogImportExportMixin(ImportExportMixin):
    """Import with a preview and one transaction; export what the change list shows.

    The confirm step re-reads the stored upload. A file whose preview had invalid rows is
    never offered for confirmation, but a crafted POST or a row that turned invalid since
    the preview must still write nothing, so the confirmed import rolls back on any
    invalid row and shows the rows again instead of claiming success.
    """

    formats = [CSV, XLSX, JSON]
    import_form_class = CappedImportForm
    # Every row of a file with errors, each invalid one with its errors in full.
    import_template_name = "admin/catalog/import.html"

    def has_import_permission(self, request):
        # Importing both creates and changes rows.
        return super().has_import_permission(request) and self.has_add_permission(request)

    def process_dataset(self, dataset, form, request, **kwargs):
        kwargs["rollback_on_validation_errors"] = True
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # The confirmation names the upload stored by the preview, which is removed
            # once imported: a second confirmation or a made-up name finds nothing.
            return self.import_failed(request, "The uploaded file is gone; upload it again.")

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            return self.import_failed(
                request, "Nothing was imported: the file has rows with errors.", result
            )
        return super().process_result(result, request)

    def import_failed(self, request, message, result=None):
        """Show the import form again, with the rows that failed, as a 400."""
        context = self.admin_site.each_context(request)
        context.update(
            title="Import",
            opts=self.model._meta,
            form=self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            ),
            result=result,
            import_error_display=self.import_error_display,
        )
        messages.error(request, message)
        return TemplateResponse(request, [self.import_template_name], context, status=400)


class PrefetchingChangeList(ChangeList):
    """Load `list_select_related` with prefetches instead of joins.

    With the joins, MariaDB starts from the joined table and sorts every row before the
    LIMIT: 26 s for the appearances and over a minute for the offers on the scale catalog
    (docs/benchmarks.md). Without them the page is one read of an index plus one small
    query per relation.
    """

    def apply_select_related(self, qs):
        related = self.list_select_related
        if not isinstance(related, list | tuple):
            # True or False: the admin would join the relations shown in list_display.
            related = [
                field.name
                for field in self.lookup_opts.fields
                if field.many_to_one and field.name in self.list_display
            ]
        return qs.prefetch_related(*related)


class CurrencyInUseFilter(admin.SimpleListFilter):
    """The currencies the listed model's rows use, not all of ISO 4217."""

    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        codes = (
            model_admin.get_queryset(request)
            .order_by("currency")
            .values_list("currency", flat=True)
            .distinct()
        )
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(currency=self.value())
        return queryset


class LargeTableAdmin(admin.ModelAdmin):
    """Change lists that stay fast on tables of millions of rows.

    Their `ordering` names columns (`video_id`, not `video`) in the order of a unique
    index: ordering by a relation would sort by the related model's ordering, a join and a
    sort of the whole table for every page.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return PrefetchingChangeList


class ProductSearchAdmin(LargeTableAdmin):
    """A large table of rows of a product (offers, appearances) searched by their product.

    Through the product's full-text search column (its brand, name, UPC, type, style and
    its videos' titles and artists; catalog/search.py), not a LIKE '%…%' over a join of a
    million rows: seconds on the full catalog, a few milliseconds through the index.
    """

    product_lookup = "product"
    search_fields = ["product__search_text"]
    search_help_text = (
        "Words of the product's brand, name, UPC, type or style, or of its videos' titles "
        "and artists."
    )

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        products = Product.objects.matching(search_term)
        return queryset.filter(**{f"{self.product_lookup}__in": products}), False


class ReadOnlyAdmin(LargeTableAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """The History button lists who changed what and when, with each version's changes,
    and opens any version to revert to it (the admin's form validates the reverted row).
    """
