"""Parsing, in worker processes: Posts to article rows with their packed raw text and UN relevance, or Failures.

parse_stream runs batches through a pool of forked workers and hands the results back in input order, so the
outcome of an import does not depend on timing.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from newsmon.fetch import decode_html
from newsmon.model import ParseError, RawInput, Reason
from newsmon.parsers import OUTLETS, outlet_of_post, parser_for
from newsmon.parsers.archive import folder_of, read_post
from newsmon.parsers.dates import from_epoch_ms
from newsmon.parsers.plaintext import PARSER_NAME as TEXT_PARSER
from newsmon.parsers.plaintext import parse_text_document
from newsmon.relevance.classify import classify
from newsmon.storage.articles import article_row
from newsmon.storage.rows import PackedRaw, pack_raw

from .read import Failure, Post

FORMATS = ("auto", "archive", "text")
DOCUMENTS_OUTLET = "documents"
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
NUL_BYTES = "nul-bytes"  # the repair made when a post holds NUL bytes (stored without them)
# What no text holds much of: C0 and C1 controls but whitespace, surrogates, private use, and U+FFFD (the bytes a
# decoder could not read). Random bytes decode to about half of these; a real post, in any charset read right,
# to almost none (a stray NUL is repaired, not refused).
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffd]")
BINARY_SHARE = 0.1
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Parsed:
    path: str
    row: dict  # article_row(), built in the worker
    raw: PackedRaw
    relevance: dict  # relevance.classify's to_json() plus its "model"; imports score, they do not alert
    cleaned: tuple[str, ...] = ()  # repairs made on the way in (NUL bytes stripped)


def parse_stream(
    records: Iterable[Post | Failure], fmt: str = "auto", outlet: str | None = None, *, workers: int = 2,
    batch_posts: int = 400,
) -> Generator[list[Parsed | Failure], None, None]:
    """The records parsed batch by batch, in `workers` processes (in this one if 1), in input order."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    records = iter(records)
    batches = iter(lambda: list(islice(records, batch_posts)), [])
    if workers <= 1:
        for batch in batches:
            yield parse_batch(batch, fmt, outlet)
        return
    # fork: the workers inherit the imported parsers instead of importing them again
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        in_flight: deque = deque()
        for batch in batches:
            in_flight.append(pool.submit(parse_batch, batch, fmt, outlet))
            if len(in_flight) > 2 * workers:  # bounded: the input streams, it is never all in memory
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def die_with_parent(parent: int) -> None:
    """A worker initializer: the worker ends when the process that started it does, even killed with -9 (it would
    otherwise be left parsing for nobody). Linux signals it at once (PR_SET_PDEATHSIG); elsewhere a thread checks
    every second whether the worker was orphaned."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    else:
        threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the worker got here
        os._exit(1)


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def parse_batch(records: list[Post | Failure], fmt: str, outlet: str | None) -> list[Parsed | Failure]:
    return [record if isinstance(record, Failure) else parse_record(record, fmt, outlet) for record in records]


def parse_record(post: Post, fmt: str = "auto", outlet: str | None = None) -> Parsed | Failure:
    """One post to an Article, or a Failure naming why not; never raises."""
    as_text = post.as_text
    if as_text is None:
        as_text = fmt == "text" or (fmt == "auto" and post.path.lower().endswith(".txt"))
    key = outlet or "unknown"
    try:
        text = _decode(post.data, as_text)
    except UnicodeError as error:
        # bytes that are not UTF-8 may be no text at all: then that is the reason to give
        text = post.data.decode("utf-8", "replace") if isinstance(post.data, bytes) else ""
        if not binary_share(text):
            return Failure(post.path, post.source, Reason.INVALID_UTF8, str(error), key, _pack(post, as_text))
    if share := binary_share(text):
        message = f"binary content, not a text: {share:.0%} of its characters are controls or undecodable bytes"
        return Failure(post.path, post.source, Reason.BINARY, message, key, _pack(post, as_text))
    cleaned = (NUL_BYTES,) if "\x00" in text else ()
    text = text.replace("\x00", "")
    try:
        if as_text:
            key = outlet or DOCUMENTS_OUTLET
            article = parse_text_document(text, key)
            fetched_at, version = datetime.now(UTC), TEXT_PARSER
        else:
            # a post that cannot be read is still counted under the outlet its folder names
            key = outlet or OUTLETS.by_name(folder_of(post.path)) or key
            archived = read_post(post.path, text)
            key = outlet or outlet_of_post(archived)
            parser = parser_for(key)
            article = parser.from_archive(archived)
            # the archive's own time, so that an older copy of a text never replaces a newer one; a post with no
            # time at all counts as older than anything stored
            archived_at = from_epoch_ms(archived.epoch_ms) if archived.epoch_ms else article.published_at
            fetched_at, version = archived_at or UNDATED, parser.version
    except ParseError as error:
        return Failure(post.path, post.source, error.reason, str(error), key, _pack(post, as_text))
    except Exception as error:  # a parser bug must cost one post, not the import
        message = f"{type(error).__name__}: {error}"
        return Failure(post.path, post.source, Reason.PARSER_CRASH, message, key, _pack(post, as_text))
    relevance = classify(article.title, article.paragraphs)
    scored = relevance.to_json() | {"model": relevance.model}
    return Parsed(post.path, article_row(article, fetched_at, version), _pack(post, as_text), scored, cleaned)


def binary_share(text: str) -> float:
    """The share of characters no text holds, when it is so large that the text is binary content; else 0."""
    share = (len(text) - len(_NOT_TEXT.sub("", text))) / len(text) if text else 0.0
    return share if share > BINARY_SHARE else 0.0


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
