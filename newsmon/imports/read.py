"""Reading inputs: what to read (post files of a folder, JSON lines, single files), cut into chunks, and the
records of a chunk as Posts (or Failures of reading), streamed.

A chunk is planned so that reading it touches only its own input: a folder chunk is an explicit slice of the
folder's sorted post files, a JSON-lines chunk a range of lines found by one raw newline scan and read from its
byte offset.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsmon.model import Reason
from newsmon.storage.rows import PackedRaw

MAX_POST_BYTES = 10 * 2**20
POST_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
SCAN_BLOCK = 2**20
GZIP_MAGIC = b"\x1f\x8b"


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
    reason: Reason
    message: str
    outlet: str = "unknown"
    raw: PackedRaw | None = None  # kept so --retry-failed can parse again without the input


@dataclass(frozen=True)
class Chunk:
    """Records [start, stop) of one input: a unit of work a flow can retry alone.

    Files (a folder's slice of its sorted post files, a single file, or a path that is not there): `files` lists
    them, and only they are read. JSON lines (`files` empty): lines start + 1 to stop (numbered from 1), the first
    at byte `offset` of the (uncompressed) stream; stop None reads to the end, offset None skips `start` lines
    unparsed from the top (a line picked by number, for a retry)."""

    path: str
    start: int
    stop: int | None
    files: tuple[str, ...] = ()
    offset: int | None = 0
    size: int = 0  # input bytes (compressed ones for .gz), for progress

    @property
    def label(self) -> str:
        name = Path(self.path).name
        return name if self.stop is None else f"{name}[{self.start}:{self.stop}]"


def post_files(folder: Path) -> list[Path]:
    """The post files under a folder, sorted; in an archive checkout only its `_posts/`."""
    root = folder / "_posts" if (folder / "_posts").is_dir() else folder
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, f) for f in files if f.lower().endswith(POST_SUFFIXES) and not f.startswith("."))
    return sorted(found)


def is_jsonl(path: Path) -> bool:
    return path.name.endswith(JSONL_SUFFIXES)


def plan_chunks(paths: list[str], chunk_posts: int | None = None) -> list[Chunk]:
    """Cut the inputs into chunks of at most chunk_posts records; None: one chunk per input. A folder is listed
    (nothing read but its sizes); a JSON-lines file cut into chunks is scanned once for its newlines, unparsed."""
    if chunk_posts is not None and chunk_posts < 1:
        raise ValueError(f"chunk_posts must be at least 1, not {chunk_posts}")
    chunks: list[Chunk] = []
    for path in map(str, paths):
        target = Path(path)
        if target.is_dir():
            files = [str(f) for f in post_files(target)]
            if not files:  # read as an empty-input failure
                chunks.append(Chunk(path, 0, 1, (path,)))
                continue
            sizes = [os.stat(f).st_size for f in files]
            step = chunk_posts or len(files)
            chunks.extend(
                Chunk(path, start, min(start + step, len(files)), tuple(files[start:start + step]),
                      size=sum(sizes[start:start + step]))
                for start in range(0, len(files), step)
            )
        elif is_jsonl(target) and target.is_file():
            if chunk_posts is None:
                chunks.append(Chunk(path, 0, None, size=target.stat().st_size))
            else:
                chunks.extend(_line_chunks(target, chunk_posts))
        elif target.is_file():
            chunks.append(Chunk(path, 0, 1, (str(target),), size=target.stat().st_size))
        else:  # read as a not-found failure
            chunks.append(Chunk(path, 0, 1, (path,)))
    return chunks


def input_problem(path: str) -> str | None:
    """What makes an input not worth starting an import for, said as "what: path"; None if it looks importable.
    Looks only at names, sizes and a gzip file's first two bytes (reading, the same inputs fail as records)."""
    target = Path(path)
    if not target.exists():
        return f"no such file or directory: {path}"
    if target.is_dir():
        return None if post_files(target) else f"no post files ({', '.join(POST_SUFFIXES)}) in the folder: {path}"
    if not target.is_file():  # a pipe or a device has no size to judge by: read as it comes
        return None
    if target.stat().st_size == 0:
        return f"an empty file (0 bytes): {path}"
    if target.name.endswith(".gz"):
        with open(target, "rb") as head:
            if head.read(2) != GZIP_MAGIC:
                return f"not a gzip file: {path}"
    return None


def source_chunk(source: str) -> list[Chunk]:
    """What to read again for a failure's source: one line of a JSON-lines file ("<file>:<line>"), else the input."""
    file, _, line = source.rpartition(":")
    if line.isdigit() and file.endswith(JSONL_SUFFIXES):
        return [Chunk(file, int(line) - 1, int(line), offset=None)]
    return plan_chunks([source])


def _line_chunks(path: Path, every: int) -> list[Chunk]:
    marks, lines, broken = _scan_lines(path, every)
    # a broken gzip stream ends in one truncated-input failure, and an input without a line is one empty-input
    # failure: records of their own
    total = lines + broken or 1
    marks = [mark for mark in marks if mark[0] < total]
    ends = [mark[2] for mark in marks[1:]] + [path.stat().st_size]
    return [
        Chunk(str(path), start, min(start + every, total), offset=offset, size=end - position)
        for (start, offset, position), end in zip(marks, ends, strict=True)
    ]


def _scan_lines(path: Path, every: int) -> tuple[list[tuple[int, int, int]], int, bool]:
    """One pass over the raw bytes of a JSON-lines file, counting newlines, parsing nothing: where lines 0, every,
    2 * every, ... start as (line index, offset in the uncompressed stream, position in the file, approximate for
    .gz), how many lines there are, and whether a gzip stream broke (the lines before the break count)."""
    marks = [(0, 0, 0)]
    newlines = offset = 0
    last = b"\n"
    broken = False
    with open(path, "rb") as raw:
        gzipped = path.name.endswith(".gz")
        stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
        try:
            # read1: a gzip stream that breaks raises only once it has handed over every byte before the break
            while block := stream.read1(SCAN_BLOCK):
                count = block.count(b"\n")
                at = passed = 0  # newlines of this block passed, and the byte after the last one
                while newlines + count >= marks[-1][0] + every:  # the line after the next mark's newline
                    while passed < marks[-1][0] + every - newlines:
                        at = block.index(b"\n", at) + 1
                        passed += 1
                    marks.append((marks[-1][0] + every, offset + at, raw.tell() if gzipped else offset + at))
                newlines += count
                offset += len(block)
                last = block[-1:]
        except (EOFError, OSError, zlib.error):  # gzip raises BadGzipFile (an OSError) or EOFError
            broken = True
    # a last line without a newline is a record; one cut by a broken stream is not (reading it fails)
    lines = newlines + (last != b"\n" and not broken)
    return marks, lines, broken


class Reader:
    """Streams the Posts (and read Failures) of chunks, counting the input bytes read for a progress bar.

    No record is held whole unless it is within max_post_bytes: a post file is read up to one byte over the limit,
    a JSON line in pieces, so memory stays bounded whatever the input holds."""

    def __init__(self, max_post_bytes: int = MAX_POST_BYTES):
        if max_post_bytes < 1:  # every line would read as the end of its file
            raise ValueError(f"max_post_bytes must be at least 1, not {max_post_bytes}")
        self.max_post_bytes = max_post_bytes
        self.bytes_done = 0

    def read(self, chunk: Chunk) -> Iterator[Post | Failure]:
        if chunk.files:
            return (self._file(file) for file in chunk.files)
        return self._lines(chunk)

    def _file(self, file: str) -> Post | Failure:
        try:
            with Path(file).open("rb") as post:
                size = os.fstat(post.fileno()).st_size
                data = post.read(self.max_post_bytes + 1)  # the size may have grown since the stat
        except FileNotFoundError:
            return Failure(file, file, Reason.NOT_FOUND, f"no such file or directory: {file}")
        except IsADirectoryError:  # planned so: a folder without post files
            return Failure(file, file, Reason.EMPTY_INPUT, f"no post files ({', '.join(POST_SUFFIXES)}) in {file}")
        self.bytes_done += size
        if len(data) > self.max_post_bytes:
            return Failure(file, file, Reason.TOO_LARGE,
                           f"{max(size, len(data)):,} bytes, over the {self.max_post_bytes:,} limit")
        return Post(file, file, data)

    def _lines(self, chunk: Chunk) -> Iterator[Post | Failure]:
        path = Path(chunk.path)
        number = chunk.start  # the lines before this one
        if not path.is_file():  # gone since it was planned
            yield Failure(str(path), str(path), Reason.NOT_FOUND, f"no such file or directory: {path}")
            return
        with open(path, "rb") as raw:
            stream = gzip.GzipFile(fileobj=raw) if path.name.endswith(".gz") else raw
            try:
                if chunk.offset is None:
                    for _ in range(chunk.start):  # skipped unparsed
                        self._skip_line(stream)
                elif chunk.offset:
                    # a plain file seeks straight there; a GzipFile decompresses the bytes before the offset again
                    # (gzip has no random access) but nothing before it is parsed or even split into lines
                    stream.seek(chunk.offset)
                position = raw.tell()
                while chunk.stop is None or number < chunk.stop:
                    line = stream.readline(self.max_post_bytes + 1)
                    if not line:
                        if number == 0:
                            yield Failure(str(path), str(path), Reason.EMPTY_INPUT, f"no lines in {path}")
                        return
                    number += 1
                    if len(line) > self.max_post_bytes and not line.endswith(b"\n"):
                        record: Post | Failure = self._too_long(path, number, len(line) + self._skip_line(stream))
                    else:
                        record = self._record(path, number, line)
                    self.bytes_done += raw.tell() - position
                    position = raw.tell()
                    yield record
            except (EOFError, OSError, zlib.error) as error:  # gzip raises BadGzipFile (an OSError) or EOFError
                yield Failure(str(path), str(path), Reason.TRUNCATED_INPUT, f"after line {number}: {error}")

    @staticmethod
    def _skip_line(stream) -> int:
        """Read past the rest of a line, a block at a time; returns the bytes skipped."""
        skipped = 0
        while block := stream.readline(SCAN_BLOCK):
            skipped += len(block)
            if block.endswith(b"\n"):
                break
        return skipped

    def _too_long(self, path: Path, line_number: int, size: int) -> Failure:
        """A line over the size limit, of size bytes in all."""
        source = f"{path}:{line_number}"
        return Failure(source, source, Reason.TOO_LARGE, f"{size:,} bytes, over the {self.max_post_bytes:,} limit")

    def _record(self, path: Path, line_number: int, line: bytes) -> Post | Failure:
        """A whole line, within the size limit (a longer one is never read whole: _too_long)."""
        source = f"{path}:{line_number}"
        if not line.strip():
            return Failure(source, source, Reason.BAD_RECORD, "empty line")
        try:
            record = json.loads(line)
        except UnicodeDecodeError as error:
            return Failure(source, source, Reason.INVALID_UTF8, str(error))
        except ValueError as error:
            return Failure(source, source, Reason.BAD_JSON, str(error))
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            return Failure(source, source, Reason.BAD_RECORD, 'not a {"path", "text"} object')
        return Post(str(record.get("path") or source), source, record["text"])
