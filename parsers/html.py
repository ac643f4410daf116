"""Turn an HTML body into ordered text blocks: the one walker every outlet parser shares.

Outlet parsers differ only in which container they start from and which elements they drop first; the walk
itself (paragraphs, sub-headings, list items, text split at <br>) is the same everywhere.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache

from lxml import etree, html
from lxml.cssselect import CSSSelector

from newsmon.model import Image, ParseError, Reason

from .text import clean_text

BLOCK_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li blockquote pre figcaption dd dt td th".split())
# Tags that never hold article prose.
SKIP_TAGS = frozenset("script style noscript iframe svg button form input select textarea template".split())


@dataclass
class Block:
    text: str
    tag: str  # the block-level tag the text came from ("div" for loose text)
    link_chars: int = 0  # characters of the text inside <a>: related-link lines are mostly link


def parse_html(markup: str | bytes) -> html.HtmlElement:
    """Parse a document or a fragment into a root element (an empty <div> for empty input).

    Raises ParseError (reason "bad-html") when markup with text in it parses to no text at all, as an unclosed
    comment or a broken declaration swallowing the article would."""
    if isinstance(markup, bytes):
        markup = markup.decode("utf-8", "replace")
    markup = _CONTROL.sub("", markup)  # libxml2 refuses control characters; they are never text
    if not markup.strip():
        return html.fragment_fromstring("<div></div>")
    try:
        if markup.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
            root = html.document_fromstring(markup)
        else:
            root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError) as error:
        raise ParseError(f"HTML does not parse: {error}", reason=Reason.BAD_HTML) from error
    if not root.text_content().strip() and _TAGS.sub("", markup).strip():
        raise ParseError(
            f"HTML does not parse: its text vanishes in the tree ({markup[:60]!r}…)", reason=Reason.BAD_HTML
        )
    return root


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TAGS = re.compile(r"<[^>]*>|&[a-z]+;|&#\d+;|\s+")


@cache
def css(selector: str) -> CSSSelector:
    return CSSSelector(selector)


def select(root: html.HtmlElement, selector: str) -> list[html.HtmlElement]:
    return css(selector)(root)


def select_first(root: html.HtmlElement, *selectors: str) -> html.HtmlElement | None:
    for selector in selectors:
        found = css(selector)(root)
        if found:
            return found[0]
    return None


def drop(root: html.HtmlElement, selectors: tuple[str, ...]) -> None:
    """Remove every element matching any selector, keeping the tail text that follows it."""
    for selector in selectors:
        for element in css(selector)(root):
            if element.getparent() is not None:
                element.drop_tree()


def text_of(element: html.HtmlElement | None) -> str:
    return clean_text(element.text_content()) if element is not None else ""


def blocks(root: html.HtmlElement) -> list[Block]:
    """Ordered text blocks below root: each block element's text, split at <br>; loose text in divs too."""
    out: list[Block] = []
    pending: list[str] = []  # loose text between blocks
    pending_links = [0]

    def flush(tag: str = "div") -> None:
        text = clean_text("".join(pending))
        pending.clear()
        if text:
            out.append(Block(text, tag, min(pending_links[0], len(text))))
        pending_links[0] = 0

    def inline_parts(element: html.HtmlElement) -> list[tuple[str, int]]:
        """The text of a block element as pieces separated by <br>, each with its count of link characters."""
        parts = [""]
        links = [0]

        def walk(node: html.HtmlElement, parent_in_link: bool) -> None:
            tag = node.tag if isinstance(node.tag, str) else ""
            if not tag or tag in SKIP_TAGS:
                pass
            elif tag == "br":
                parts.append("")
                links.append(0)
            else:
                in_link = parent_in_link or tag == "a"
                if node.text:
                    parts[-1] += node.text
                    links[-1] += len(node.text.strip()) if in_link else 0
                for child in node:
                    walk(child, in_link)
            if node is not element and node.tail:
                parts[-1] += node.tail
                links[-1] += len(node.tail.strip()) if parent_in_link else 0

        walk(element, False)
        return list(zip(parts, links, strict=True))

    def visit(node: html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in SKIP_TAGS:  # comments and processing instructions have no str tag
            pending.append(node.tail or "")
            return
        if tag in BLOCK_TAGS and not _holds_blocks(node):
            flush()
            for part, link_chars in inline_parts(node):
                text = clean_text(part)
                if text:
                    out.append(Block(text, tag, min(link_chars, len(text))))
        elif tag == "br":
            flush()
        else:
            pending.append(node.text or "")
            if tag == "a":
                pending_links[0] += len(node.text_content().strip())
            for child in node:
                visit(child)
            if tag not in ("span", "a", "b", "strong", "i", "em", "small", "font", "u", "sup", "sub"):
                flush()
        pending.append(node.tail or "")

    pending.append(root.text or "")
    for child in root:
        visit(child)
    flush()
    return out


def _holds_blocks(element: html.HtmlElement) -> bool:
    """A quote or cell made of paragraphs is a container, walked paragraph by paragraph."""
    return any(isinstance(child.tag, str) and (child.tag in BLOCK_TAGS or child.tag == "div") for child in element)


def blocks_of(element: html.HtmlElement) -> list[Block]:
    """The blocks of one element, itself included (blocks() walks only what is below its root)."""
    wrapper = html.Element("div")
    wrapper.append(copy.copy(element))
    return blocks(wrapper)


def images(root: html.HtmlElement) -> list[Image]:
    """Images below root, lazy-loaded ones included, captioned by their alt text until a parser knows better.
    An image inside a button is a control's icon (expand, play, share), not the article's."""
    found = []
    for img in root.iter("img"):
        url = img.get("data-src") or img.get("src") or ""
        if url and not url.startswith("data:") and not any(parent.tag == "button" for parent in img.iterancestors()):
            found.append(Image(url=url, caption=clean_text(img.get("alt") or "")))
    return found


def json_ld(root: html.HtmlElement) -> list[dict]:
    """Every JSON-LD object on the page, @graph entries flattened."""
    objects: list[dict] = []
    for script in root.iter("script"):
        if script.get("type") != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        for obj in stack:
            if isinstance(obj, dict):
                objects.append(obj)
                objects.extend(o for o in obj.get("@graph", []) if isinstance(o, dict))
    return objects


def meta(root: html.HtmlElement, name: str) -> str | None:
    for element in root.iter("meta"):
        if element.get("property") == name or element.get("name") == name:
            return element.get("content")
    return None
