"""Import news archives into the same tables and the same dedup as live polling: the plain logic behind
`newsmon import` and the `import-archives` flow.

Inputs are streamed, never held: archive checkouts (Jekyll `_posts/` or per-outlet folders, detected per file),
folders of posts or text documents, and `.jsonl`/`.jsonl.gz` files of `{"path", "text"}` records. Posts go in
batches to worker processes that parse them and compress their raw text; the main process stores each batch with
one multi-row insert, in input order, so the outcome does not depend on timing. Every post read ends as exactly one
of new, duplicate, revision or failed; failures are kept, by reason, for `--retry-failed`.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from newsmon.fetch import decode_html
from newsmon.parsers import OUTLETS, outlet_of_post, parser_for
from newsmon.parsers.archive import read_post
from newsmon.parsers.dates import from_epoch_ms
from newsmon.model import ParseError, RawInput
from newsmon.parsers.plaintext import PARSER_NAME as TEXT_PARSER
from newsmon.parsers.plaintext import parse_text_document
from newsmon.relevance.classify import classify
from newsmon.model import Stage
from newsmon.storage.articles import StoreResult, article_row, store_articles
from newsmon.storage.failures import failure_raw_input, pending_item_failures, record_item_failure, resolve_item_failures
from newsmon.storage.feeds import ensure_source
from newsmon.storage.relevance import save_relevances
from newsmon.storage.rows import PackedRaw, pack_raw
from newsmon.storage.engine import bulk_load, session

MAX_POST_BYTES = 10 * 2**20
BULK_MIN_POSTS = 5_000
BATCH_POSTS = 400
POST_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
FORMATS = ("auto", "archive", "text")
DOCUMENTS_OUTLET = "documents"
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Post:
    """One input record, not yet decoded or parsed."""

    path: str  # the post's own path: a file, or the "path" of a JSON-lines record (failures are keyed by it)
    source: str  # where to read it again: a file, or "<file>:<line>" inside a JSON-lines file
    data: bytes | str  # file bytes, or the already-decoded text of a JSON record
    as_text: bool | None = None  # a plain-text document, whatever the format option says (a retried one)


@dataclass(frozen=True)
class Failure:
    path: str
    source: str
    reason: str  # one word: invalid-utf8, too-large, no-link, bad-html, truncated-input, ...
    message: str
    outlet: str = "unknown"
    raw: PackedRaw | None = None  # kept so --retry-failed can parse again without the input


@dataclass(frozen=True)
class Parsed:
    path: str
    row: dict  # article_row(), built in the worker
    raw: PackedRaw
    relevance: dict  # relevance.classify's to_json() plus its "model"; imports score, they do not alert
    cleaned: tuple[str, ...] = ()  # repairs made on the way in (NUL bytes stripped)


@dataclass
class ImportReport:
    read: int = 0
    new: int = 0
    duplicates: int = 0  # same text already stored (or a text not newer than the stored one)
    revisions: int = 0
    failed: int = 0
    older: int = 0  # of the duplicates: other texts not newer than the stored one, which stays
    failures: Counter = field(default_factory=Counter)  # reason -> count
    failure_paths: dict[str, list[str]] = field(default_factory=dict)  # reason -> first paths
    cleaned: Counter = field(default_factory=Counter)  # repair -> count (the posts were stored)
    cleaned_paths: dict[str, list[str]] = field(default_factory=dict)
    outlets: Counter = field(default_factory=Counter)  # outlet -> new articles
    parsers: Counter = field(default_factory=Counter)  # parser family (bbc, generic, text, ...) -> new articles
    failed_keys: set[str] = field(default_factory=set)  # every failed path, for retries to resolve the rest
    un_levels: Counter = field(default_factory=Counter)  # UN relevance of the new articles
    seconds: float = 0.0

    @property
    def accounted(self) -> bool:
        return self.new + self.duplicates + self.revisions + self.failed == self.read

    def add(self, other: ImportReport) -> None:
        for name in ("read", "new", "duplicates", "revisions", "failed", "older", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("failures", "cleaned", "outlets", "parsers", "failed_keys", "un_levels"):
            getattr(self, name).update(getattr(other, name))
        for name in ("failure_paths", "cleaned_paths"):
            for reason, paths in getattr(other, name).items():
                _note(getattr(self, name), reason, *paths)

    def lines(self) -> list[str]:
        rate = self.read / self.seconds if self.seconds else 0.0
        out = [
            f"posts read {self.read:,} in {self.seconds:.1f} s ({rate:,.0f} posts/s)",
            f"  new        {self.new:,}",
            f"  duplicates {self.duplicates:,}" + (f" (of which {self.older:,} other texts, not newer than the stored one)" if self.older else ""),
            f"  revisions  {self.revisions:,}",
            f"  failed     {self.failed:,}",
        ]
        for reason, count in self.failures.most_common():
            out.append(f"    {reason}: {count:,}  e.g. {', '.join(self.failure_paths.get(reason, [])[:3])}")
        for repair, count in self.cleaned.most_common():
            out.append(f"  stored after repair ({repair}): {count:,}  e.g. {', '.join(self.cleaned_paths.get(repair, [])[:3])}")
        check = "every post accounted for" if self.accounted else "MISMATCH: new + duplicates + revisions + failed != read"
        out.append(f"  {check}")
        if self.outlets:
            out.append("  new by outlet: " + ", ".join(f"{k} {v:,}" for k, v in self.outlets.most_common()))
        if self.un_levels:
            out.append("  UN relevance of the new: " + ", ".join(
                f"{level} {self.un_levels[level]:,}" for level in ("core", "mention", "none")))
        return out

    def row(self) -> dict:
        return {
            "read": self.read, "new": self.new, "duplicates": self.duplicates, "revisions": self.revisions,
            "failed": self.failed, "failures": dict(self.failures), "seconds": round(self.seconds, 1),
        }


def _note(paths_by_reason: dict[str, list[str]], reason: str, *paths: str) -> None:
    kept = paths_by_reason.setdefault(reason, [])
    kept.extend(paths[: max(0, 20 - len(kept))])


# --- reading ---------------------------------------------------------------------------------------------------


class Reader:
    """Streams Posts (and read Failures) from paths, counting input bytes for a progress bar."""

    def __init__(self, paths: list[str], max_post_bytes: int = MAX_POST_BYTES):
        self.paths = [str(p) for p in paths]
        self.max_post_bytes = max_post_bytes
        self.bytes_done = 0
        self.bytes_total = sum(_input_size(p) for p in self.paths)

    def __iter__(self) -> Iterator[Post | Failure]:
        for path in self.paths:
            yield from self.posts(path)

    def posts(self, path: str, start: int = 0, stop: int | None = None) -> Iterator[Post | Failure]:
        """The records of one input, from the start-th to before the stop-th (a flow chunk)."""
        target = Path(path)
        if target.is_dir():
            return islice((self._file(f) for f in post_files(target)), start, stop)
        if target.name.endswith(JSONL_SUFFIXES):
            return self._jsonl(target, start, stop)
        if target.is_file():
            return islice(iter([self._file(target)]), start, stop)
        return iter([Failure(path, path, "not-found", f"no such file or directory: {path}")][start:stop])

    def _file(self, path: Path) -> Post | Failure:
        size = path.stat().st_size
        self.bytes_done += size
        if size > self.max_post_bytes:
            return Failure(str(path), str(path), "too-large", f"{size:,} bytes, over the {self.max_post_bytes:,} limit")
        return Post(str(path), str(path), path.read_bytes())

    def _jsonl(self, path: Path, start: int = 0, stop: int | None = None) -> Iterator[Post | Failure]:
        with open(path, "rb") as compressed:
            stream = gzip.open(compressed) if path.name.endswith(".gz") else compressed
            position = 0
            line_number = 0
            try:
                for line_number, line in enumerate(stream, 1):
                    if stop is not None and line_number > stop:
                        return
                    self.bytes_done += compressed.tell() - position
                    position = compressed.tell()
                    if line_number > start:  # lines before a chunk are skipped unparsed
                        yield self._record(path, line_number, line)
            except (EOFError, OSError, zlib.error) as error:  # gzip raises BadGzipFile (an OSError) or EOFError
                yield Failure(str(path), str(path), "truncated-input", f"after line {line_number}: {error}")

    def _record(self, path: Path, line_number: int, line: bytes) -> Post | Failure:
        source = f"{path}:{line_number}"
        if len(line) > self.max_post_bytes:
            return Failure(source, source, "too-large", f"{len(line):,} bytes, over the {self.max_post_bytes:,} limit")
        if not line.strip():
            return Failure(source, source, "bad-record", "empty line")
        try:
            record = json.loads(line)
        except UnicodeDecodeError as error:
            return Failure(source, source, "invalid-utf8", str(error))
        except ValueError as error:
            return Failure(source, source, "bad-json", str(error))
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return Failure(source, source, "bad-record", 'not a {"path", "text"} object')
        return Post(str(record.get("path") or source), source, record["text"])


def post_files(folder: Path) -> list[Path]:
    """The post files under a folder, sorted; in an archive checkout only its `_posts/`."""
    root = folder / "_posts" if (folder / "_posts").is_dir() else folder
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, f) for f in files if f.lower().endswith(POST_SUFFIXES) and not f.startswith("."))
    return sorted(found)


def _input_size(path: str) -> int:
    target = Path(path)
    if target.is_dir():
        return sum(f.stat().st_size for f in post_files(target))
    return target.stat().st_size if target.is_file() else 0


# --- parsing (in worker processes) ------------------------------------------------------------------------------


def parse_batch(records: list[Post | Failure], fmt: str, outlet: str | None) -> list[Parsed | Failure]:
    return [record if isinstance(record, Failure) else parse_record(record, fmt, outlet) for record in records]


def parse_record(post: Post, fmt: str = "auto", outlet: str | None = None) -> Parsed | Failure:
    """One post to an Article, or a Failure naming why not; never raises."""
    as_text = post.as_text
    if as_text is None:
        as_text = fmt == "text" or fmt == "auto" and post.path.lower().endswith(".txt")
    try:
        text = _decode(post.data, as_text)
    except UnicodeError as error:
        return Failure(post.path, post.source, "invalid-utf8", str(error), outlet or "unknown", _pack(post, as_text))
    cleaned = ("nul-bytes",) if "\x00" in text else ()
    text = text.replace("\x00", "")
    key = outlet or "unknown"
    try:
        if as_text:
            key = outlet or DOCUMENTS_OUTLET
            article = parse_text_document(text, key)
            fetched_at, version = datetime.now(UTC), TEXT_PARSER
        else:
            archived = read_post(post.path, text)
            key = outlet or outlet_of_post(archived)
            parser = parser_for(key)
            article = parser.from_archive(archived)
            # the archive's own time, so that an older copy of a text never replaces a newer one; a post with no
            # time at all counts as older than anything stored
            fetched_at = from_epoch_ms(archived.epoch_ms) if archived.epoch_ms else article.published_at
            fetched_at, version = fetched_at or UNDATED, parser.version
    except ParseError as error:
        return Failure(post.path, post.source, error.reason, str(error), key, _pack(post, as_text))
    except Exception as error:  # a parser bug must cost one post, not the import
        message = f"{type(error).__name__}: {error}"
        return Failure(post.path, post.source, "parser-crash", message, key, _pack(post, as_text))
    relevance = classify(article.title, article.paragraphs)
    scored = relevance.to_json() | {"model": relevance.model}
    return Parsed(post.path, article_row(article, fetched_at, version), _pack(post, as_text), scored, cleaned)


def _decode(data: bytes | str, as_text: bool) -> str:
    if isinstance(data, str):
        data.encode("utf-8")  # a JSON string can hold lone surrogates, which no database takes
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if not as_text:
            raise
        return decode_html(data, "text/plain")[0]  # documents come in GBK and Big5 too


def _pack(post: Post, as_text: bool) -> PackedRaw:
    """The post exactly as read (NUL bytes and all: raw inputs are bytes), for re-parsing and retries."""
    content = post.data if isinstance(post.data, bytes) else post.data.encode("utf-8", "surrogatepass")
    content_type = "text/plain" if as_text else "text/markdown"
    return pack_raw(RawInput("archive_post", content, url=post.path, content_type=content_type))


# --- storing (in this process) ----------------------------------------------------------------------------------


def _save_relevances(s, parsed: list[Parsed], outcomes: list) -> None:
    """The relevance of every new or changed text, in the transaction that stored it."""
    now = datetime.now(UTC)
    save_relevances(s, [
        (outcome.id, {k: v for k, v in item.relevance.items() if k != "model"}, item.relevance["model"], now)
        for item, outcome in zip(parsed, outcomes)
        if outcome is not None and outcome.outcome in ("new", "updated")
    ])


class Importer:
    """Stores parsed batches and keeps the report; one per import run."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.report = ImportReport()
        self._sources: set[str] = set()

    def store(self, results: list[Parsed | Failure]) -> None:
        parsed = [r for r in results if isinstance(r, Parsed)]
        failures = [r for r in results if isinstance(r, Failure)]
        self.report.read += len(results)
        self._ensure_sources(parsed)
        try:
            with session(self.engine) as s:
                outcomes = store_articles(s, [p.row for p in parsed], [p.raw for p in parsed])
                _save_relevances(s, parsed, outcomes)
                resolve_item_failures(s, [p.path for p in parsed])
        except DBAPIError:
            outcomes = self._store_one_by_one(parsed, failures)
        for item, outcome in zip(parsed, outcomes):
            if outcome is not None:
                self._count(item, outcome.outcome)
        self._count_levels(parsed, outcomes)
        with session(self.engine) as s:
            for failure in failures:
                record_item_failure(
                    s, failure.outlet, failure.path, failure.source, Stage.IMPORT, failure.message,
                    failure.raw, failure.reason,
                )
        for failure in failures:
            self.report.failed += 1
            self.report.failures[failure.reason] += 1
            self.report.failed_keys.add(failure.path)
            _note(self.report.failure_paths, failure.reason, failure.path)

    def _store_one_by_one(self, parsed: list[Parsed], failures: list[Failure]) -> list[StoreResult | None]:
        """A batch the database refused: find the posts it refuses, store the rest."""
        outcomes: list[StoreResult | None] = []
        for item in parsed:
            try:
                with session(self.engine) as s:
                    outcomes.append(store_articles(s, [item.row], [item.raw])[0])
                    _save_relevances(s, [item], outcomes[-1:])
                    resolve_item_failures(s, [item.path])
            except DBAPIError as error:
                outcomes.append(None)
                message = str(error.orig or error).splitlines()[0]
                failures.append(Failure(item.path, item.path, "store-error", message, item.row["outlet"], item.raw))
        return outcomes

    def _count_levels(self, parsed, outcomes) -> None:
        for item, outcome in zip(parsed, outcomes):
            if outcome is not None and outcome.outcome == "new":
                self.report.un_levels[item.relevance["level"]] += 1

    def _ensure_sources(self, parsed: list[Parsed]) -> None:
        """A sources row for each outlet met, so `newsmon status` and SQL joins know it."""
        for outlet in sorted({p.row["outlet"] for p in parsed} - self._sources):
            known = OUTLETS.outlets.get(outlet)
            parser = "text" if outlet == DOCUMENTS_OUTLET else parser_for(outlet).key
            with session(self.engine) as s:
                ensure_source(s, outlet, known.name if known else outlet, parser, known.zone if known else "UTC")
            self._sources.add(outlet)

    def _count(self, item: Parsed, outcome: str) -> None:
        report = self.report
        if outcome == "new":
            report.new += 1
            report.outlets[item.row["outlet"]] += 1
            report.parsers[item.row["parser"].split(".")[0]] += 1
        elif outcome == "updated":
            report.revisions += 1
        else:
            report.duplicates += 1
            report.older += outcome == "older"
        for repair in item.cleaned:
            report.cleaned[repair] += 1
            _note(report.cleaned_paths, repair, item.path)


