"""Feeds uploaded in the admin and imported by a background worker."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .base import TimeStampedModel, TimeStampedQuerySet

# Feeds are business data, not media: stored under a name nobody can guess, and never
# served by the site's media view.
IMPORTS_FOLDER = "imports/"


def import_upload_path(job, filename: str) -> str:
    return f"{IMPORTS_FOLDER}{uuid.uuid4().hex}/{filename}"


class ImportJobQuerySet(TimeStampedQuerySet):
    def claimable(self, stalled_before):
        """Return jobs waiting for a worker, or running with no progress since `stalled_before`.

        A worker that died mid-file leaves its job running; importing is idempotent (rows
        match on natural keys), so another worker may take it over.
        """
        return self.filter(
            Q(status=ImportJob.Status.QUEUED)
            | Q(status=ImportJob.Status.RUNNING, updated_at__lt=stalled_before)
        )


class ImportJob(TimeStampedModel):
    """A feed uploaded in the admin and imported by a background worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(
        "rows", max_length=20, help_text="What the file's rows are: offers, products, …"
    )
    file = models.FileField(upload_to=import_upload_path)
    status = models.CharField(
        max_length=10, choices=Status, default=Status.QUEUED, editable=False, db_index=True
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True, editable=False)
    processed_rows = models.PositiveIntegerField(default=0, editable=False)
    report = models.JSONField(default=dict, blank=True, editable=False)
    error = models.TextField(blank=True, editable=False)
    task_id = models.CharField(max_length=255, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
        editable=False,
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "feed import"

    def __str__(self):
        return f"{self.kind} from {self.file.name.rsplit('/', 1)[-1]}"

    @property
    def percent_done(self) -> int | None:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else None
        return min(100, round(100 * self.processed_rows / self.total_rows))
