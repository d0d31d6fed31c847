"""Feeds uploaded in the admin, imported by a background worker (catalog.tasks.import_feed)."""

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import ImportJob
from .feeds import FEEDS, ResourceFeed
from .files import count_rows, detect_format, read_rows
from .resources import FEED_RESOURCES

# A running job without progress for this long is taken to have lost its worker.
STALLED_AFTER = timedelta(minutes=10)
BATCH_SIZE = 1000


def feed_kinds() -> list[str]:
    return sorted([*FEEDS, *FEED_RESOURCES])


def enqueue_import(job: ImportJob) -> None:
    """Hand `job` to a worker once the transaction that created it has committed."""
    from ..tasks import import_feed

    def send():
        result = import_feed.delay(job.pk)
        ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=result.id)

    transaction.on_commit(send)


class JobProgress:
    """Count imported rows on the job's row, where the admin reads them."""

    def __init__(self, job_id: int):
        self.job_id = job_id

    def update(self, rows: int) -> None:
        ImportJob.objects.filter(pk=self.job_id).update(
            processed_rows=F("processed_rows") + rows, updated_at=timezone.now()
        )


def claim_job(job_id: int) -> bool:
    """Mark the job running if it is waiting (or stalled); False if another worker has it."""
    now = timezone.now()
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .claimable(now - STALLED_AFTER)
        .update(
            status=ImportJob.Status.RUNNING,
            started_at=now,
            processed_rows=0,
            updated_at=now,
        )
    )
    return claimed == 1


def run_import_job(job_id: int) -> ImportJob | None:
    """Import the job's file batch by batch; store its report. None if another worker has it.

    Each batch commits on its own, as `import_feed` does; running a job again (a worker
    that died) changes nothing that was imported already, rows matching on natural keys.
    """
    if not claim_job(job_id):
        return None
    job = ImportJob.objects.get(pk=job_id)
    importer = FEEDS[job.kind]() if job.kind in FEEDS else ResourceFeed(FEED_RESOURCES[job.kind])
    try:
        with tempfile.TemporaryDirectory() as folder:
            # A local copy: the file may be on object storage, and XLSX needs to seek.
            path = Path(folder) / Path(job.file.name).name
            with job.file.open("rb") as source, path.open("wb") as copy:
                shutil.copyfileobj(source, copy)
            fmt = detect_format(path)
            ImportJob.objects.filter(pk=job_id).update(total_rows=count_rows(path, fmt))
            importer.import_rows(
                read_rows(path, fmt), batch_size=BATCH_SIZE, progress=JobProgress(job_id)
            )
    except (ValueError, KeyError, UnicodeDecodeError, OSError) as error:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            error=f"Stopped reading the file: {error}",
            report=importer.summary.as_dict(),
            finished_at=timezone.now(),
        )
    else:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.DONE,
            report=importer.summary.as_dict(),
            finished_at=timezone.now(),
        )
    return ImportJob.objects.get(pk=job_id)
