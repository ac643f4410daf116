"""What `newsmon search`, `story`, `show` and `status` print: search hits as a table, JSON lines or CSV, a story's
articles as a table or JSON lines, one article as a person reads it, the outlets and feeds as tables. Times are shown
in the user's zone (the TZ environment variable, else the system's)."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_to_bytes

from newsmon.storage.search import Hit, OutletSummary, StoryArticle

_ARCHIVE_STAMP = re.compile(r"<!--\d+-->")  # parsers.base.archive_published's published_raw
_ENCODED_NON_ASCII = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers: letters that show as nothing
_AGO = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
NO_STORY_YET = "not assigned yet (new articles get one when stored, older ones from the maintenance)"
NO_EVENT_YET = "not assigned yet (the maintenance gives articles their events: newsmon maintenance)"
MIN_NAME_WIDTH = 10  # newsmon status shows the outlets' names if the terminal has this many columns left for them
CSV_COLUMNS = ("id", "published_at", "outlet", "outlet_name", "un_level", "title", "snippet", "url", "score")


def moment(text: str, now: datetime | None = None) -> datetime:
    """--since and --until: an age (12h, 7d, 2w: that long before now) or a date or time (2026-11-01,
    2026-11-01T08:00, in the user's zone unless it names its own). ValueError says what is accepted."""
    if match := _AGO.fullmatch(text.strip().lower()):
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a time: {text!r}; give an age (12h, 7d, 2w) or a date (2026-11-01)") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def local_time(value: datetime | None, zone_named: bool = False) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M" + (" %Z" if zone_named else "")) if value else "?"


def readable_url(url: str) -> str:
    """A URL as a browser's address bar shows it: percent-encoded letters, marks and digits of UTF-8 (a Chinese slug)
    decoded, all else kept as it is: %2F, %3F, %20, bytes that are not UTF-8, and punctuation, symbols and invisible
    fillers, where a terminal would end the link or a reader would see a delimiter. It opens the same page."""

    def decoded(match: re.Match[str]) -> str:
        encoded = match[0]
        try:
            text = unquote_to_bytes(encoded).decode("utf-8")
        except UnicodeDecodeError:
            return encoded
        shown, at = [], 0
        for character in text:
            width = 3 * len(character.encode("utf-8"))  # "%XX" per byte
            readable = unicodedata.category(character)[0] in "LMN" and character not in _FILLERS
            shown.append(character if readable else encoded[at:at + width])
            at += width
        return "".join(shown)

    return _ENCODED_NON_ASCII.sub(decoded, url)


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width characters (Chinese) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def fit(text: str, width: int) -> str:
    """Text cut to width terminal columns (an ellipsis marks the cut), padded with spaces to exactly width."""
    text = " ".join(text.split())
    if display_width(text) > width:
        kept, used = [], 0
        for character in text:
            columns = display_width(character)
            if used + columns > width - 1:
                break
            kept.append(character)
            used += columns
        text = "".join(kept) + "…"
    return text + " " * (width - display_width(text))


def table_lines(items: Sequence[Hit | StoryArticle], columns: int) -> Iterator[str]:
    """`newsmon search` and `story`: a header, then per article a line of id, local time, outlet, UN level and title,
    a search hit's snippet and the link (readable_url) beneath, each cut to the terminal's columns: the outlet column
    as wide as the widest name (up to 18), the title the rest."""
    outlet_width = min(18, max((display_width(item.outlet_name) for item in items), default=6))
    head = f"{'ID':>7}  {'TIME':16}  {fit('OUTLET', outlet_width)}  {'UN':7}  "
    title_width = max(columns - len(head), 20)
    yield head + "TITLE"
    for item in items:
        yield (f"{item.id:>7}  {local_time(item.published_at or item.fetched_at):16}  "
               f"{fit(item.outlet_name, outlet_width)}  {item.un_level or '-':7}  {fit(item.title, title_width)}"
               ).rstrip()
        if isinstance(item, Hit):
            yield " " * 9 + fit(item.snippet, max(columns - 9, 20)).rstrip()
        yield " " * 9 + readable_url(item.url)


