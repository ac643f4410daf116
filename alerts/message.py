"""Alert text: title, outlet, published time in the user's zone, level, bodies, one evidence sentence, link.

Titles and evidence come from the outlets and are escaped for the channel's format, so a hostile title cannot
add markup, links or mentions to the message."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~>@&])")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`]+$")


@dataclass(frozen=True)
class AlertFacts:
    title: str
    outlet: str
    published_at: datetime | None
    level: str
    bodies: list[str]
    evidence: str
    url: str

    def event_payload(self, alert_id: int) -> dict:
        """The payload of the Prefect event newsmon.article.un-related."""
        return {"title": self.title, "outlet": self.outlet, "level": self.level, "bodies": self.bodies,
                "evidence": self.evidence, "url": self.url, "alert_id": alert_id,
                "published_at": self.published_at.isoformat() if self.published_at else None}


def escape(text: str, fmt: str) -> str:
    if fmt == "markdown":
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if fmt == "html":
        return html.escape(text, quote=True)
    return text


def safe_url(url: str) -> str:
    """Only plain http(s) links go out; anything else is dropped."""
    return url if _SAFE_URL.match(url or "") else ""


def render(facts: AlertFacts, fmt: str, zone: ZoneInfo) -> tuple[str, str]:
    """(title, body) of one alert."""
    when = facts.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if facts.published_at else "time unknown"
    bodies = ", ".join(facts.bodies) or "United Nations"
    title = f"[UN {facts.level}] {facts.title}"
    url = safe_url(facts.url)
    e = lambda text: escape(text, fmt)  # noqa: E731
    if fmt == "html":
        lines = [
            f"<b>{e(facts.title)}</b>",
            f"{e(facts.outlet)} · {e(when)} · UN {e(facts.level)}: {e(bodies)}",
            f"<i>“{e(facts.evidence)}”</i>" if facts.evidence else "",
            f'<a href="{e(url)}">{e(url)}</a>' if url else "",
        ]
    elif fmt == "markdown":
        lines = [
            f"**{e(facts.title)}**",
            f"{e(facts.outlet)} · {e(when)} · UN {e(facts.level)}: {e(bodies)}",
            f"> {e(facts.evidence)}" if facts.evidence else "",
            f"<{url}>" if url else "",
        ]
    else:
        lines = [facts.title, f"{facts.outlet} · {when} · UN {facts.level}: {bodies}", facts.evidence, url]
    return escape(title, "text"), "\n".join(line for line in lines if line)


def render_digest(all_facts: list[AlertFacts], fmt: str, zone: ZoneInfo) -> tuple[str, str]:
    title = f"[UN] {len(all_facts)} new UN-related article{'s' if len(all_facts) != 1 else ''}"
    separator = "\n<hr>\n" if fmt == "html" else "\n\n"
    return title, separator.join(render(facts, fmt, zone)[1] for facts in all_facts)
