"""The ingestion pipeline without Prefect: real PostgreSQL, the replay site on 127.0.0.1, real HTTP."""

from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select

from bench.score import bigram_prf
from newsmon import settings
from newsmon.ingest import ingest_outlet
from newsmon.parsers.urls import canonical_url
from newsmon.replay import load_manifest
from newsmon.replay.server import ReplayServer
from newsmon.sources import load_registry
from newsmon.storage import models
from newsmon.storage.engine import session

MANIFEST = load_manifest()

FAULTS_REGISTRY = """
user_agent = "newsmon-test"
[sources.faults]
parser = "zaobao"
feeds = ["https://faults.test/feeds/not-xml", "https://faults.test/feeds/missing-fields",
         "https://faults.test/feeds/bad-pages"]
extra_hosts = ["faults.test"]
"""


@pytest.fixture(scope="module")
def replay():
    # The slow page must outlast the fetcher's timeout without making the test slow.
    with ReplayServer(route_overrides={"faults.test/news/slow/story20240508-0000006": {"delay": 3}}) as server:
        yield server


def run(registry, replay, keys=None):
    with settings.use(replace(settings.current(), sources_path=registry.path)):
        return {s.key: ingest_outlet(s.key, replay.base_url) for s in registry.select(keys)}


def test_demo_sources_store_every_article_once_and_cut_bodies_like_the_gold(db, replay):
    registry = load_registry()
    first = run(registry, replay)
    expected = {outlet: sum(len(f["items"]) for f in entry["feeds"]) for outlet, entry in MANIFEST["outlets"].items()}
    assert {k: r.new for k, r in first.items()} == expected
    assert all(not r.errors for r in first.values())

    second = run(registry, replay)
    assert all(r.new == 0 and r.failed == 0 and r.not_modified == r.feeds_fetched for r in second.values())

    gold = {
        item["url"]: item["paragraphs"]
        for entry in MANIFEST["outlets"].values()
        for feed in entry["feeds"]
        for item in feed["items"]
        if item.get("paragraphs")
    }
    with session(db) as s:
        articles = s.exec(select(models.Article)).all()
    assert len(articles) == sum(expected.values())
    by_url = {a.url: a for a in articles}
    scores = {}
    for url, paragraphs in gold.items():
        stored = by_url[canonical_url(url)]
        scores[url] = bigram_prf("\n".join(stored.paragraphs), "\n".join(paragraphs))[2]
    assert min(scores.values()) >= 0.98, sorted(scores.items(), key=lambda kv: kv[1])[:3]
    bbc = by_url["https://www.bbc.com/zhongwen/simp/chinese-news-65032731"]
    assert bbc.outlet_article_id == "chinese-news-65032731"  # tracking query stripped, id from the URL
    assert bbc.published_at is not None and bbc.published_raw


def test_bad_input_is_recorded_and_retried_without_stopping_the_rest(db, replay, tmp_path, monkeypatch):
    registry_file = Path(tmp_path, "sources.toml")
    registry_file.write_text(FAULTS_REGISTRY, encoding="utf-8")
    registry = load_registry(registry_file)

    report = run(registry, replay)["faults"]
    assert report.feeds_failed == 1 and any("not an RSS or Atom feed" in e for e in report.errors)
    with session(db) as s:
        stored = {a.url: a for a in s.exec(select(models.Article)).all()}
        failures = {f.url: f for f in s.exec(select(models.ItemFailure)).all()}
        feed = s.exec(select(models.Feed).where(models.Feed.url == "https://faults.test/feeds/not-xml")).one()
    pages = MANIFEST["faults"]["pages"]
    assert pages["gbk"]["url"] in stored  # GBK page decoded
    assert stored[pages["gbk"]["url"]].paragraphs == pages["gbk"]["paragraphs"]
    assert MANIFEST["faults"]["feeds"]["missing_fields"]["good_item"]["url"] in stored
    assert "empty body" in failures[pages["empty_body"]["url"]].error
    assert "404" in failures[pages["not_found"]["url"]].error
    assert "500" in failures[pages["server_error"]["url"]].error
    assert "timed out" in failures[pages["slow"]["url"]].error
    assert any(f.url is None and "no link" in f.error for f in failures.values())
    assert feed.consecutive_errors == 1 and "not an RSS" in feed.last_error

    with db.begin() as conn:  # their back-off is over (tests/integration/test_failures.py tests the back-off)
        conn.exec_driver_sql("UPDATE item_failures SET next_attempt_at = now()")
    again = run(registry, replay)["faults"]
    assert again.new == 0 and again.errors == []  # known failures failing again: counted, not new errors
    assert again.still_failing == report.failed and again.accounted
    with session(db) as s:
        retried = {f.url: f for f in s.exec(select(models.ItemFailure)).all()}
    assert retried[pages["not_found"]["url"]].attempts == 2  # tried again on the next run, still failing
