"""Alert text: title, outlet name, published time in the channel's zone, level and bodies, the article's newsmon id
(for `newsmon un explain ID`), one evidence sentence, link, the other articles of its story ("Also reported by":
outlet name, time, link), and the alert's key.

Titles and evidence come from the outlets and are made inert for the channel's format, the message's title as much as
its body, so a hostile title cannot add markup, links or mentions to the message: Markdown escapes only what CommonMark
(and the chat dialects Apprise converts it to) would read as markup, so dates and numbers stay as written; HTML is
entity-escaped; mentions (@everyone, @channel) are broken with an invisible zero-width space in every format, since
chat services, and Apprise's own Discord plugin, act on them whatever the format. Lines are separate in every format:
<br> and <p> in HTML, so they survive in mail clients.

Every alert from the outbox carries its key, `newsmon-alert-<outbox id>`, on the message's last line (a digest: one
per article) and in its Prefect event: a receiver drops a message whose key it has seen. An alert sent again after a
run died while sending it says so on that line ("repeat of newsmon-alert-12")."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# inside a line, CommonMark reads these as markup: escapes, code, emphasis, links and images, raw HTML and autolinks,
# strikethrough (~), spoilers and tables (|); `&` only where it would read as an entity (&amp;)
_MARKDOWN_MARKUP = re.compile(r"[\\`*_\[\]<>~|]|&(?=#?[0-9A-Za-z]+;)")
_MARKDOWN_ESCAPE = re.compile(r"\\[\\`*_\[\]<>~|&]")  # what _MARKDOWN_MARKUP's matches became
_MENTION = re.compile(r"@(?=\w)")
_ZERO_WIDTH_SPACE = "\u200b"
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`]+$")
_EVIDENCE_CHARS = 140  # a table cell, not a paragraph
ALSO_REPORTED_BY = "Also reported by:"  # heads the story's other articles in a message


@dataclass(frozen=True)
class StoryMention:
    """Another article of an alert's story, stored by the time the alert is sent."""

    article_id: int
    outlet: str
    outlet_name: str
    title: str
    url: str
    published_at: datetime | None

    def to_json(self) -> dict:
        return {"article_id": self.article_id, "outlet": self.outlet, "outlet_name": self.outlet_name,
                "title": self.title, "url": self.url,
                "published_at": self.published_at.isoformat() if self.published_at else None}


@dataclass(frozen=True)
class AlertFacts:
    title: str
    outlet: str  # the key articles are stored under
    outlet_name: str  # the outlet's display name (its parser's name)
    published_at: datetime | None
    level: str
    bodies: list[str]
    evidence: str
    url: str
    article_id: int | None  # newsmon's id of the article; None for a test message
    alert_id: int | None = None  # the outbox row this message is for; None for a test message
    repeat: bool = False  # an earlier attempt died while sending: this alert may have arrived already
    also_reported_by: tuple[StoryMention, ...] = ()  # the story's other articles, first teller first

    @property
    def key(self) -> str | None:
        return alert_key(self.alert_id) if self.alert_id is not None else None

    def event_payload(self) -> dict:
        """The payload of the Prefect event newsmon.article.un-related."""
        return {"title": self.title, "outlet": self.outlet, "outlet_name": self.outlet_name, "level": self.level,
                "bodies": self.bodies, "evidence": self.evidence, "url": self.url, "article_id": self.article_id,
                "alert_id": self.alert_id, "alert_key": self.key, "repeat": self.repeat,
                "published_at": self.published_at.isoformat() if self.published_at else None,
                "also_reported_by": [mention.to_json() for mention in self.also_reported_by]}


def alert_key(alert_id: int) -> str:
    """The idempotency key of an outbox alert: the same on every attempt to send it."""
    return f"newsmon-alert-{alert_id}"


def key_line(facts: AlertFacts) -> str:
    """The key as the message shows it ('' for a test message), naming a repeat as one. Only [a-z0-9-]: literal in
    every format."""
    if facts.key is None:
        return ""
    return f"repeat of {facts.key} (an earlier sending was cut off: it may have arrived)" if facts.repeat else facts.key


def inert(text: str, fmt: str) -> str:
    """Outlet text (a title, a sentence) as one line of literal text in the format."""
    text = _MENTION.sub("@" + _ZERO_WIDTH_SPACE, " ".join(text.splitlines()).strip())
    if fmt == "markdown":
        return _MARKDOWN_MARKUP.sub(lambda markup: "\\" + markup.group(), text)
    if fmt == "html":
        return html.escape(text, quote=True)
    return text


def safe_url(url: str) -> str:
    """Only plain http(s) links go out; anything else is dropped."""
    return url if _SAFE_URL.match(url or "") else ""


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """'2026-11-22 14:30 Singapore time (UTC+8)': the zone's place and its offset at that moment ('UTC+8' alone for
    the Etc/ zones, 'UTC' for UTC). Offsets read the same everywhere, unlike abbreviations (CST is China's and
    Central America's; Singapore's is only '+08')."""
    local = moment.astimezone(zone)
    minutes = int((local.utcoffset() or timedelta(0)).total_seconds()) // 60
    offset = "UTC"
    if minutes:
        hours, rest = divmod(abs(minutes), 60)
        offset += f"{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
    place = _place(zone)
    return f"{local:%Y-%m-%d %H:%M} " + (f"{place} time ({offset})" if place else offset)