def import_records(
    records: Iterator[Post | Failure],
    engine: Engine,
    *,
    fmt: str = "auto",
    outlet: str | None = None,
    workers: int = 2,
    batch_posts: int = BATCH_POSTS,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Parse records in `workers` processes (in this one if 1) and store them batch by batch, in input order."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    importer = Importer(engine)
    started = time.perf_counter()
    batches = iter(lambda: list(islice(records, batch_posts)), [])

    def stored(results: list[Parsed | Failure]) -> None:
        importer.store(results)
        importer.report.seconds = time.perf_counter() - started
        if on_batch:
            on_batch(importer.report)

    if workers <= 1:
        for batch in batches:
            stored(parse_batch(batch, fmt, outlet))
        return importer.report
    # fork: the workers inherit the imported parsers instead of importing them again
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        in_flight: deque = deque()
        for batch in batches:
            in_flight.append(pool.submit(parse_batch, batch, fmt, outlet))
            if len(in_flight) > 2 * workers:  # bounded: the input streams, it is never all in memory
                stored(in_flight.popleft().result())
        while in_flight:
            stored(in_flight.popleft().result())
    return importer.report


def import_paths(
    paths: list[str],
    engine: Engine,
    *,
    max_post_bytes: int = MAX_POST_BYTES,
    bulk: bool | None = None,
    on_progress: Callable[[ImportReport, Reader], None] | None = None,
    **options,
) -> ImportReport:
    """Import everything under paths in one go (the fast path, without Prefect). `bulk` (default: when the input
    is large next to the table) builds the search indexes once at the end instead of row by row."""
    reader = Reader(paths, max_post_bytes)
    on_batch = (lambda report: on_progress(report, reader)) if on_progress else None
    if bulk is None:
        bulk = worth_bulk_load(reader.bytes_total, engine)
    if not bulk:
        return import_records(iter(reader), engine, on_batch=on_batch, **options)
    started = time.perf_counter()
    with bulk_load(engine):
        report = import_records(iter(reader), engine, on_batch=on_batch, **options)
    report.seconds = time.perf_counter() - started  # the index build is part of the import
    return report


def worth_bulk_load(input_bytes: int, engine: Engine) -> bool:
    """Whether an input this size could at least double the articles table: then rebuilding the search indexes
    once costs less than keeping them up to date (a re-import of what is stored is not worth it)."""
    expected_posts = input_bytes / 2_000  # a compressed archive post is about 2 kB, a plain one about 5 kB
    with engine.connect() as connection:
        stored = connection.scalar(sa.text("SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = 'articles'"))
    return expected_posts >= max(BULK_MIN_POSTS, stored or 0)


def retry_failed(
    engine: Engine, *, fmt: str = "auto", outlet: str | None = None, max_post_bytes: int = MAX_POST_BYTES
) -> ImportReport:
    """Parse and store again every open import failure: from its kept raw text, else from where it was read.
    What fails again stays open, with one more attempt counted; the rest is resolved."""
    with session(engine) as s:
        failures = pending_item_failures(s, imports=True)
    reader = Reader([], max_post_bytes)
    records: list[Post | Failure] = []
    for failure in failures:
        raw = failure_raw_input(failure)
        if raw is not None:
            as_text = raw.content_type == "text/plain"
            records.append(Post(failure.item_key, failure.url or failure.item_key, raw.content, as_text))
        else:
            records.extend(_read_again(reader, failure.url or failure.item_key))
    report = import_records(iter(records), engine, fmt=fmt, outlet=outlet, workers=1)
    with session(engine) as s:  # also the failures of whole inputs, which no stored post resolves
        resolve_item_failures(s, [f.item_key for f in failures if f.item_key not in report.failed_keys])
    return report


def _read_again(reader: Reader, source: str) -> Iterator[Post | Failure]:
    file, _, line = source.rpartition(":")
    if line.isdigit() and file.endswith(JSONL_SUFFIXES):
        return reader.posts(file, int(line) - 1, int(line))
    return reader.posts(source)


@dataclass(frozen=True)
class Chunk:
    """Records [start, stop) of one input: a unit of work a flow can retry alone."""

    path: str
    start: int
    stop: int

    @property
    def label(self) -> str:
        return f"{Path(self.path).name}[{self.start}:{self.stop}]"


def plan_chunks(paths: list[str], chunk_posts: int) -> list[Chunk]:
    """Cut the inputs into chunks of about chunk_posts records (counting them costs one read of each input)."""
    chunks = []
    for path in paths:
        target = Path(path)
        if target.is_dir():
            total = len(post_files(target))
        elif target.name.endswith(JSONL_SUFFIXES) and target.is_file():
            total = sum(1 for _ in Reader([]).posts(path))
        else:
            total = 1
        chunks.extend(Chunk(path, start, min(start + chunk_posts, total)) for start in range(0, total, chunk_posts))
    return chunks
