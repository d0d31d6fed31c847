import os
from dataclasses import replace
from time import monotonic, process_time

from django.core.management.base import BaseCommand, CommandError

from tqdm import tqdm

from catalog.management.synthetic import (
    DEFAULT_BATCH_SIZE,
    PRESETS,
    SYNTHETIC_PREFIX,
    Progress,
    SyntheticCatalog,
    SyntheticCatalogError,
    TableReport,
    delete_synthetic_catalog,
    synthetic_root_counts,
)

SIZE_OPTIONS = ("artists", "videos", "scenes", "products", "offers", "retailers")


class TqdmProgress(Progress):
    """One progress bar per table, on stderr so that stdout keeps only the summary."""

    def __init__(self, stream, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.bar = None

    def start(self, label, total):
        self.finish()
        self.bar = tqdm(
            total=total,
            desc=f"{label:>20}",
            unit=" rows",
            file=self.stream,
            disable=not self.enabled,
            mininterval=0.5,
        )
        return self.bar.update

    def finish(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Generate a synthetic catalog for scale tests, the same one for the same --seed. "
        f"Its artists, videos, products and retailers have slugs starting {SYNTHETIC_PREFIX!r}; "
        "--replace deletes a previous one first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(PRESETS),
            default="small",
            help="Preset sizes; the count options below override single tables. "
            + "; ".join(
                f"{name}: {preset.videos:,} videos, {preset.offers:,} offers"
                for name, preset in PRESETS.items()
            ),
        )
        for name in SIZE_OPTIONS:
            parser.add_argument(f"--{name}", type=int, metavar="N")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the synthetic catalog already in the database before generating.",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N")

    def handle(self, *args, size, seed, replace, batch_size, verbosity, **options):
        catalog_size = replace_counts(PRESETS[size], options)
        problems = catalog_size.problems()
        if batch_size < 1:
            problems.append("--batch-size must be at least 1.")
        if problems:
            raise CommandError(" ".join(problems))

        started = monotonic()
        existing = {name: n for name, n in synthetic_root_counts().items() if n}
        if existing and not replace:
            raise CommandError(
                f"A synthetic catalog is already in the database ({describe(existing)}). "
                "Run again with --replace to delete it and generate a new one."
            )
        if existing:
            self.stdout.write(f"Deleting the previous synthetic catalog ({describe(existing)})…")
            try:
                deleted = delete_synthetic_catalog()
            except SyntheticCatalogError as error:
                raise CommandError(str(error)) from error
            self.write_table("Deleted", deleted, monotonic() - started)

        # The raw stream: OutputWrapper ends every write with a newline, which would break
        # tqdm's redrawing of one line.
        progress = TqdmProgress(self.stderr._out, enabled=verbosity > 0)
        generator = SyntheticCatalog(
            catalog_size, seed=seed, batch_size=batch_size, progress=progress
        )
        generate_started, cpu_started = monotonic(), process_time()
        try:
            made = generator.generate()
        except SyntheticCatalogError as error:
            raise CommandError(str(error)) from error
        finally:
            progress.finish()
        self.write_table(
            f"Made a synthetic catalog (seed {seed})", made, monotonic() - generate_started
        )
        # On a shared machine the wall clock says more about the neighbours than the code.
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        self.stdout.write(
            f"This process used {clock(process_time() - cpu_started)} of CPU; "
            f"load average now {load} on {os.cpu_count()} CPUs."
        )

    def write_table(self, title: str, reports: list[TableReport], seconds: float) -> None:
        total = sum(report.rows for report in reports)
        width = max([len(report.label) for report in reports] + [5])
        lines = [
            f"{'table':<{width}}  {'rows':>10}  {'seconds':>8}  {'rows/s':>9}",
            *(
                f"{report.label:<{width}}  {report.rows:>10,}  {report.seconds:>8.1f}  "
                f"{rate(report.rows, report.seconds):>9}"
                for report in reports
            ),
            f"{'total':<{width}}  {total:>10,}  {seconds:>8.1f}  {rate(total, seconds):>9}",
        ]
        self.stdout.write(self.style.SUCCESS(f"{title}: {total:,} rows in {clock(seconds)}."))
        self.stdout.write("\n".join(lines))


def replace_counts(preset, options):
    counts = {name: options[name] for name in SIZE_OPTIONS if options.get(name) is not None}
    return replace(preset, **counts)


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


def clock(seconds: float) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{int(minutes)} min {seconds:.1f} s" if minutes else f"{seconds:.1f} s"
