"""What every outlet parser is made of: layouts (selectors and rules, versioned by date) and the shared steps.

An outlet module declares a subclass with its hosts, zone, id pattern and layouts; the steps here do the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import ClassVar
from zoneinfo import ZoneInfo

from lxml import html

from newsmon.model import Article, Image, ParseError, Reason

from . import html as h
from .archive import ArchivePost
from .dates import from_epoch_ms, parse_date
from .feed import FeedItem
from .outlets import OUTLETS, Outlet
from .text import clean_text, script_of
from .urls import canonical_url


@dataclass(frozen=True)
class Layout:
    """One generation of an outlet's article markup."""

    name: str
    valid_until: date = date.max  # last day the layout was served; selects among layouts without a marker
    marker: str | None = None  # selector present only in this layout (feed bodies of one era mix several)
    container: tuple[str, ...] = ()  # the first selector that matches is the body; else the whole input
    drop: tuple[str, ...] = ()  # noise removed before the walk: ads, captions, promos, related links
    drop_text: tuple[str, ...] = ()  # regexes for blocks that are boilerplate by their text (datelines)
    captions: tuple[str, ...] = ()  # caption elements, read into Image.caption before they are dropped
    paragraphs: str | None = None  # when set, only these elements hold prose (a structural rule, fundus-style)


@dataclass(frozen=True)
class PageMeta:
    """A page's own title, date and authors, read before the layout's drops remove the elements that hold them
    (<h1>, <time>, bylines)."""

    title: str
    published_raw: str | None
    authors: list[str]


@dataclass
class Extract:
    paragraphs: list[str]
    images: list[Image]
    authors: list[str]
    layout: Layout
    meta: PageMeta | None = None


PARSERS: dict[str, OutletParser] = {}  # every dedicated outlet parser, by key: each registers itself


