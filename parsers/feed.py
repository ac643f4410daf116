"""Feed documents (RSS, Atom) into items; dates stay raw strings for the outlet parser to read in its zone."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

import feedparser

from newsmon.model import ParseError, RawInput, Reason

_AUTHOR_IN_PARENS = re.compile(r"^\S+@\S+\s*\((?P<name>[^)]*)\)$")


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


def read_feed(content: bytes) -> list[FeedItem]:
    """Items of an RSS/Atom document given as bytes (feedparser detects the encoding, GBK and Big5 included).

    Raises ParseError when the document is not a feed at all; a feed with recoverable XML errors still
    yields its items.
    """
    parsed = feedparser.parse(content)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise ParseError(f"not an RSS or Atom feed ({reason or 'no feed elements'})", reason=Reason.BAD_FEED)
    return [_item(entry) for entry in parsed.entries]


def _item(entry) -> FeedItem:
    content = entry.get("content") or []
    enclosures = [link for link in entry.get("links", []) if link.get("rel") == "enclosure"]
    return FeedItem(
        title=entry.get("title", ""),
        link=entry.get("link") or (entry.get("id") if entry.get("guidislink") else None),
        guid=entry.get("id"),
        published_raw=entry.get("published") or entry.get("updated"),
        summary_html=entry.get("summary", ""),
        content_html=max((c.get("value", "") for c in content), key=len, default=""),
        authors=[_author_name(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")],
        categories=[t.get("term") for t in entry.get("tags", []) if t.get("term")],
        image_url=enclosures[0].get("href") if enclosures else None,
    )


def _author_name(raw: str) -> str:
    match = _AUTHOR_IN_PARENS.match(raw.strip())
    return match.group("name") if match else raw.strip()
