"""The Article every parser produces, and the raw input it was cut from."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Image:
    url: str
    caption: str = ""


@dataclass
class Article:
    outlet: str
    url: str  # canonical: tracking parameters stripped
    title: str
    paragraphs: list[str]
    article_id: str | None = None  # the outlet's own stable id, the first dedup key
    guid: str | None = None
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None  # tz-aware, UTC
    published_raw: str | None = None  # the date string exactly as the source gave it
    language: str = "zh-Hans"  # zh-Hans or zh-Hant, by script
    images: list[Image] = field(default_factory=list)
    parser: str = ""  # e.g. "bbc.V2020"

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.paragraphs)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_json(self) -> dict:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["content_hash"] = self.content_hash
        return data


_NOT_WORD = re.compile(r"[\W_]+")


def content_hash(title: str, paragraphs: list[str]) -> str:
    """SHA-256 of the body normalised so that width, spacing and punctuation do not count."""
    text = unicodedata.normalize("NFKC", "".join(paragraphs) or title).lower()
    return hashlib.sha256(_NOT_WORD.sub("", text).encode()).hexdigest()


@dataclass(frozen=True)
class RawInput:
    """What an article was parsed from, so a fixed parser can re-parse without re-fetching."""

    kind: str  # "feed_item" (the item's XML/JSON), "page" (HTML bytes), or "archive_post"
    content: bytes
    url: str | None = None
    content_type: str | None = None


class ParseError(ValueError):
    """The input cannot become an Article; the message says why, for the item error log, and `reason` names the
    kind of failure in one word for counts (no-link, bad-html, empty, ...)."""

    def __init__(self, message: str, reason: str = "parse-error"):
        super().__init__(message)
        self.reason = reason
