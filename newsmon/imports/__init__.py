"""Import news archives into the same tables and the same dedup as live polling: the plain logic behind
`newsmon import` and the `import-archives` flow.

Inputs are streamed, never held: archive checkouts (Jekyll `_posts/` or per-outlet folders, detected per file),
folders of posts or text documents, and `.jsonl`/`.jsonl.gz` files of `{"path", "text"}` records. Posts go in
batches to worker processes that parse them and compress their raw text; the main process stores each batch with
one multi-row insert, in input order, so the outcome does not depend on timing. Every post read ends as exactly one
of new, duplicate, revision or failed; failures are kept, by reason, for `--retry-failed`.

By stage: read.py (inputs, chunks, records), parse.py (worker side), store.py (database side), report.py (what
the user is told). This module composes them: import_archives plans the chunks, decides the bulk load, runs every
chunk through a chunk runner (import_chunk here, or a Prefect task in the flow) and adds up the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import closing, nullcontext
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from newsmon.storage.engine import bulk_load, get_engine, session
from newsmon.storage.failures import failure_raw_input, pending_item_failures, resolve_item_failures

from .parse import FORMATS, Parsed, parse_batch, parse_record, parse_stream
from .read import MAX_POST_BYTES, Chunk, Failure, Post, Reader, plan_chunks, post_files, source_chunk
from .report import ImportReport, Progress
from .store import BATCH_POSTS, DatabaseLost, Importer, database_reachable, worth_bulk_load

__all__ = [
    "BATCH_POSTS", "FORMATS", "MAX_POST_BYTES", "Chunk", "ChunkRunner", "DatabaseLost", "Failure", "ImportReport",
    "Importer",
    "Parsed", "Post", "Progress", "Reader", "import_archives", "import_chunk", "import_records", "parse_batch",
    "parse_record", "plan_chunks", "post_files", "retry_failed", "worth_bulk_load",
]

# (chunk, fmt, outlet, workers, max_post_bytes) -> the chunk's report, or the exception that failed the chunk as a
# whole (the import goes on without it and ends failed); an exception raised stops the import
ChunkRunner = Callable[[Chunk, str, "str | None", int, int], "ImportReport | BaseException"]


def import_records(
    records: Iterable[Post | Failure],
    engine: Engine,
    *,
    fmt: str = "auto",
    outlet: str | None = None,
    workers: int = 2,
    batch_posts: int = BATCH_POSTS,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Parse records in `workers` processes (in this one if 1) and store them batch by batch, in input order.
    Raises DatabaseLost, with the report so far, when the database goes away."""
    importer = Importer(engine)
    started = time.perf_counter()
    # closed on the way out, an exception included: the workers end with the import, not when it is collected
    with closing(parse_stream(records, fmt, outlet, workers=workers, batch_posts=batch_posts)) as batches:
        for results in batches:
            importer.store(results)
            importer.report.seconds = time.perf_counter() - started
            if on_batch:
                on_batch(importer.report)
    return importer.report


def import_chunk(
    chunk: Chunk,
    fmt: str = "auto",
    outlet: str | None = None,
    workers: int = 2,
    max_post_bytes: int = MAX_POST_BYTES,
    *,
    engine: Engine | None = None,
    on_batch: Callable[[ImportReport, int], None] | None = None,
) -> ImportReport:
    """Read, parse and store one chunk (default engine: get_engine()); on_batch gets the chunk's report so far
    and the input bytes read, after every batch."""
    reader = Reader(max_post_bytes)
    batch = (lambda report: on_batch(report, reader.bytes_done)) if on_batch else None
    return import_records(reader.read(chunk), engine or get_engine(), fmt=fmt, outlet=outlet, workers=workers,
                          on_batch=batch)