class OutletParser:
    """An outlet's declaration: what is the outlet's own (key, display name, hosts, zone, id rule, layouts). What is
    a deployment's (feeds, politeness, extra hosts) is in sources.toml. Declaring a subclass registers it."""

    key: ClassVar[str]
    name: ClassVar[str]
    archive_names: ClassVar[tuple[str, ...]] = ()  # how news archives name the outlet
    hosts: ClassVar[tuple[str, ...]] = ()
    zone: ZoneInfo  # a class attribute, but the generic parser's instances each have their outlet's
    article_id_pattern: re.Pattern  # a class attribute, but the generic parser's instances each have their outlet's
    layouts: ClassVar[tuple[Layout, ...]]
    page_layouts: ClassVar[tuple[Layout, ...]] = ()  # full article pages, when the feed lacks the text

    def __init_subclass__(cls, register: bool = True, **kwargs):
        super().__init_subclass__(**kwargs)
        if register:
            if cls.key in PARSERS:
                raise ValueError(
                    f"two parsers declare the outlet key {cls.key!r}: {type(PARSERS[cls.key]).__name__}, {cls.__name__}"
                )
            PARSERS[cls.key] = cls()
            OUTLETS.add([Outlet(cls.key, cls.name, cls.archive_names, cls.hosts, cls.zone.key)])

    @property
    def version(self) -> str:
        return f"{self.key}.{'+'.join(layout.name for layout in self.layouts + self.page_layouts)}"

    # identity -------------------------------------------------------------------------------------------
    def article_id(self, url: str) -> str | None:
        match = self.article_id_pattern.search(url)
        return match.group("id") if match else None

    def canonical_url(self, url: str) -> str:
        return canonical_url(url)

    def clean_title(self, title: str) -> str:
        return clean_text(title)

    # body -----------------------------------------------------------------------------------------------
    def pick_layout(self, root: html.HtmlElement, when: date | None, layouts: tuple[Layout, ...]) -> Layout:
        for layout in layouts:
            if layout.marker and h.select(root, layout.marker):
                return layout
        dated = [layout for layout in layouts if not layout.marker] or list(layouts)
        if when is not None:
            for layout in sorted(dated, key=lambda layout: layout.valid_until):
                if when <= layout.valid_until:
                    return layout
        return max(dated, key=lambda layout: layout.valid_until)

    def extract(
        self, markup: str | bytes, when: date | None = None, *, page: bool = False, meta: bool = False
    ) -> Extract:
        root = h.parse_html(markup)
        page_meta = self.page_meta(root) if meta else None
        layout = self.pick_layout(root, when, self.page_layouts if page else self.layouts)
        body = h.select_first(root, *layout.container) if layout.container else root
        if body is None:
            raise ParseError(
                f"{self.key}: no article body ({', '.join(layout.container)}) in layout {layout.name}",
                reason=Reason.NO_BODY,
            )
        images = self.images(body, layout)
        authors = self.body_authors(body)  # bylines sit among the noise that the drop removes
        h.drop(body, layout.drop)
        drop_link_lists(body)
        patterns = _compiled(layout.drop_text)
        units = h.select(root, layout.paragraphs) if layout.paragraphs else [body]
        paragraphs = [
            block.text
            for unit in units
            for block in (h.blocks(unit) if unit is body else h.blocks_of(unit))
            if not any(p.search(block.text) for p in patterns)
        ]
        return Extract(paragraphs, images, authors, layout, page_meta)

    def images(self, body: html.HtmlElement, layout: Layout) -> list[Image]:
        captions = [h.text_of(c) for selector in layout.captions for c in h.select(body, selector)]
        found = h.images(body)
        return [
            Image(image.url, captions[i] if i < len(captions) and captions[i] else image.caption)
            for i, image in enumerate(found)
        ]

    # dates ----------------------------------------------------------------------------------------------
    def published(self, raw: str | None) -> datetime | None:
        return parse_date(raw, self.zone)

    def archive_published(self, post: ArchivePost) -> tuple[datetime | None, str | None]:
        """The archive's epoch header is the feed's pubDate as the archiver read it."""
        if post.epoch_ms is not None:
            return from_epoch_ms(post.epoch_ms), f"<!--{post.epoch_ms}-->"
        raw = post.front_matter.get("date") or post.dated or None
        return self.published(raw), raw

    # entry points ---------------------------------------------------------------------------------------
    def from_archive(self, post: ArchivePost) -> Article:
        published_at, published_raw = self.archive_published(post)
        extract = self.extract(post.html, published_at.date() if published_at else None)
        return self.article(
            url=post.url,
            guid=None,
            title=post.title,
            extract=extract,
            published_at=published_at,
            published_raw=published_raw,
            authors=extract.authors,
        )

    def needs_page(self, item: FeedItem) -> bool:
        """Whether the feed item lacks the full text, so the article page must be fetched."""
        return True

    def from_feed_item(self, item: FeedItem, page: str | None = None) -> Article:
        if not item.link:
            raise ParseError("feed item has no link", reason=Reason.NO_LINK)
        published_at = self.published(item.published_raw)
        when = published_at.date() if published_at else None
        if page is not None:
            extract = self.extract(page, when, page=True, meta=True)
        else:
            extract = self.extract(item.content_html or item.summary_html, when, meta=True)
        assert extract.meta is not None
        published_raw = item.published_raw or extract.meta.published_raw
        return self.article(
            url=item.link,
            guid=item.guid,
            title=item.title or extract.meta.title,
            extract=extract,
            published_at=published_at or self.published(extract.meta.published_raw),
            published_raw=published_raw,
            authors=extract.authors or extract.meta.authors or list(item.authors),
            summary=clean_text(h.parse_html(item.summary_html).text_content()) if item.summary_html else None,
        )

    def article(self, *, url, guid, title, extract: Extract, published_at, published_raw, authors, summary=None):
        canonical = self.canonical_url(url)
        title = self.clean_title(title)
        # Headlines repeated inside the body (visually hidden h1, "faux headline" <strong>) are not prose.
        extract.paragraphs = [p for p in extract.paragraphs if p != title]
        if not title and not extract.paragraphs:
            raise ParseError(f"{self.key}: neither a title nor body text in {url}", reason=Reason.EMPTY)
        return Article(
            outlet=self.key,
            url=canonical,
            title=title,
            paragraphs=extract.paragraphs,
            article_id=self.article_id(canonical) or self.article_id(url),
            guid=guid,
            summary=summary,
            authors=authors,
            published_at=published_at,
            published_raw=published_raw,
            language=script_of(title + "".join(extract.paragraphs[:5])),
            images=extract.images,
            parser=f"{self.key}.{extract.layout.name}",
        )

    # page metadata (overridden where an outlet has better sources) -------------------------------------
    def page_meta(self, root: html.HtmlElement) -> PageMeta:
        return PageMeta(self.page_title(root), self.page_published_raw(root), self.page_authors(root))

    def body_authors(self, body: html.HtmlElement) -> list[str]:
        return []

    def page_authors(self, root: html.HtmlElement) -> list[str]:
        for obj in h.json_ld(root):
            author = obj.get("author")
            authors = author if isinstance(author, list) else [author]
            candidates = [a.get("name") if isinstance(a, dict) else a for a in authors]
            names = [str(n).strip() for n in candidates if n and str(n).strip()]
            if names:
                return names
        return []

    def page_title(self, root: html.HtmlElement) -> str:
        for obj in h.json_ld(root):
            if obj.get("headline"):
                return str(obj["headline"])
        return h.meta(root, "og:title") or h.text_of(h.select_first(root, "h1"))

    def page_published_raw(self, root: html.HtmlElement) -> str | None:
        for obj in h.json_ld(root):
            if obj.get("datePublished"):
                return str(obj["datePublished"])
        element = h.select_first(root, "time[datetime]")
        return element.get("datetime") if element is not None else None



@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


def drop_link_lists(root: html.HtmlElement) -> None:
    """Related-story lists are lists whose every item is just a link; lists of prose stay."""
    for element in list(root.iter("ul", "ol")):
        items = [li for li in element if isinstance(li.tag, str) and li.tag == "li"]
        if items and all(_is_link_only(li) for li in items) and element.getparent() is not None:
            element.drop_tree()


def _is_link_only(element: html.HtmlElement) -> bool:
    text = clean_text(element.text_content())
    linked = "".join(clean_text(a.text_content()) for a in element.iter("a"))
    return not text or text.replace(" ", "") == linked.replace(" ", "")
