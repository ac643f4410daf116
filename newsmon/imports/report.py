"""What an import tells: the ImportReport (every post read ends as new, duplicate, revision or failed) with its
summary lines, table rows and one-line message, and the Progress of a running import with its log line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from newsmon.model import Reason

from .read import Chunk

FIRST_PATHS = 20  # paths kept per failure reason or repair, for the summary
SUMMARY_DESCRIPTION = "Every post read ends as new, duplicate, revision or failed (failures by reason)."
PROGRESS_DESCRIPTION = "Posts imported, in percent."


@dataclass
class ImportReport:
    read: int = 0
    new: int = 0
    duplicates: int = 0  # same text already stored (or a text not newer than the stored one)
    revisions: int = 0
    failed: int = 0
    older: int = 0  # of the duplicates: other texts not newer than the stored one, which stays
    failures: Counter = field(default_factory=Counter)  # Reason -> count
    failure_paths: dict[Reason, list[str]] = field(default_factory=dict)  # Reason -> first paths
    cleaned: Counter = field(default_factory=Counter)  # repair -> count (the posts were stored)
    cleaned_paths: dict[str, list[str]] = field(default_factory=dict)
    outlets: Counter = field(default_factory=Counter)  # outlet -> new articles
    parsers: Counter = field(default_factory=Counter)  # parser family (bbc, generic, text, ...) -> new articles
    failed_keys: set[str] = field(default_factory=set)  # every failed path, for retries to resolve the rest
    un_levels: Counter = field(default_factory=Counter)  # UN relevance of the new articles
    failed_chunks: list[str] = field(default_factory=list)  # "label: error" of chunks that failed as a whole
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
                note(getattr(self, name), reason, *paths)
        self.failed_chunks.extend(other.failed_chunks)

    def chunk_failed(self, chunk: Chunk, error: object) -> None:
        """A chunk that failed as a whole (its task crashed): the import goes on, and ends failed."""
        what = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        self.failed_chunks.append(f"{chunk.label}: {what}")

    def lines(self) -> list[str]:
        rate = self.read / self.seconds if self.seconds else 0.0
        out = [
            f"posts read {self.read:,} in {self.seconds:.1f} s ({rate:,.0f} posts/s)",
            f"  new        {self.new:,}",
            f"  duplicates {self.duplicates:,}"
            + (f" (of which {self.older:,} other texts, not newer than the stored one)" if self.older else ""),
            f"  revisions  {self.revisions:,}",
            f"  failed     {self.failed:,}",
        ]
        for reason, count in self.failures.most_common():
            out.append(f"    {reason}: {count:,}  e.g. {', '.join(self.failure_paths.get(reason, [])[:3])}")
        for repair, count in self.cleaned.most_common():
            examples = ", ".join(self.cleaned_paths.get(repair, [])[:3])
            out.append(f"  stored after repair ({repair}): {count:,}  e.g. {examples}")
        check = ("every post accounted for" if self.accounted
                 else "MISMATCH: new + duplicates + revisions + failed != read")
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

    def table(self) -> list[dict]:
        """Rows of the summary table (outcome, posts), failures by reason last."""
        outcomes = [("read", self.read), ("new", self.new), ("duplicates", self.duplicates),
                    ("revisions", self.revisions), ("failed", self.failed)]
        outcomes += [(f"failed: {reason}", count) for reason, count in self.failures.most_common()]
        return [{"outcome": outcome, "posts": posts} for outcome, posts in outcomes]

    def message(self) -> str:
        """One line: the outcome counts, and the chunks that failed as a whole if any."""
        message = (f"{self.read:,} posts: {self.new:,} new, {self.duplicates:,} duplicates, "
                   f"{self.revisions:,} revisions, {self.failed:,} failed")
        if self.failed_chunks:
            message += f"; chunks failed: {'; '.join(self.failed_chunks)}"
        return message


def note(paths_by_reason: dict, reason: str, *paths: str) -> None:
    """Keep the first paths of a reason (or repair)."""
    kept = paths_by_reason.setdefault(reason, [])
    kept.extend(paths[: max(0, FIRST_PATHS - len(kept))])


@dataclass(frozen=True)
class Progress:
    """Where a running import is: after each chunk, and after each batch of a chunk run in this process."""

    chunk: Chunk  # the chunk under way, or just done
    chunk_done: bool  # False: after a batch inside the chunk
    chunks_done: int
    chunks: int
    posts: int  # read so far
    new: int
    bytes_done: int  # input bytes read (compressed ones for .gz)
    bytes_total: int
    seconds: float  # since the import started
    bulk: bool = False  # the search indexes are built once after the last chunk

    @property
    def rate(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0

    @property
    def percent(self) -> float:
        """Of the chunks done."""
        return 100.0 * self.chunks_done / self.chunks if self.chunks else 100.0

    @property
    def share(self) -> float:
        """Of the input bytes read."""
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0

    @property
    def eta(self) -> float:
        """Seconds left, at the pace of the chunks done so far."""
        return self.seconds / self.chunks_done * (self.chunks - self.chunks_done) if self.chunks_done else 0.0

    def lines(self) -> list[str]:
        """The log lines of a chunk done: counts, rate and ETA; after the last one of a bulk load, the index build."""
        out = [f"chunk {self.chunks_done}/{self.chunks} {self.chunk.label}: {self.posts:,} posts, {self.new:,} new, "
               f"{self.rate:,.0f} posts/s, ETA {self.eta:,.0f} s"]
        if self.bulk and self.chunks_done == self.chunks:
            out.append("building the search indexes once for the whole import (bulk load)")
        return out

    def status(self) -> str:
        """One line for a log that is not a terminal."""
        return f"importing: {self.posts:,} posts, {self.rate:,.0f} posts/s, {self.share:.0%} of the input"
