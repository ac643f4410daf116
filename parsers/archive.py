"""Read archived feed posts as public news-archive repositories store them.

Two layouts, detected per file:
- Jekyll posts: front matter (title, date, author, from, tags, categories), then the epoch header;
- per-outlet folder posts (`_posts/<outlet>/<id>_<title>.md`): only the epoch header.
Both continue with `<!--epoch ms-->`, `[title](url)`, a `------` rule and the feed item's HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsmon.model import ParseError, Reason

_DATED = re.compile(r"\s*日期[:：]\s*([^\n]+)\n")
_EPOCH = re.compile(r"<!--\s*(\d{10,13})\s*-->")
_LINK = re.compile(r"^\[(?P<title>.*)\]\((?P<url>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)\s*$")


@dataclass
class ArchivePost:
    path: str
    text: str
    front_matter: dict[str, str] = field(default_factory=dict)
    title: str = ""
    url: str = ""
    epoch_ms: int | None = None
    dated: str = ""  # a "日期：Sat, 20 Jun 2020 13:33:41 +0000" line some per-outlet folders have instead of an epoch
    html: str = ""

    @property
    def folder(self) -> str:
        return folder_of(self.path)


def folder_of(path: str) -> str:
    """The per-outlet folder a post sits in (`_posts/<outlet>/...`), if any."""
    parts = path.strip().strip('"').replace("\\", "/").split("/")
    return parts[-2] if len(parts) >= 2 and parts[-2] != "_posts" else ""


def read_post(path: str, text: str) -> ArchivePost:
    if "\x00" in text:
        text = text.replace("\x00", "")
    post = ArchivePost(path=path, text=text)
    rest = text.lstrip("\ufeff")
    if rest.startswith("---"):
        end = rest.find("\n---", 3)
        if end < 0:
            raise ParseError("front matter is not closed by a '---' line", reason=Reason.BAD_FRONT_MATTER)
        post.front_matter = _front_matter(rest[3:end])
        rest = rest[end + 4 :]
    epoch = _EPOCH.search(rest[:200])
    if epoch:
        post.epoch_ms = int(epoch.group(1).ljust(13, "0"))
        rest = rest[epoch.end() :]
    lines = rest.lstrip("\n").split("\n", 2)
    link = _LINK.match(lines[0].strip()) if lines else None
    if link and len(lines) > 1 and set(lines[1].strip()) == {"-"}:
        post.title, post.url = link.group("title"), link.group("url")
        rest = lines[2] if len(lines) > 2 else ""
        dated = _DATED.match(rest)
        if dated:
            post.dated, rest = dated.group(1).strip(), rest[dated.end() :]
    post.title = post.front_matter.get("title") or post.title
    post.url = post.front_matter.get("from") or post.url
    post.html = rest.strip()
    if not post.url:
        raise ParseError(
            "post has no link: neither a 'from:' front-matter field nor a [title](url) line", reason=Reason.NO_LINK
        )
    return post


def _front_matter(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or key.startswith((" ", "\t")):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        elif value.startswith("[") and value.endswith("]"):
            value = ",".join(v.strip() for v in value[1:-1].split(",") if v.strip())
        fields[key.strip()] = value
    return fields