def status_lines(outlets: Sequence[OutletSummary], feeds: Sequence[dict[str, Any]], columns: int) -> Iterator[str]:
    """`newsmon status`: per outlet its articles, the newest one's time, its UN items and its failed items (open, given
    up), a total, the outlet's name in what is left of the line; then per feed its last success and state."""
    if not outlets:
        yield "no articles yet: newsmon run polls the outlets, newsmon import takes in archives"
    else:
        key_width = max([6, *(display_width(outlet.outlet) for outlet in outlets)])

        def columns_before_name(key: str, cells: tuple[str, ...]) -> str:
            articles, newest, core, mention, failed, given_up = cells
            return (f"{fit(key, key_width)}  {articles:>8}  {newest:16}  {core:>7}  {mention:>7}  {failed:>8}  "
                    f"{given_up:>8}  ")

        heads = ("ARTICLES", "NEWEST", "UN CORE", "MENTION", "FAILED", "GIVEN UP")
        # names only where they fit: --outlet takes the keys
        name_width = columns - display_width(columns_before_name("OUTLET", heads))

        def row(key: str, cells: tuple[str, ...], name: str = "") -> str:
            shown = fit(name, name_width) if name and name_width >= MIN_NAME_WIDTH else ""
            return (columns_before_name(key, cells) + shown).rstrip()

        yield row("OUTLET", heads, "NAME")
        for outlet in outlets:
            counts = (outlet.un_core, outlet.un_mention, outlet.failing, outlet.given_up)
            newest = local_time(outlet.newest) if outlet.newest else "-"
            yield row(outlet.outlet, (f"{outlet.articles:,}", newest, *(f"{count:,}" for count in counts)),
                      outlet.outlet_name)
        totals = [sum(getattr(outlet, field) for outlet in outlets)
                  for field in ("articles", "un_core", "un_mention", "failing", "given_up")]
        yield row("total", (f"{totals[0]:,}", f"{len(outlets)} outlets", *(f"{total:,}" for total in totals[1:])))
    if not feeds:
        return
    key_width = max([4, *(display_width(feed["outlet"]) for feed in feeds)])
    yield ""
    yield f"{fit('FEED', key_width)}  {'LAST SUCCESS':16}  STATE, URL"
    for feed in feeds:
        errors = feed["consecutive_errors"]
        state = "ok" if not errors else f"{errors} errors: {feed['last_error']}"
        if feed["next_poll_at"]:  # on its back-off
            state += f"; next poll {local_time(feed['next_poll_at'])}"
        last = local_time(feed["last_success_at"]) if feed["last_success_at"] else "never"
        yield f"{fit(feed['outlet'], key_width)}  {last:16}  {state}"
        yield f"{'':{key_width}}  {'':16}  {feed['url']}"


def article_record(item: Hit | StoryArticle) -> dict[str, Any]:
    """An article as JSON lines and CSV give it; a search hit with its snippet and score, in CSV_COLUMNS' order."""
    fields = {
        "id": item.id,
        "published_at": (item.published_at or item.fetched_at).isoformat(timespec="seconds"),
        "outlet": item.outlet,
        "outlet_name": item.outlet_name,
        "un_level": item.un_level,
        "title": item.title,
        "url": item.url,
    }
    if not isinstance(item, Hit):
        return fields
    fields |= {"snippet": item.snippet, "score": round(item.score, 6)}
    return {column: fields[column] for column in CSV_COLUMNS}


def json_lines(items: Iterable[Hit | StoryArticle]) -> Iterator[str]:
    for item in items:
        yield json.dumps(article_record(item), ensure_ascii=False)


def write_csv(hits: Iterable[Hit], out) -> None:
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(article_record(hit) for hit in hits)


