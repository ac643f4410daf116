"""Plain-text documents (no HTML) as articles: title from the first line, paragraphs rebuilt, junk tails cut.

Text copied out of PDFs (UN documents, statements) breaks sentences at the page width and often puts a blank line
after every line. Where the extractor marked paragraph ends with a trailing space (full lines lack it), that mark
decides; otherwise a line that reaches the usual width and does not end a sentence continues on the next one.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from newsmon.model import Article, ParseError, Reason

from .generic import cut_junk_tail, is_boilerplate_text
from .text import clean_text, script_of

PARSER_NAME = "text.V1"
_SENTENCE_END = tuple("。！？；：…」』”）》!?;:)]") + (".",)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
UTC = ZoneInfo("UTC")
_URL = re.compile(r"^https?://\S+$")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def parse_text_document(text: str, outlet: str, zone: ZoneInfo = UTC) -> Article:
    # bare URLs are PDF footnotes: removed before unwrapping so they do not glue paragraphs together
    lines = [line for line in text.replace("\x00", "").splitlines() if line.strip() and not _URL.match(line.strip())]
    if not lines:
        raise ParseError("the document has no text", reason=Reason.EMPTY)
    title = clean_text(lines[0])
    body = [p for p in cut_junk_tail(_unwrap(lines[1:])) if not is_boilerplate_text(p)]
    published_raw, published_at = _first_date(title, body[:2], zone)
    return Article(
        outlet=outlet,
        url="",  # a document has no address; it is deduplicated by its text
        title=title,
        paragraphs=body,
        published_at=published_at,
        published_raw=published_raw,
        language=script_of(title + "".join(body[:5])),
        parser=PARSER_NAME,
    )


def _unwrap(raw_lines: list[str]) -> list[str]:
    """Join the lines a fixed page width broke."""
    lines = [clean_text(line) for line in raw_lines]
    if len(lines) < 4:
        return lines
    width = sorted(len(line) for line in lines)[int(len(lines) * 0.9)]
    full = [raw for raw, line in zip(raw_lines, lines, strict=True) if len(line) >= 0.8 * width]
    marked = any(raw[-1:].isspace() for raw in full) and not all(raw[-1:].isspace() for raw in full)
    paragraphs: list[str] = []
    for i, line in enumerate(lines):
        previous, raw_previous = (lines[i - 1], raw_lines[i - 1]) if i else ("", "")
        if marked:
            continues = bool(paragraphs) and not raw_previous[-1:].isspace()
        else:
            continues = len(previous) >= 0.8 * width and not previous.endswith(_SENTENCE_END)
        if continues:
            glue = "" if _CJK.match(line[:1]) or _CJK.match(paragraphs[-1][-1:]) else " "
            paragraphs[-1] += glue + line
        else:
            paragraphs.append(line)
    return paragraphs


def _first_date(title: str, lead: list[str], zone: ZoneInfo) -> tuple[str | None, datetime | None]:
    for text in (title, *lead):
        match = _DATE.search(text)
        if match:
            try:
                year, month, day = map(int, match.groups())
                return match.group(0), datetime(year, month, day, tzinfo=zone)
            except ValueError:
                return match.group(0), None
    return None, None
