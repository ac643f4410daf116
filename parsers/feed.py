"""Feed documents (RSS, Atom) into items; dates stay raw strings for the outlet parser to read in its zone."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import feedparser

from newsmon.fetch.charset import decode_html
from newsmon.model import ParseError, RawInput, Reason
from newsmon.parsers.text import untrusted_text

log = logging.getLogger(__name__)

_AUTHOR_IN_PARENS = re.compile(r"^\S+@\S+\s*\((?P<name>[^)]*)\)$")
_DECLARED_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*[\"'](?P<name>[^\"']*)[\"']")
_UTF16_OR_32_BOM = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX](?P<hex>[0-9a-fA-F]+)|(?P<decimal>[0-9]+));")
_REPLACEMENT_REFERENCE = b"&#65533;"


@dataclass
class FeedItem:
    title: str
    link: str | None
    guid: str | None
    published_raw: str | None
    summary_html: str = ""
    content_html: str = ""  # content:encoded, when the feed carries the full text
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    image_url: str | None = None

    @property
    def key(self) -> str:
        """A stable name for the item in error logs and retries."""
        return self.guid or self.link or f"title:{self.title}"

    def raw(self) -> RawInput:
        return RawInput(
            kind="feed_item",
            content=json.dumps(asdict(self), ensure_ascii=False).encode(),
            url=self.link,
            content_type="application/json",
        )

    @classmethod
    def from_raw(cls, content: bytes) -> FeedItem:
        return cls(**json.loads(content))


def add_distinct(items: dict[str, FeedItem], item: FeedItem) -> None:
    """Add the item to items by key unless it is one of them: the same item in several feeds counts once. An item
    whose GUID is held by one with another link is another article reusing the GUID: it goes by its link instead
    (and keeps no GUID, which does not name it), so it is stored or its failure recorded, never dropped."""
    held = items.get(item.key)
    if held is not None and item.guid and item.link and held.link != item.link:
        item = replace(item, guid=None)
    items.setdefault(item.key, item)


def read_feed(content: bytes, content_type: str | None = None) -> list[FeedItem]:
    """Items of an RSS/Atom document given as bytes and the response's Content-Type, decoded as pages are (a charset
    there, then the document's own declaration, then detection: see _as_utf8).

    Raises ParseError when the document is not a feed at all (or feedparser fails on it); a feed with recoverable
    XML errors still yields its items. Bad bytes are data: invalid UTF-8 in a UTF-8 feed, references to characters
    UTF-8 cannot hold, NUL and controls end as U+FFFD or nothing in the items' texts, never as an exception.
    """
    utf8, utf8_content_type = _as_utf8(content, content_type)
    try:
        parsed = feedparser.parse(
            _character_references_made_safe(utf8),
            response_headers={"content-type": utf8_content_type} if utf8_content_type else None,
        )
    except Exception as exc:  # feedparser's loose parser has crashed on hostile input before: a bad feed, not a crash
        raise ParseError(f"feed parser failed: {type(exc).__name__}: {exc}", reason=Reason.BAD_FEED) from exc
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not an RSS or Atom feed ({reason or 'no feed elements'})", reason=Reason.BAD_FEED)
    return [_item(entry) for entry in parsed.entries]


def _as_utf8(content: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """The document re-encoded as UTF-8 and declared so (XML declaration and Content-Type): read by decode_html's
    rules, as pages are. A declaration that does not decode is skipped; an undeclared (or wrongly declared) feed
    that is mostly UTF-8 keeps its text with U+FFFD for each bad sequence (logged with their count), one whose
    bytes are not UTF-8 at all is detected (GBK and Big5 first). feedparser would otherwise read a damaged UTF-8
    feed as windows-1252 mojibake and an undeclared GBK or Big5 feed as UTF-8 with U+FFFD throughout. A UTF-16/32
    document (by its BOM) is left to feedparser."""
    if content.startswith(_UTF16_OR_32_BOM):
        return content, content_type
    text, encoding = decode_html(content, content_type)
    replaced = text.count("\ufffd") - content.count("\ufffd".encode())
    if replaced > 0:
        log.warning("feed read as %s holds %d invalid byte sequences: each read as U+FFFD", encoding, replaced)
    utf8 = _DECLARED_ENCODING.sub(_declared_utf8, text.encode(), count=1)
    media_type = (content_type or "").split(";", 1)[0].strip()
    return utf8, f"{media_type}; charset=utf-8" if media_type else None


def _declared_utf8(declaration: re.Match[bytes]) -> bytes:
    """The XML declaration (matched from the document's start) naming UTF-8 instead."""
    return declaration[0][: declaration.start("name")] + b"utf-8" + declaration[0][declaration.end("name") :]


def _character_references_made_safe(content: bytes) -> bytes:
    """References to code points UTF-8 cannot encode (surrogates, beyond Unicode) become U+FFFD: feedparser
    encodes the characters it decodes and crashes on them. The rest (NUL, controls) is left to untrusted_text."""
    def safe(match: re.Match[bytes]) -> bytes:
        digits = (match["hex"] or match["decimal"]).lstrip(b"0")[:8] or b"0"  # 8 digits exceed Unicode already
        code = int(digits, 16) if match["hex"] else int(digits)
        encodable = code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        return match[0] if encodable else _REPLACEMENT_REFERENCE

    return _CHARACTER_REFERENCE.sub(safe, content)


def _item(entry) -> FeedItem:
    content = entry.get("content") or []
    enclosures = [link for link in entry.get("links", []) if link.get("rel") == "enclosure"]
    return _untrusted_item(FeedItem(
        title=entry.get("title", ""),
        link=entry.get("link") or (entry.get("id") if entry.get("guidislink") else None),
        guid=entry.get("id"),
        published_raw=entry.get("published") or entry.get("updated"),
        summary_html=entry.get("summary", ""),
        content_html=max((c.get("value", "") for c in content), key=len, default=""),
        authors=[_author_name(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")],
        categories=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        image_url=enclosures[0].get("href") if enclosures else None,
    ))


def _untrusted_item(item: FeedItem) -> FeedItem:
    """Every text of the item through untrusted_text, the one place bad characters are dealt with."""
    fields: dict[str, Any] = {
        name: [untrusted_text(v) for v in value] if isinstance(value, list)
        else untrusted_text(value) if isinstance(value, str) else value
        for name, value in asdict(item).items()
    }
    return FeedItem(**fields)


def _author_name(raw: str) -> str:
    match = _AUTHOR_IN_PARENS.match(raw.strip())
    return match.group("name") if match else raw.strip()
