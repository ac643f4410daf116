"""The fault suite's bookkeeping and shared fixtures. Every test here names the fault it plays and what newsmon does
about it (`@pytest.mark.fault(name, behaviour, bad_inputs=1)`), and reports through the `tally` fixture what a fault
cost (articles lost, duplicate alerts). `scripts/reliability.py` runs this folder with `--reliability-json` and
writes docs/reliability.md from what this plugin collects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.faults.ingestion import Ingestion
from tests.faults.server import HostileServer, hostile_server


@dataclass
class Tally:
    """What one fault cost, as the test measured it against an undisturbed run."""

    articles_lost: int = 0
    duplicate_alerts: int = 0
    recognisable_duplicates: int = 0  # duplicates carrying the id of the alert they repeat
    notes: list[str] = field(default_factory=list)

    def __call__(self, *, lost: int = 0, duplicate_alerts: int = 0, recognisable: int = 0, note: str = "") -> None:
        self.articles_lost += lost
        self.duplicate_alerts += duplicate_alerts
        self.recognisable_duplicates += recognisable
        if note:
            self.notes.append(note)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reliability-json", default=None, help="write each fault test's outcome and tally here")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    unnamed = [item.nodeid for item in items if here in item.path.parents and item.get_closest_marker("fault") is None]
    if unnamed:
        raise pytest.UsageError(f"fault tests without @pytest.mark.fault(name, behaviour): {unnamed}")


@pytest.fixture
def server() -> Iterator[HostileServer]:
    """A hostile server on 127.0.0.1 (tests/faults/server.py), stopped after the test."""
    with hostile_server() as server:
        yield server


@pytest.fixture
def ingestion(server, db, tmp_path, use_settings) -> Ingestion:
    """Real ingestion of a hostile outlet and a calm one against the server (tests/faults/ingestion.py)."""
    return Ingestion(server, db, tmp_path, use_settings)


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    request.node.tally = Tally()
    return request.node.tally


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    marker = item.get_closest_marker("fault")
    if marker and (report.when == "call" or report.outcome != "passed"):
        name, behaviour = marker.args
        outcomes = item.config.stash.setdefault(_OUTCOMES, {})
        previous = outcomes.get(item.nodeid, {})
        outcomes[item.nodeid] = {
            "test": item.nodeid, "file": item.path.name, "fault": name, "behaviour": behaviour,
            "bad_inputs": marker.kwargs.get("bad_inputs", 1),
            "outcome": report.outcome if previous.get("outcome", "passed") == "passed" else previous["outcome"],
            **asdict(getattr(item, "tally", Tally())),
        }
    return report


_OUTCOMES = pytest.StashKey[dict]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if path := session.config.getoption("--reliability-json"):
        outcomes = session.config.stash.get(_OUTCOMES, {})
        Path(path).write_text(json.dumps(list(outcomes.values()), ensure_ascii=False, indent=1), encoding="utf-8")