def article_text(article: dict[str, Any]) -> str:
    """newsmon show: title, outlet, times, URL, UN level with its evidence, its story, revisions, then the body's
    paragraphs."""
    published, fetched, updated = article["published_at"], article["fetched_at"], article["updated_at"]
    lines = [
        article["title"],
        f"{article['outlet_name']} ({article['outlet']}) · article {article['id']}",
        "",
        f"published  {local_time(published, zone_named=True) if published else 'unknown'}"
        + (f" ({_raw_source(raw)}: {raw})" if (raw := article["published_raw"]) else ""),
        f"fetched    {local_time(fetched, zone_named=True)}"
        + (f"; this text {local_time(updated, zone_named=True)}" if updated != fetched else ""),
        f"URL        {readable_url(article['url'])}",
    ]
    if article["authors"]:
        lines.append(f"by         {', '.join(article['authors'])}")
    if article["un_level"] is None:
        lines.append("UN         not scored yet")
    else:
        bodies = ", ".join(article["un_bodies"])
        lines.append(f"UN         {article['un_level']}" + (f": {bodies}" if bodies else ""))
        # one line per sentence, with every body it names: two names in one sentence are one piece of evidence
        named: dict[tuple[int, str], dict[str, None]] = {}
        for evidence in article["un_evidence"]:
            named.setdefault((evidence["paragraph"], evidence["sentence"]), {})[evidence["body"]] = None
        for (paragraph, sentence), sentence_bodies in named.items():
            where = "title" if paragraph < 0 else f"paragraph {paragraph + 1}"
            lines.append(f"           {where}, {', '.join(sentence_bodies)}: {sentence}")
    lines.extend(story_summary(article["id"], article["story"]))
    lines.extend(event_summary(article["event_id"], article["event"]))
    revisions = article["revisions"]
    if revisions:
        replaced = ", ".join(local_time(revision["replaced_at"]) for revision in revisions)
        lines.append(f"revisions  {len(revisions)}: earlier texts replaced {replaced}")
    else:
        lines.append("revisions  none: the text is as first fetched")
    lines.append("")
    for paragraph in article["paragraphs"]:
        lines.extend([paragraph, ""])
    return "\n".join(lines).rstrip() + "\n"


def _raw_source(published_raw: str) -> str:
    """Where a publication date as stored comes from: an archived post's epoch header, else the outlet's own text."""
    return "the archive's time stamp, ms" if _ARCHIVE_STAMP.fullmatch(published_raw) else "as the outlet gives it"


def story_summary(article_id: int, story: list[StoryArticle]) -> list[str]:
    """newsmon show's lines on an article's story: who told it first, then each other article of it (time, outlet,
    id, title), first teller first."""
    if not story:
        return [f"story      {NO_STORY_YET}"]
    others = [other for other in story if other.id != article_id]
    if not others:
        return ["story      told by this article alone so far"]
    first = story[0]
    told = "this article" if first.id == article_id else (
        f"{first.outlet_name}, {local_time(first.published_at or first.fetched_at, zone_named=True)}")
    lines = [f"story      first told by {told}; {len(others)} other article{'s' if len(others) != 1 else ''} "
             f"(newsmon story {article_id}):"]
    lines.extend(_other_article_line(other) for other in others)
    return lines


def event_summary(event_id: int | None, others: list[StoryArticle]) -> list[str]:
    """newsmon show's lines on an article's event: the articles of other stories that tell the same happening in
    their own words (time, outlet, id, title), first teller first."""
    if event_id is None:
        return [f"event      {NO_EVENT_YET}"]
    if not others:
        return ["event      no other story tells it so far"]
    lines = [f"event      also told in other words by {len(others)} article{'s' if len(others) != 1 else ''}:"]
    lines.extend(_other_article_line(other) for other in others)
    return lines


def _other_article_line(other: StoryArticle) -> str:
    return (f"           {local_time(other.published_at or other.fetched_at)}  {other.outlet_name}  article {other.id}"
            f"  {other.title}")