def import_archives(
    paths: list[str],
    *,
    fmt: str = "auto",
    outlet: str | None = None,
    workers: int = 2,
    chunk_posts: int | None = None,
    bulk: bool | None = None,
    max_post_bytes: int = MAX_POST_BYTES,
    engine: Engine | None = None,
    run_chunk: ChunkRunner | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> ImportReport:
    """Import everything under paths, in chunks of chunk_posts records (None: one per input path, so that the
    worker pool streams through each whole input), and report on it all.

    `bulk` (default: when the input is large next to the table) drops the search indexes and builds them once at
    the end, which counts in the time. `run_chunk` runs one chunk (default: import_chunk in this process, which
    also reports progress after every batch; the flow passes a Prefect task); `on_progress` is called after
    every chunk (and every batch of a chunk run here)."""
    started = time.perf_counter()
    engine = engine or get_engine()
    chunks = plan_chunks(paths, chunk_posts)
    bytes_total = sum(chunk.size for chunk in chunks)
    if bulk is None:
        bulk = worth_bulk_load(bytes_total, engine)
    report = ImportReport()
    bytes_done = 0

    def progress(chunk: Chunk, done: int, running: ImportReport | None = None, chunk_bytes: int = 0) -> None:
        if on_progress:
            posts, new = report.read + (running.read if running else 0), report.new + (running.new if running else 0)
            on_progress(Progress(chunk, running is None, done, len(chunks), posts, new, bytes_done + chunk_bytes,
                                 bytes_total, time.perf_counter() - started, bulk))

    lost: DatabaseLost | None = None
    try:
        with bulk_load(engine) if bulk else nullcontext():
            for done, chunk in enumerate(chunks, 1):
                result: ImportReport | BaseException
                if run_chunk is None:
                    try:
                        result = import_chunk(chunk, fmt, outlet, workers, max_post_bytes, engine=engine,
                                              on_batch=partial(progress, chunk, done - 1))
                    except DatabaseLost as error:
                        result = error
                else:
                    result = run_chunk(chunk, fmt, outlet, workers, max_post_bytes)
                if isinstance(result, DatabaseLost):  # no chunk after it could be stored either
                    lost = result
                    report.add(lost.report)
                    break
                if isinstance(result, ImportReport):
                    report.add(result)
                else:
                    report.chunk_failed(chunk, result)
                bytes_done += chunk.size
                progress(chunk, done)
    except DBAPIError as error:  # from a bulk load's index build: after a lost chunk, or the loss itself
        if lost is None and database_reachable(engine):
            raise
        lost = lost or DatabaseLost.from_error(error, report)
    report.seconds = time.perf_counter() - started  # the index build is part of the import
    if lost is not None:
        raise DatabaseLost(lost.reason, report) from lost
    return report


def retry_failed(
    engine: Engine | None = None,
    *,
    fmt: str = "auto",
    outlet: str | None = None,
    max_post_bytes: int = MAX_POST_BYTES,
    ids: list[int] | None = None,
) -> ImportReport:
    """Parse and store again every open import failure that is not dismissed (or the ones with these ids): from
    its kept raw text, else from where it was read. What fails again stays open, with one more attempt counted;
    the rest is resolved."""
    engine = engine or get_engine()
    with session(engine) as s:
        failures = pending_item_failures(s, imports=True, ids=ids)
    reader = Reader(max_post_bytes)
    records: list[Post | Failure] = []
    for failure in failures:
        raw = failure_raw_input(failure)
        if raw is not None:
            as_text = raw.content_type == "text/plain"
            records.append(Post(failure.item_key, failure.url or failure.item_key, raw.content, as_text))
        else:
            for chunk in source_chunk(failure.url or failure.item_key):
                records.extend(reader.read(chunk))
    report = import_records(records, engine, fmt=fmt, outlet=outlet, workers=1)
    with session(engine) as s:  # also the failures of whole inputs, which no stored post resolves
        resolve_item_failures(s, [f.item_key for f in failures if f.item_key not in report.failed_keys])
    return report
