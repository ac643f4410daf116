"""What every table's rows need on the way in: text PostgreSQL accepts, raw inputs packed, bulk rows by COPY."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Cursor
from sqlmodel import Session

from newsmon.model import RawInput


def strip_nul(value: Any) -> Any:
    """PostgreSQL rejects NUL in text and in JSONB strings: row builders pass whole rows through this once."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [strip_nul(item) for item in value]
    if isinstance(value, dict):
        return {strip_nul(key): strip_nul(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class PackedRaw:
    """A RawInput compressed for the raw_inputs table; packing is CPU work, so importers do it in their workers."""

    kind: str
    url: str | None
    content_type: str | None
    compressed: bytes
    sha256: str


def pack_raw(raw: RawInput) -> PackedRaw:
    return PackedRaw(
        kind=raw.kind,
        url=strip_nul(raw.url),
        content_type=strip_nul(raw.content_type),
        compressed=zlib.compress(raw.content, 1),  # level 1: a third of the CPU of the default, a few % more bytes
        sha256=hashlib.sha256(raw.content).hexdigest(),
    )


def packed(raw: RawInput | PackedRaw | None) -> PackedRaw | None:
    return pack_raw(raw) if isinstance(raw, RawInput) else raw


def unpack(compressed: bytes | None) -> bytes:
    """The bytes a PackedRaw was made from; zlib and gzip framing both read (wbits 32+15)."""
    return zlib.decompress(compressed, wbits=47) if compressed is not None else b""


def copy_into_temp(
    session: Session, table: str, shape: str, columns: Sequence[str], rows: Iterable[Sequence]
) -> Cursor:
    """COPY rows into a temporary table of this shape (its columns, e.g. "LIKE articles INCLUDING DEFAULTS"),
    emptied first and at every commit, and return
    the cursor, for the caller's INSERT ... SELECT from it.

    A multi-row INSERT of thousands of long Chinese texts spends most of its time building and re-parsing one huge
    SQL string on the client; COPY streams the values as they are."""
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None  # the psycopg connection of a checked-out connection
    cursor = driver_connection.cursor()
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({shape}) ON COMMIT DELETE ROWS")
    cursor.execute(f"TRUNCATE {table}")  # a second batch in the same transaction
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return cursor
