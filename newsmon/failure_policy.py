"""When live polling tries a failed item or a failing feed again, and when it gives an item up: the [failures]
section of the registry file (sources.toml), parsed here and nowhere else.

A failure is retried after an interval that doubles with every failure in a row (retry_minutes, 2x, 4x, ...,
capped at retry_max_hours). An item is given up after max_attempts attempts or give_up_after_hours since it first
failed, whichever comes first: kept with its raw input and listed by `newsmon failures list`, never retried by a
run again (`newsmon failures retry` still can). A feed is never given up: it stays on its back-off until it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# Due a little early: a run reaches a feed or item a little earlier in its course than the run that failed it did,
# and a back-off equal to the schedule's interval must not skip a whole run for that.
DUE_EARLY = timedelta(minutes=2)


@dataclass(frozen=True)
class FailurePolicy:
    max_attempts: int = 8
    give_up_after_hours: float = 48.0
    retry_minutes: float = 15.0  # the first interval: after one failure
    retry_max_hours: float = 6.0  # the interval stops doubling here (items and feeds)

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError(f"failures.max_attempts must be at least 1, not {self.max_attempts}")
        for name in ("give_up_after_hours", "retry_minutes", "retry_max_hours"):
            if getattr(self, name) < 0:
                raise ValueError(f"failures.{name} must not be negative, not {getattr(self, name)}")

    def backoff(self, failures_in_a_row: int) -> timedelta:
        """How long to wait before the next attempt after this many failures in a row (at least one)."""
        doublings = min(max(failures_in_a_row - 1, 0), 32)  # 2**32 intervals is past any cap
        minutes = min(self.retry_minutes * 2**doublings, self.retry_max_hours * 60)
        return timedelta(minutes=minutes)

    def gives_up(self, attempts: int, first_failed_at: datetime, last_failed_at: datetime) -> bool:
        """Whether an item that failed `attempts` times, first and last at these moments, is given up."""
        too_old = last_failed_at - first_failed_at >= timedelta(hours=self.give_up_after_hours)
        return attempts >= self.max_attempts or too_old


def failure_policy(data: dict, path: Path) -> FailurePolicy:
    """The policy of a registry file's parsed TOML (defaults for what its [failures] section leaves out); errors
    name the file."""
    section = data.get("failures", {})
    known = [f.name for f in fields(FailurePolicy)]
    if unknown := set(section) - set(known):
        raise ValueError(f"{path}: [failures] unknown setting(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(known)}")
    for name, value in section.items():
        whole = name == "max_attempts"
        if isinstance(value, bool) or not isinstance(value, int | float) or (whole and value % 1):
            raise ValueError(f"{path}: failures.{name} must be a {'whole ' if whole else ''}number, not {value!r}")
    values: dict[str, Any] = {name: int(value) if name == "max_attempts" else float(value)
                              for name, value in section.items()}
    try:
        return FailurePolicy(**values)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
