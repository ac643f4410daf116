"""Dates as each outlet writes them, read in the outlet's own zone (never a zone-less guess as UTC), and not trusted
when they lie ahead of the moment they are read by more than FUTURE_TOLERANCE."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

_CHINESE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
    r"(?:\D{0,6}?(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
)
_NUMERIC = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# A publication date further ahead than this is no publication date: a wrong year, a clock or zone error upstream,
# or an item dated to stay on top of every newest-first list. Such a date is unknown (the raw string is kept with the
# article); one less far ahead is kept as written, as a zone-less date read in the outlet's zone may be hours ahead.
FUTURE_TOLERANCE = timedelta(days=1)


def from_epoch_ms(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def parse_date(raw: str | None, zone: ZoneInfo) -> datetime | None:
    """Parse RFC 822, ISO 8601 and Chinese (2026年11月22日 12:00) dates; a date without a zone is in `zone`.

    Returns an aware UTC datetime, or None when the string holds no date or one more than FUTURE_TOLERANCE ahead
    of now.
    """
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    parsed = _rfc822(text) or _iso(text) or _pattern(text, zone)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(UTC)
    return None if parsed > datetime.now(UTC) + FUTURE_TOLERANCE else parsed


def _rfc822(text: str) -> datetime | None:
    if not re.match(r"^(\w{3},\s*)?\d{1,2}\s+\w{3}\s+\d{4}", text):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    # email.utils marks "-0000" and a missing zone the same way: both mean "zone unknown".
    offset = parsed.utcoffset()
    if offset is not None and offset.total_seconds() == 0 and not re.search(r"(GMT|UTC|UT|Z|\+0000)\s*$", text):
        return parsed.replace(tzinfo=None)
    return parsed


def _iso(text: str) -> datetime | None:
    candidate = text.replace("Z", "+00:00") if text.endswith("Z") else text
    candidate = re.sub(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s+([+-]\d{2}:?\d{2})$", r"\1\2", candidate)
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _pattern(text: str, zone: ZoneInfo) -> datetime | None:
    for pattern in (_CHINESE, _NUMERIC):
        match = pattern.search(text)
        if match:
            year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
            try:
                return datetime(year, month, day, hour, minute, second)
            except ValueError:
                return None
    return None
