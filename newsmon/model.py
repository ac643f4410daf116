"""What every layer shares: the Article a parser produces, the raw input it was cut from, its identity (dedup key
and content hash), and the one vocabulary of failure reasons that live polling and imports both record.

Parsers build these, storage stores them; neither imports the other.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Image:
    url: str
    caption: str = ""


@dataclass
class Article:
    outlet: str  # the source key the article is stored under
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
    def dedup_key(self) -> str:
        return dedup_key(self.article_id, self.url, self.guid, self.content_hash)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_json(self) -> dict:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["content_hash"] = self.content_hash
        return data


_NOT_WORD = re.compile(r"[\W_]+")
# What NFKC changes in most Chinese text: full-width ASCII, the ideographic space, the ellipsis
_COMMON_COMPATIBILITY = re.compile("[\uff01-\uff5e\u3000\u2026]")
_COMMON_NFKC = {chr(code): unicodedata.normalize("NFKC", chr(code))
                for code in [*range(0xFF01, 0xFF5F), 0x3000, 0x2026]}


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), five times faster on Chinese text: its common compatibility characters
    are replaced one by one, and the whole normalisation runs only when something else is left (NFKC of a
    character's own NFKC form gives the same text)."""
    folded = _COMMON_COMPATIBILITY.sub(lambda match: _COMMON_NFKC[match[0]], text)
    return folded if unicodedata.is_normalized("NFKC", folded) else unicodedata.normalize("NFKC", folded)


def content_hash(title: str, paragraphs: list[str]) -> str:
    """SHA-256 of the body normalised so that width, spacing and punctuation do not count."""
    text = nfkc("".join(paragraphs) or title).lower()
    return hashlib.sha256(_NOT_WORD.sub("", text).encode()).hexdigest()


def dedup_key(article_id: str | None, url: str | None, guid: str | None, text_hash: str) -> str:
    """The most stable identity an article has, unique per outlet: the outlet's own id, else the canonical URL,
    else the feed GUID, else the text."""
    if article_id:
        return f"id:{article_id}"
    if url:
        return f"url:{url}"
    if guid:
        return f"guid:{guid}"
    return f"hash:{text_hash}"


@dataclass(frozen=True)
class RawInput:
    """What an article was parsed from, so a fixed parser can re-parse without re-fetching."""

    kind: str  # "feed_item" (the item's XML/JSON), "page" (HTML bytes), or "archive_post"
    content: bytes
    url: str | None = None
    content_type: str | None = None


class Stage(StrEnum):
    """Where in the pipeline an item failed (item_failures.stage)."""

    PAGE = "page"  # fetching the article page
    PARSE = "parse"  # cutting the article out of the feed item or page
    STORE = "store"
    IMPORT = "import"  # an archive import: retried by `newsmon import --retry-failed`, never by polling


class Reason(StrEnum):
    """Why an item, post or feed failed, in one word: counted in summaries and kept in item_failures.reason.

    The README's list of reasons is checked against this one (tests/unit/test_model.py)."""

    FETCH = "fetch"
    BAD_FEED = "bad-feed"
    OFF_SITE = "off-site"
    NO_LINK = "no-link"
    NO_BODY = "no-body"
    EMPTY = "empty"
    BAD_HTML = "bad-html"
    BAD_FRONT_MATTER = "bad-front-matter"
    INVALID_UTF8 = "invalid-utf8"
    BINARY = "binary"
    PARSE_ERROR = "parse-error"
    PARSER_CRASH = "parser-crash"
    STORE_ERROR = "store-error"
    TOO_LARGE = "too-large"
    TRUNCATED_INPUT = "truncated-input"
    BAD_JSON = "bad-json"
    BAD_RECORD = "bad-record"
    NOT_FOUND = "not-found"
    EMPTY_INPUT = "empty-input"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    Reason.FETCH: "the article page could not be fetched (HTTP error, timeout, network)",
    Reason.BAD_FEED: "a feed document that is not RSS or Atom",
    Reason.OFF_SITE: "an item link, or a redirect from it, outside the source's allowed hosts or to a private address",
    Reason.NO_LINK: "a feed item or archived post without a link",
    Reason.NO_BODY: "the layout's body container is missing from the page",
    Reason.EMPTY: "neither a title nor body text",
    Reason.BAD_HTML: "markup whose text vanishes in the tree, such as an unclosed comment",
    Reason.BAD_FRONT_MATTER: "an archived post whose front matter is not closed",
    Reason.INVALID_UTF8: "invalid bytes, or a lone surrogate in JSON",
    Reason.BINARY: "binary content, not a text: a post or record of control characters and undecodable bytes",
    Reason.PARSE_ERROR: "any other input the parser refuses",
    Reason.PARSER_CRASH: "a parser bug: it cost this one item, not the run",
    Reason.STORE_ERROR: "the database refused the row",
    Reason.TOO_LARGE: "a post over the size limit (`--max-post-mb`, default 10)",
    Reason.TRUNCATED_INPUT: "a broken gzip stream: the records before the break are imported",
    Reason.BAD_JSON: "a JSON-lines record that is not JSON",
    Reason.BAD_RECORD: 'a JSON-lines record that is not a {"path", "text"} object, or an empty line',
    Reason.NOT_FOUND: "an input path that does not exist",
    Reason.EMPTY_INPUT: "an input with nothing to import: a file without a line, a folder without post files",
}


class ParseError(ValueError):
    """The input cannot become an Article: the message says why, for the item error log; `reason` names the kind
    of failure for counts."""

    def __init__(self, message: str, reason: Reason = Reason.PARSE_ERROR):
        super().__init__(message)
        self.reason = reason