def _place(zone: ZoneInfo) -> str:
    """'Singapore' for Asia/Singapore, 'Buenos Aires' for America/Argentina/Buenos_Aires; '' for UTC and Etc/."""
    key = zone.key or ""
    return key.rsplit("/", 1)[-1].replace("_", " ") if "/" in key and not key.startswith("Etc/") else ""


def as_text(text: str, fmt: str) -> str:
    """Text made inert for a format (a title) as plain text again, for a service that shows a title as plain text
    (a mail's subject): the escapes undone, the broken mentions kept."""
    if fmt == "markdown":
        return _MARKDOWN_ESCAPE.sub(lambda escape: escape.group()[1:], text)
    if fmt == "html":
        return html.unescape(text)
    return text


def render(facts: AlertFacts, fmt: str, zone: ZoneInfo) -> tuple[str, str]:
    """(title, body) of one alert, both in the format."""
    when = local_time(facts.published_at, zone) if facts.published_at else "time unknown"
    url = safe_url(facts.url)
    e = lambda text: inert(text, fmt)  # noqa: E731
    headline, source = e(facts.title), f"{e(facts.outlet_name or facts.outlet)} · {when}"
    level = f"UN {facts.level}: {e(', '.join(facts.bodies) or 'United Nations')}" + (
        f" · article id {facts.article_id}" if facts.article_id is not None else ""
    )
    evidence = f"“{e(facts.evidence)}”" if facts.evidence else ""
    others = [_mention_line(mention, fmt, zone) for mention in facts.also_reported_by]
    key = key_line(facts)
    if fmt == "html":
        blocks = [
            f"<p><b>{headline}</b><br>\n{source}<br>\n{level}</p>",
            f"<blockquote>{evidence}</blockquote>" if evidence else "",
            f"<p>{_link(url, fmt)}</p>" if url else "",
            "<p>" + "<br>\n".join([ALSO_REPORTED_BY, *others]) + "</p>" if others else "",
            f"<p>{key}</p>" if key else "",
        ]
        body = "\n".join(block for block in blocks if block)
    elif fmt == "markdown":  # a blank line after the quote, or the link would continue it
        blocks = [f"**{headline}**\n{source}\n{level}", f"> {evidence}" if evidence else "", _link(url, fmt),
                  "\n".join([ALSO_REPORTED_BY, *(f"- {line}" for line in others)]) if others else "", key]
        body = "\n\n".join(block for block in blocks if block)
    else:
        body = "\n".join(line for line in [headline, source, level, evidence, url,
                                            *([ALSO_REPORTED_BY, *others] if others else []), key] if line)
    return f"[UN {facts.level}] {e(facts.title)}", body


def _link(url: str, fmt: str) -> str:
    """A safe URL (safe_url) as a link in the format; '' for none."""
    if not url:
        return ""
    if fmt == "html":
        return f'<a href="{html.escape(url)}">{html.escape(url)}</a>'
    return f"<{url}>" if fmt == "markdown" else url


def _mention_line(mention: StoryMention, fmt: str, zone: ZoneInfo) -> str:
    """Another article of the story as a line in the format: its outlet's name, its time, its link."""
    when = local_time(mention.published_at, zone) if mention.published_at else "time unknown"
    link = _link(safe_url(mention.url), fmt)
    return " · ".join(part for part in (inert(mention.outlet_name or mention.outlet, fmt), when, link) if part)


def render_digest(all_facts: list[AlertFacts], fmt: str, zone: ZoneInfo) -> tuple[str, str]:
    title = f"[UN] {len(all_facts)} new UN-related article{'s' if len(all_facts) != 1 else ''}"
    separator = "\n<hr>\n" if fmt == "html" else "\n\n"
    return title, separator.join(render(facts, fmt, zone)[1] for facts in all_facts)


def items_markdown(all_facts: list[AlertFacts], zone: ZoneInfo) -> str:
    """New UN items as a Markdown table a person can scan, newest first: local time, level, outlet, linked title,
    evidence, newsmon id (the run's `un-items` artifact)."""
    if not all_facts:
        return "## New UN-related articles\n\nNone this run."
    newest_first = sorted(all_facts, key=lambda f: f.published_at.timestamp() if f.published_at else 0, reverse=True)
    rows = []
    for facts in newest_first:
        when = f"{facts.published_at.astimezone(zone):%Y-%m-%d %H:%M}" if facts.published_at else "?"
        title, url = inert(facts.title, "markdown"), safe_url(facts.url)
        evidence = facts.evidence if len(facts.evidence) <= _EVIDENCE_CHARS else facts.evidence[:_EVIDENCE_CHARS] + "…"
        rows.append(f"| {when} | {facts.level} | {inert(facts.outlet_name, 'markdown')} | "
                    f"{f'[{title}](<{url}>)' if url else title} | {inert(evidence, 'markdown')} | {facts.article_id} |")
    zone_name = f"{_place(zone)} time" if _place(zone) else zone.key
    header = f"| published ({zone_name}) | level | outlet | article | evidence | id |\n|---|---|---|---|---|--:|\n"
    return "## New UN-related articles\n\n" + header + "\n".join(rows)
