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

A run given a replay site is a trial: `for_run(replay_base)` gives it `demo()` settings, whatever settings its caller
had, so invented stories never reach the production database, its feeds' validators or its alert channels.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ParamSpec, TypeVar

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
    trial: bool = False  # a trial's settings (demo()): replay runs use them as they are
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
        """A trial's settings: its own home and embedded database under this home, never DATABASE_URL; the registry
        `newsmon demo` writes there (its local webhook the only channel), else the packaged sources alerting no one
        (newsmon.sources.load_registry); the packaged RSSHub base, which the replay site serves. A trial's own
        settings are their demo."""
        if self.trial:
            return self
        home = self.home / "demo"
        return replace(
            self, home=home, database_url=None, sources_path=home / "sources.toml", rsshub_base=None, trial=True
        )

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
def for_run(replay_base: str | None) -> Iterator[Settings]:
    """The settings a run works under: a run given a replay site gets the demo's, whoever called it."""
    if replay_base and not current().trial:
        with use(current().demo()) as trial:
            yield trial
    else:
        yield current()


P = ParamSpec("P")
R = TypeVar("R")


def trial_when_replayed(function: Callable[P, R]) -> Callable[P, R]:
    """Run the function under for_run(its `replay_base` argument): the guard every entry point of a run that takes
    a replay_base wears (tests/unit/test_trial_settings.py checks that each one in newsmon.ingest does), so no caller
    can forget it."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        with for_run(signature.bind(*args, **kwargs).arguments.get("replay_base")):
            return function(*args, **kwargs)

    return guarded


@contextmanager
def use(settings: Settings) -> Iterator[Settings]:
    """Run a block (a demo, a test) with other settings; code that asks current() inside it gets them."""
    _active.append(settings)
    try:
        yield settings
    finally:
        _active.remove(settings)
