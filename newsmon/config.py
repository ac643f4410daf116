"""Settings from the environment, and the source registry a user edits."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from newsmon.alerts.settings import AlertSettings, alert_settings
from newsmon.parsers.urls import host_of

DEFAULT_SOURCES = Path(__file__).with_name("sources.toml")


def home() -> Path:
    """NEWSMON_HOME: the embedded database, the user's registry and Prefect's local state live here."""
    return Path(os.environ.get("NEWSMON_HOME", ".newsmon")).absolute()


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    parser: str
    feeds: tuple[str, ...]
    allowed_hosts: frozenset[str]
    time_zone: str
    concurrency: int = 2
    delay_seconds: float = 1.0

    def allows(self, url: str) -> bool:
        return host_of(url) in self.allowed_hosts


@dataclass(frozen=True)
class Registry:
    sources: dict[str, Source]
    user_agent: str
    path: Path = field(default=DEFAULT_SOURCES)
    alerts: AlertSettings = field(default_factory=AlertSettings)

    def select(self, keys: list[str] | None) -> list[Source]:
        unknown = set(keys or ()) - set(self.sources)
        if unknown:
            raise KeyError(f"unknown outlet(s) {', '.join(sorted(unknown))}; known: {', '.join(self.sources)}")
        return [s for k, s in self.sources.items() if not keys or k in keys]

    def host_delays(self) -> dict[str, float]:
        return {host: s.delay_seconds for s in self.sources.values() for host in s.allowed_hosts}


def registry_path() -> Path:
    if os.environ.get("NEWSMON_SOURCES"):
        return Path(os.environ["NEWSMON_SOURCES"])
    user_copy = home() / "sources.toml"
    return user_copy if user_copy.exists() else DEFAULT_SOURCES


def load_registry(path: Path | None = None) -> Registry:
    path = path or registry_path()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rsshub_base = os.environ.get("NEWSMON_RSSHUB_BASE", data.get("rsshub_base", "https://rsshub.app")).rstrip("/")
    sources = {}
    for key, entry in data.get("sources", {}).items():
        feeds = tuple(url.format(rsshub_base=rsshub_base) for url in entry["feeds"])
        politeness = entry.get("politeness", {})
        sources[key] = Source(
            key=key,
            name=entry.get("name", key),
            parser=entry.get("parser", key),
            feeds=feeds,
            allowed_hosts=frozenset(entry.get("allowed_hosts", [])) | {host_of(u) for u in feeds},
            time_zone=entry.get("time_zone", "UTC"),
            concurrency=int(politeness.get("concurrency", 2)),
            delay_seconds=float(politeness.get("delay_seconds", 1.0)),
        )
    return Registry(
        sources=sources, user_agent=data.get("user_agent", "newsmon/0.1"), path=path, alerts=alert_settings(data)
    )
