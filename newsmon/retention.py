"""How long newsmon keeps what grows without end: the [retention] section of the registry file (sources.toml),
parsed here and nowhere else. The nightly maintenance (newsmon.maintenance, flows/maintenance.py) prunes by it;
`newsmon maintenance --dry-run` shows what it would prune.

Ages are whole days; 0 keeps forever. Raw inputs and articles are kept unless given an age: raw inputs are what
a newer parser re-parses, and deleting an article deletes its revisions, raw inputs, relevance and alerts with it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Retention:
    fetch_log_days: int = 90  # fetch_log rows, by the time the fetch started
    flow_runs_days: int = 30  # Prefect flow runs (finished ones, by when they were due), with their logs and artifacts
    revisions_days: int = 365  # article_revisions, by when the text was replaced
    raw_inputs_days: int = 0  # raw_inputs, by when they were fetched
    articles_days: int = 0  # articles, by publication time (else first fetch), with everything of theirs

    def __post_init__(self):
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"retention.{item.name} must be a whole number of days, 0 to keep, not {value!r}")

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """What is pruned, by name (fetch_log, flow_runs, revisions, raw_inputs, articles): rows older than this."""
        return {
            item.name.removesuffix("_days"): now - timedelta(days=getattr(self, item.name))
            for item in fields(self)
            if getattr(self, item.name)
        }


def retention(data: dict, path: Path) -> Retention:
    """The retention of a registry file's parsed TOML (defaults for what its [retention] section leaves out);
    errors name the file."""
    section = data.get("retention", {})
    known = [item.name for item in fields(Retention)]
    if unknown := set(section) - set(known):
        raise ValueError(f"{path}: [retention] unknown setting(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(known)}")
    try:
        return Retention(**section)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
