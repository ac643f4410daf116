"""Crash safety, proven: an ingestion run of the replay site killed with SIGKILL at a chosen point, then run again,
ends in the state of one uninterrupted run: the same articles with the same texts, the same feed validators, no
failure left over, and each alert received once. Four runs at once converge to that state too."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from newsmon import settings
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.cli import _write_demo_registry
from newsmon.ingest import ingest_all
from newsmon.replay.server import ReplayServer
from newsmon.storage import models
from newsmon.storage.engine import session
from tests.conftest import empty_tables

pytestmark = pytest.mark.crash
ROOT = Path(__file__).resolve().parents[2]
SLOW_PAGE = "www.bbc.com/zhongwen/simp/chinese-news-65035579"  # the first page-based item of the replay site


def state(engine: Engine) -> dict:
    """What a run leaves: articles (outlet, url, title, text hash), feeds' validators, open failures, alerts by
    article and channel."""
    with session(engine) as s:
        articles = s.exec(select(models.Article)).all()
        urls = {a.id: a.url for a in articles}
        return {
            "articles": sorted((a.outlet, a.url, a.title, a.content_hash) for a in articles),
            "validators": sorted((f.url, f.etag, f.last_modified) for f in s.exec(select(models.Feed)).all()),
            "failures": sorted((f.outlet, f.item_key) for f in s.exec(select(models.ItemFailure)).all()),
            "alerts": sorted((urls[a.article_id], a.channel) for a in s.exec(select(models.Alert)).all()),
        }


def received(receiver: WebhookReceiver) -> Counter:
    """How often an alert arrived for each article (by its link, the message's last: ids differ from run to run,
    as the items are stored in parallel)."""
    return Counter(re.findall(r"<(https?://[^>]+)>", message["json"].get("message", ""))[-1]
                   for message in receiver.received)


@pytest.fixture
def trial(db, tmp_path: Path):
    """trial(point, n) runs ingestion in a subprocess killed at `point` (tests/faults/crash_runner.py), then once
    more in-process; trial(None) is one uninterrupted run. Each gets a fresh database, the replay site and a webhook
    receiver: (end state, alerts received by message)."""

    def run(point: str | None, nth: int = 1, kill_when_requested: str | None = None):
        empty_tables(db)
        registry = tmp_path / "sources.toml"
        overrides = {SLOW_PAGE: {"delay": 60}} if kill_when_requested else {}
        with WebhookReceiver() as receiver:
            _write_demo_registry(registry, receiver.url)
            if point is not None:
                with ReplayServer(route_overrides=overrides) as site:
                    crashed = run_ingestion(registry, site, point, nth)
                    if kill_when_requested:
                        _kill_once_requested(crashed, site, kill_when_requested)
                    output = crashed.communicate(timeout=300)[0]
                    assert crashed.returncode == -9, output  # it died where it was told to, not before or after
            with ReplayServer() as site, settings.use(replace(settings.current(), sources_path=registry)):
                report = ingest_all(None, site.base_url)
            assert all(r.accounted for r in report.outlets)
        return state(db), received(receiver)

    return run


def run_ingestion(registry: Path, site: ReplayServer, point: str, nth: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.crash_runner", str(registry), site.base_url, point, str(nth)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _kill_once_requested(process: subprocess.Popen, site: ReplayServer, path: str) -> None:
    deadline = time.monotonic() + 120
    while site.hits[path] == 0:
        assert process.poll() is None and time.monotonic() < deadline, "the run never requested the page"
        time.sleep(0.02)
    process.kill()


@pytest.fixture(scope="module")
def undisturbed() -> dict:
    return {}


def compare(trial, undisturbed: dict, tally, result) -> None:
    if "state" not in undisturbed:
        undisturbed["state"], undisturbed["received"] = trial(None)
    end, got = result
    expected, expected_received = undisturbed["state"], undisturbed["received"]
    lost = len(set(expected["articles"]) - set(end["articles"]))
    duplicates = sum(count - 1 for count in got.values() if count > 1)
    tally(lost=lost, duplicate_alerts=duplicates)
    assert end == expected
    assert set(got) == set(expected_received) and duplicates == 0
    assert len(expected["articles"]) > 50 and expected["alerts"]  # the comparison compares something


@pytest.mark.fault("SIGKILL during a page fetch (the server holds its answer)",
                   "the next run fetches the feed again and stores everything; nothing lost, no alert twice")
def test_killed_during_a_fetch(trial, undisturbed, tally):
    compare(trial, undisturbed, tally, trial("none", kill_when_requested=SLOW_PAGE))


@pytest.mark.fault("SIGKILL mid-batch: the 20th article about to be stored",
                   "stored articles stay; the rest are stored by the next run; nothing lost, no alert twice")
def test_killed_mid_batch(trial, undisturbed, tally):
    compare(trial, undisturbed, tally, trial("store_article", 20))


@pytest.mark.fault("SIGKILL after the items are stored, before the feed's ETag/Last-Modified are committed",
                   "the validators had not moved: the next run gets 200, not 304, and finds everything stored")
def test_killed_between_store_and_validator_commit(trial, undisturbed, tally):
    compare(trial, undisturbed, tally, trial("advance_validators", 1))


@pytest.mark.fault("SIGKILL after the alerts are written to the outbox, before any is sent",
                   "the next run sends each pending alert once")
def test_killed_between_outbox_write_and_send(trial, undisturbed, tally):
    compare(trial, undisturbed, tally, trial("deliver_pending", 1))


@pytest.mark.fault("four ingestion runs at once, four processes on one database",
                   "they converge to the state of one run: each article stored once, each alert sent once",
                   bad_inputs=4)
def test_four_runs_at_once_converge(trial, undisturbed, db, tmp_path, tally):
    def four_at_once():
        empty_tables(db)
        registry = tmp_path / "sources.toml"
        with WebhookReceiver() as receiver, ReplayServer() as site:
            _write_demo_registry(registry, receiver.url)
            runs = [run_ingestion(registry, site, "none") for _ in range(4)]
            outputs = [run.communicate(timeout=300)[0] for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, outputs
        return state(db), received(receiver)

    compare(trial, undisturbed, tally, four_at_once())
