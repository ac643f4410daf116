"""What `newsmon export` writes: rows of v_articles (storage/exports.py) as JSON lines, CSV or Parquet, batch by batch
as they come from the database, so memory stays flat however many articles there are.

JSON lines: one object per article, times ISO 8601 in UTC, lists as arrays, NULL as null. CSV: a header of the
column names, times ISO 8601 in UTC, lists as JSON arrays, NULL as an empty field. Parquet: the schema below, one
row group per batch."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = ("jsonl", "csv", "parquet")
_UTC_TIME = pa.timestamp("us", tz="UTC")
_TEXTS = pa.list_(pa.string())
# v_articles' columns in their order, typed (tests/integration/test_export.py checks them against the view)
PARQUET_SCHEMA = pa.schema([
    ("id", pa.int64()), ("outlet", pa.string()), ("outlet_name", pa.string()), ("title", pa.string()),
    ("url", pa.string()), ("published_at", _UTC_TIME), ("fetched_at", _UTC_TIME), ("updated_at", _UTC_TIME),
    ("dated_at", _UTC_TIME), ("language", pa.string()), ("authors", _TEXTS), ("un_level", pa.string()),
    ("un_score", pa.float64()), ("un_bodies", _TEXTS), ("story_id", pa.int64()), ("revision_count", pa.int32()),
    ("body", pa.string()), ("event_id", pa.int64()),
])


class ExportError(ValueError):
    """An export that cannot be written as asked."""


def _plain(value: Any) -> Any:
    """A value as JSON has it: times as ISO 8601 text."""
    return value.isoformat() if isinstance(value, datetime) else value


def _cell(value: Any) -> Any:
    """A value as a CSV field: times ISO 8601, lists as JSON arrays (None: csv writes an empty field)."""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return _plain(value)


def write_jsonl(columns: list[str], batches: Iterable[list[tuple]], out: IO[str]) -> int:
    written = 0
    for batch in batches:
        out.writelines(json.dumps(dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False) + "\n"
                       for row in batch)
        written += len(batch)
    return written


def write_csv(columns: list[str], batches: Iterable[list[tuple]], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    written = 0
    for batch in batches:
        writer.writerows(map(_cell, row) for row in batch)
        written += len(batch)
    return written


def write_parquet(columns: list[str], batches: Iterable[list[tuple]], path: Path) -> int:
    if columns != PARQUET_SCHEMA.names:
        raise ExportError(f"v_articles has the columns {columns}, the Parquet schema {PARQUET_SCHEMA.names}")
    written = 0
    with pq.ParquetWriter(path, PARQUET_SCHEMA) as writer:
        for batch in batches:
            columns_of_batch = zip(*batch, strict=True)
            arrays = [pa.array(values, type=field.type)
                      for values, field in zip(columns_of_batch, PARQUET_SCHEMA, strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=PARQUET_SCHEMA))
            written += len(batch)
    return written


def check_destination(fmt: str, output: Path | None) -> None:
    """ExportError unless the format is one of FORMATS and has somewhere to go: Parquet needs a file (its footer,
    written last, is read first)."""
    if fmt not in FORMATS:
        raise ExportError(f"no export format {fmt!r}: {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ExportError("Parquet cannot go to standard output: give a file with --output")


def export(fmt: str, columns: list[str], batches: Iterator[list[tuple]], output: Path | None,
           stdout: IO[str]) -> int:
    """Write the rows in the format (FORMATS) to the output file, else to stdout; the number of rows written. A
    file appears whole or not at all: it is written beside and renamed."""
    check_destination(fmt, output)
    if output is None:
        return (write_jsonl if fmt == "jsonl" else write_csv)(columns, batches, stdout)
    partial = output.with_name(f".{output.name}.partial")
    try:
        if fmt == "parquet":
            written = write_parquet(columns, batches, partial)
        else:
            with open(partial, "w", encoding="utf-8", newline="") as out:
                written = (write_jsonl if fmt == "jsonl" else write_csv)(columns, batches, out)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return written
