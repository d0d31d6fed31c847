"""Feed imports in the admin: upload a file of any length, a worker imports it."""

from pathlib import PurePath

from django import forms
from django.contrib import admin
from django.template.loader import render_to_string

from ..ingest.files import detect_format
from ..ingest.jobs import enqueue_import, feed_kinds
from ..models import ImportJob


class ImportJobForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="Rows", choices=[(kind, kind.capitalize()) for kind in feed_kinds()]
    )

    class Meta:
        model = ImportJob
        fields = ["kind", "file"]
        help_texts = {
            "file": "CSV, XLSX, JSON or JSON lines, any number of rows, with the columns of "
            "the matching change list's export. A worker imports it; this page shows its "
            "progress and, when done, its report."
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            detect_format(PurePath(upload.name))
        except ValueError:
            raise forms.ValidationError(
                "Upload a .csv, .xlsx, .json, .jsonl or .ndjson file."
            ) from None
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    form = ImportJobForm
    list_display = ["__str__", "status", "progress", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "kind",
        "file",
        "status",
        "progress",
        "created_by",
        "started_at",
        "finished_at",
        "error",
        "report_summary",
    ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj else ["kind", "file"]

    def has_change_permission(self, request, obj=None):
        # A job is a record of what happened; it is read, not edited.
        return False

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        enqueue_import(obj)

    @admin.display(description="Progress")
    def progress(self, job):
        done = f"{job.processed_rows:,}"
        if job.total_rows is None:
            return f"{done} rows"
        return f"{done} of {job.total_rows:,} rows ({job.percent_done}%)"

    @admin.display(description="Report")
    def report_summary(self, job):
        return render_to_string("admin/catalog/importjob/report.html", {"report": job.report})
