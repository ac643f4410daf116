"""Shared by the outlet modules: URLs to site paths, dates, escaping, the MANIFEST item, the in-memory site, and the
archived posts of labels/extraction_dev.jsonl (real: 45 posts as public news archives kept them, with gold bodies).
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit


def site_path(url: str) -> str:
    """`https://host/a%20b?x=1` -> `host/a b`: the file a real URL is stored under (query ignored)."""
    parts = urlsplit(url)
    return parts.netloc + unquote(parts.path)


def rfc822_gmt(dt: datetime) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True)


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def cdata(text: str) -> str:
    assert "]]>" not in text, "CDATA section would break"
    return f"<![CDATA[{text}]]>"


def ld_json(data: dict) -> str:
    # "</" must not appear raw inside <script>; the real sites escape it the same way.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def replace_once(text: str, old: str, new: str, count: int = 1) -> str:
    """str.replace that fails loudly when the skeleton no longer has what we expect."""
    found = text.count(old)
    if found != count:
        raise ValueError(f"expected {count} occurrence(s) of {old[:60]!r}, found {found}")
    return text.replace(old, new)


@dataclass
class Item:
    """One feed item (and its page, if the pipeline has to fetch one) as listed in MANIFEST."""

    url: str
    title: str
    published: datetime
    source: dict
    page: str | None = None  # site path of the article page, None when the feed carries the full text
    paragraphs: list[str] | None = None  # gold body, when one exists
    extra: dict = field(default_factory=dict)

    def manifest(self) -> dict:
        entry = {
            "url": self.url,
            "title": self.title,
            "published_at": iso_z(self.published),
            "source": self.source,
            "page": self.page,
            "paragraphs": self.paragraphs,
        }
        entry.update(self.extra)
        return entry


class Site:
    """Collects files in memory, then writes them all at once."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, path: str, content: str | bytes) -> None:
        assert path not in self.files, f"written twice: {path}"
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content

    def write(self, root: Path) -> None:
        if root.exists():
            shutil.rmtree(root)
        for path in sorted(self.files):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.files[path])


# --------------------------------------------------------------------------- archived posts


@dataclass
class Post:
    id: str
    outlet: str
    url: str
    title: str
    published: datetime
    paragraphs: list[str]
    content: str  # the feed item's HTML exactly as the archive kept it


def archived_content(raw: str) -> str:
    """The feed item HTML inside an archive post.

    waimei posts wrap it as "<div>\\n{content}\\n</div>" (added by the archiver, not the
    outlet); duty-machine posts put it bare after the "------" line. The content itself
    never contains a newline (the archiver strips them), so the wrapper is unambiguous.
    """
    body = raw.split("\n------\n", 1)[1].strip("\n")
    if body.startswith("<div>\n") and body.endswith("\n</div>"):
        body = body[len("<div>\n") : -len("\n</div>")]
    assert "\n" not in body, "archived content should be one line"
    return body


def load_posts(shared: Path) -> list[Post]:
    posts = []
    for line in (shared / "labels" / "extraction_dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        posts.append(
            Post(
                id=record["id"],
                outlet=record["outlet"],
                url=record["url"],
                title=record["title"],
                published=parse_iso(record["published_at"]),
                paragraphs=record["paragraphs"],
                content=archived_content(record["raw"]),
            )
        )
    return posts
