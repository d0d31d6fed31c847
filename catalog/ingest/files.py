"""Feed files (CSV, XLSX, JSON and JSON lines) read row by row, never loaded whole."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from .cells import cell_text

FEED_FORMATS = ("csv", "json", "jsonl", "xlsx")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in {"ndjson", "jsonlines"}:
        return "jsonl"
    if suffix in FEED_FORMATS:
        return suffix
    raise ValueError(
        f"Cannot tell the format of {path.name}; pass --format ({', '.join(FEED_FORMATS)})."
    )


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict]]:
    """Yield (row number, {column: value}) from a feed file without loading it whole.

    Row numbers count data rows from 1, as the admin's preview does.
    """
    if fmt == "csv":
        yield from _read_csv(path)
    elif fmt in {"json", "jsonl"}:
        yield from _read_json(path)
    elif fmt == "xlsx":
        yield from _read_xlsx(path)
    else:
        raise ValueError(f"Unknown format “{fmt}”; use one of {', '.join(FEED_FORMATS)}.")


def _read_csv(path: Path):
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from enumerate(csv.DictReader(handle), 1)


def _read_xlsx(path: Path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        headers = [cell_text(cell) for cell in next(rows, ())]
        number = 0
        for values in rows:
            if all(value is None or value == "" for value in values):
                continue
            number += 1
            yield number, dict(zip(headers, values, strict=False))
    finally:
        workbook.close()


def _read_json(path: Path):
    """Read JSON lines, or a JSON array of objects (what the admin's export writes).

    The array is decoded object by object from a sliding buffer, so a file of a million
    offers never sits in memory whole.
    """
    decoder = json.JSONDecoder()
    chunk_size = 1 << 20
    with path.open(encoding="utf-8-sig") as handle:
        buffer, position, number, at_end = "", 0, 0, False
        while True:
            # Skip what separates objects: whitespace, the array's brackets and commas.
            while position < len(buffer) and buffer[position] in " \t\r\n,[]":
                position += 1
            needs_more = position == len(buffer)
            if not needs_more:
                try:
                    value, end = decoder.raw_decode(buffer, position)
                except json.JSONDecodeError as error:
                    if at_end:
                        raise ValueError(
                            f"Invalid JSON after row {number}: {error.msg}."
                        ) from None
                    needs_more = True
                else:
                    # A value that ends the buffer may go on in the next chunk.
                    needs_more = end == len(buffer) and not at_end
            if needs_more:
                if at_end:
                    return
                more = handle.read(chunk_size)
                at_end = not more
                buffer, position = buffer[position:] + more, 0
                continue
            number += 1
            if not isinstance(value, dict):
                raise ValueError(f"Row {number} is not a JSON object.")
            yield number, value
            position = end


def count_rows(path: Path, fmt: str) -> int | None:
    """Return the number of data rows for the progress bar, cheaply, or None."""
    if fmt in {"csv", "jsonl"}:
        lines = 0
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                lines += chunk.count(b"\n")
        return max(lines - 1, 0) if fmt == "csv" else lines
    if fmt == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            return max((workbook.active.max_row or 1) - 1, 0)
        finally:
            workbook.close()
    return None
