"""The source registry (sources.toml): what is the deployment's, per source: feeds, which parser, politeness, extra
hosts; the alert channels; the failure policy (newsmon.failure_policy); retention (newsmon.retention). What is
the outlet's own (display name, hosts, zone, id rules, layouts) is declared once, on its parser class."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from newsmon import settings
from newsmon.alerts.settings import AlertSettings, alert_settings
from newsmon.failure_policy import FailurePolicy, failure_policy
from newsmon.fetch import Politeness, Reach
from newsmon.parsers import PARSERS, OutletParser, parser_for
from newsmon.retention import Retention, retention

_SOURCE_KEYS = {"parser", "feeds", "extra_hosts", "politeness", "time_budget_seconds"}
_MOVED_TO_THE_PARSER = {"name", "time_zone", "allowed_hosts"}


@dataclass(frozen=True)
class Source:
    key: str  # articles, feeds and failures are stored under this key
    parser_key: str
    feeds: tuple[str, ...]
    extra_hosts: frozenset[str] = frozenset()
    politeness: Politeness = Politeness()
    # A run's requests for this outlet (feeds and pages) end within this; the rest waits for the next run.
    time_budget_seconds: float = 300.0

    @property
    def parser(self) -> OutletParser:
        return parser_for(self.parser_key)

    @property
    def name(self) -> str:
        return self.parser.name

    @property
    def time_zone(self) -> str:
        return self.parser.zone.key

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Requests go only to these: the parser's hosts, the feeds' hosts (with a port that is not the default),
        and the extra ones ("host", or "host:port" for a port that is not the scheme's default)."""
        return frozenset(self.parser.hosts) | self.extra_hosts | {Reach.entry_for(url) for url in self.feeds}

    @property
    def reach(self) -> Reach:
        return Reach(self.allowed_hosts)

    def allows(self, url: str) -> bool:
        return self.reach.refusal(url) is None


@dataclass(frozen=True)
class Registry:
    sources: dict[str, Source]
    user_agent: str
    path: Path
    alerts: AlertSettings = field(default_factory=AlertSettings)
    failures: FailurePolicy = field(default_factory=FailurePolicy)
    retention: Retention = field(default_factory=Retention)
    operator_url: str | None = None  # [operator] url: where `newsmon up`'s Automations tell the operator of failures

    def select(self, keys: list[str] | None) -> list[Source]:
        unknown = set(keys or ()) - set(self.sources)
        if unknown:
            raise KeyError(f"unknown outlet(s) {', '.join(sorted(unknown))}; known: {', '.join(self.sources)}")
        return [s for k, s in self.sources.items() if not keys or k in keys]

    def host_politeness(self) -> dict[str, Politeness]:
        # Keyed by host name: the fetcher's gates are per host, whatever the port.
        return {urlsplit(f"//{entry}").hostname or entry: source.politeness
                for source in self.sources.values() for entry in source.allowed_hosts}


def load_registry(path: Path | None = None) -> Registry:
    """The registry file in force (settings.sources_path), or the one given; errors name the file and the key."""
    path = path or settings.current().sources_path
    if settings.current().trial and not path.exists():  # a trial before `newsmon demo` wrote the demo's registry
        packaged = load_registry(settings.PACKAGED_SOURCES)
        return replace(packaged, alerts=replace(packaged.alerts, channels=()))  # alerting no one
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rsshub_base = (settings.current().rsshub_base or data.get("rsshub_base", "https://rsshub.app")).rstrip("/")
    sources = {}
    for key, entry in data.get("sources", {}).items():
        if moved := _MOVED_TO_THE_PARSER & set(entry):
            raise ValueError(f"{path}: [sources.{key}] {', '.join(sorted(moved))}: declared by the outlet's parser "
                             "now (docs/adding-an-outlet.md); remove it, and list hosts the parser lacks in "
                             "extra_hosts")
        if unknown := set(entry) - _SOURCE_KEYS:
            raise ValueError(f"{path}: [sources.{key}] unknown setting(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(_SOURCE_KEYS))}")
        politeness = entry.get("politeness", {})
        source = Source(
            key=key,
            parser_key=entry.get("parser", key),
            feeds=tuple(url.format(rsshub_base=rsshub_base) for url in entry["feeds"]),
            extra_hosts=frozenset(entry.get("extra_hosts", [])),
            politeness=Politeness(int(politeness.get("concurrency", 2)), float(politeness.get("delay_seconds", 1.0))),
            time_budget_seconds=float(entry.get("time_budget_seconds", Source.time_budget_seconds)),
        )
        if source.parser_key not in PARSERS:
            raise ValueError(f"{path}: [sources.{key}] parser {source.parser_key!r} is not an outlet parser; "
                             f"known: {', '.join(sorted(PARSERS))}")
        sources[key] = source
    alerts = alert_settings(data)
    for channel in alerts.channels:
        # alerts come from polled articles, stored under their source's key: any other name would match nothing
        if not_sources := [outlet for outlet in channel.outlets if outlet not in sources]:
            raise ValueError(f"{path}: alert channel {channel.name}: no source {', '.join(map(repr, not_sources))} in "
                             f"this registry; its sources: {', '.join(sources)}")
    return Registry(sources=sources, user_agent=data.get("user_agent", "newsmon/0.1"), path=path,
                    alerts=alerts, failures=failure_policy(data, path), retention=retention(data, path),
                    operator_url=data.get("operator", {}).get("url") or None)

