"""newsmon's settings, read from the environment in this one place.

| variable                | setting         | default                                                          |
|-------------------------|-----------------|------------------------------------------------------------------|
| NEWSMON_HOME            | home            | the per-user data directory (~/.local/share/newsmon on Linux)    |
| DATABASE_URL            | database_url    | none: an embedded PostgreSQL in HOME/pgdata                      |
| NEWSMON_SOURCES         | sources_path    | HOME/sources.toml if it exists, else the packaged registry       |
| NEWSMON_UN_LEXICON      | lexicon_path    | HOME/un_lexicon.toml if it exists, else the packaged lexicon     |
| NEWSMON_RSSHUB_BASE     | rsshub_base     | `rsshub_base` of the registry file                               |
| PREFECT_HOME            | prefect_home    | HOME/prefect                                                     |
| NEWSMON_DB_IDLE_MINUTES | db_idle_minutes | 30: an embedded server a command started stops when idle so long |
| NEWSMON_OPERATOR_URL    | operator_url    | `[operator] url` of the registry: operator alerts (Apprise URL)  |

Paths may start with `~`. Code asks `current()`; a demo or a test runs with other settings inside `use(...)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

PACKAGED_SOURCES = Path(__file__).with_name("sources.toml")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None
    sources_path: Path
    lexicon_path: Path | None  # None: the lexicon packaged with newsmon.relevance
    prefect_home: Path
    rsshub_base: str | None = None
    db_idle_minutes: float = 30.0
    operator_url: str | None = None  # None: the registry's [operator] url, if any

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = _path(env.get("NEWSMON_HOME")) or Path(platformdirs.user_data_dir("newsmon", appauthor=False))
        return cls(
            home=home,
            database_url=env.get("DATABASE_URL") or None,
            sources_path=_path(env.get("NEWSMON_SOURCES")) or _user_copy(home, "sources.toml") or PACKAGED_SOURCES,
            lexicon_path=_path(env.get("NEWSMON_UN_LEXICON")) or _user_copy(home, "un_lexicon.toml"),
            prefect_home=_path(env.get("PREFECT_HOME")) or home / "prefect",
            rsshub_base=env.get("NEWSMON_RSSHUB_BASE") or None,
            db_idle_minutes=_positive_minutes(env.get("NEWSMON_DB_IDLE_MINUTES"), 30.0),
            operator_url=env.get("NEWSMON_OPERATOR_URL") or None,
        )

    def demo(self) -> Settings:
        """A trial's settings: its own home and embedded database under this home, never DATABASE_URL."""
        home = self.home / "demo"
        return replace(self, home=home, database_url=None, sources_path=home / "sources.toml")

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser().absolute() if value else None


def _positive_minutes(value: str | None, default: float) -> float:
    if not value:
        return default
    minutes = float(value)
    if minutes <= 0:
        raise ValueError(f"NEWSMON_DB_IDLE_MINUTES must be a positive number of minutes, not {value!r}")
    return minutes


def _user_copy(home: Path, name: str) -> Path | None:
    user_copy = home / name
    return user_copy if user_copy.exists() else None


_active: list[Settings] = []
_from_environ: Settings | None = None


def current() -> Settings:
    """The settings in force: those of the innermost use(), else the environment's (read once)."""
    global _from_environ
    if _active:
        return _active[-1]
    if _from_environ is None:
        _from_environ = Settings.from_environ()
    return _from_environ


@contextmanager
def use(settings: Settings) -> Iterator[Settings]:
    """Run a block (a demo, a test) with other settings; code that asks current() inside it gets them."""
    _active.append(settings)
    try:
        yield settings
    finally:
        _active.remove(settings)
