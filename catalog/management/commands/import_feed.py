"""Import a product or offer feed too large for the admin's upload form."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tqdm import tqdm

from catalog.ingest.feeds import FEEDS, ResourceFeed
from catalog.ingest.files import FEED_FORMATS, count_rows, detect_format, read_rows
from catalog.ingest.resources import FEED_RESOURCES


class Command(BaseCommand):
    help = (
        "Import a CSV, JSON, JSON-lines or XLSX feed of offers (upc, retailer, url, price, "
        "currency, availability) or products (upc, brand, name, slug, description, type, "
        "style, images); retailers, artists, videos (with sources) and scenes (with "
        "appearances) take the columns of the admin's import. Rows are matched on their "
        "natural keys, so running the same feed again changes nothing. Invalid rows are "
        "rejected with their reasons, the rest are written batch by batch, and a JSON "
        "report is written next to the feed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--model", choices=sorted([*FEEDS, *FEED_RESOURCES]), default="offers")
        parser.add_argument("--format", choices=FEED_FORMATS, help="Default: from the suffix.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--report", type=Path, help="Default: <path>.report.json.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path, model, format, batch_size, report, dry_run, **options):
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            fmt = format or detect_format(path)
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = report or path.with_name(path.name + ".report.json")

        if model in FEEDS:
            importer = FEEDS[model](dry_run=dry_run)
        else:
            importer = ResourceFeed(FEED_RESOURCES[model], dry_run=dry_run)
        started, clock = timezone.now(), time.monotonic()
        progress = tqdm(
            total=count_rows(path, fmt),
            unit=" rows",
            disable=options["no_progress"] or options["verbosity"] == 0,
            # The raw stream: OutputWrapper ends every write with a new line, which
            # would print each refresh of the bar on a line of its own.
            file=self.stderr._out,
        )
        try:
            with progress:
                importer.import_rows(
                    read_rows(path, fmt), batch_size=batch_size, progress=progress
                )
        except (ValueError, KeyError, UnicodeDecodeError) as error:
            # A file that cannot be read any further; the batches before it are kept.
            raise CommandError(f"Stopped reading {path.name}: {error}") from None
        finally:
            summary = importer.summary.as_dict()
            seconds = round(time.monotonic() - clock, 1)
            report.write_text(
                json.dumps(
                    {
                        "file": str(path),
                        "model": model,
                        "format": fmt,
                        "dry_run": dry_run,
                        "started_at": started.isoformat(),
                        "seconds": seconds,
                        **summary,
                    },
                    indent=2,
                    ensure_ascii=False,
                )
            )

        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {path.name} in {seconds} s: {summary['created']} created, "
            f"{summary['updated']} updated, {summary['unchanged']} unchanged, "
            f"{summary['rejected']} rejected. Report: {report}"
        )
        for reason, count in list(summary["reasons"].items())[:10]:
            self.stdout.write(f"  {count} × {reason}")
