"""The nightly maintenance's plain steps on a real database: pruning rows of chosen ages by [retention], re-parsing
what a newer parser version cuts differently (from page, feed-item and archived-post raw inputs), rescoring after a
lexicon change, refreshing feed health; dry runs change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from newsmon import maintenance
from newsmon.imports import import_archives
from newsmon.ingest import ingest_outlet
from newsmon.model import Article, RawInput
from newsmon.parsers import PARSERS
from newsmon.replay import ARCHIVE, ReplayServer
from newsmon.storage.articles import store_article
from newsmon.storage.engine import session
from newsmon.storage.models import Alert, FetchLog
from newsmon.storage.prune import delete_older
from newsmon.storage.relevance import save_relevance
from tests.trials import snapshot

NOW = datetime.now(UTC)
BBC_FEED = "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
VOA_FEED = "https://www.voachinese.com/api/zm_yql-vomx-tpeybti"
SOURCES = f"""
[sources.bbc]
feeds = ["{BBC_FEED}"]
[sources.voa]
feeds = ["{VOA_FEED}"]
"""


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def rows(db, sql: str) -> list[tuple]:
    with db.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(sql)]


def ages(db, table: str, column: str) -> list[int]:
    return sorted(round((NOW - when).total_seconds() / 86400) for (when,) in rows(db, f"SELECT {column} FROM {table}"))


@pytest.fixture
def registry_with(tmp_path, use_settings):
    def write(retention: str):
        path = tmp_path / "sources.toml"
        path.write_text(f"[retention]\n{retention}\n{SOURCES}", encoding="utf-8")
        use_settings(sources_path=path)

    return write


def seed_ages(db) -> tuple[int, int]:
    """Two articles (2 and 2,000 days old), revisions 30 and 400 days old, raw inputs 5 and 1,000 days old, fetch
    log rows 10 and 100 days old; the old article with its own revision, raw input, relevance and alert."""
    with session(db) as s:
        ids = []
        for days, name in ((2, "new"), (2000, "old")):
            article = Article(outlet="bbc", url=f"https://www.bbc.com/zhongwen/simp/{name}", title=name,
                              paragraphs=[f"{name} 1"], published_at=ago(days))
            ids.append(store_article(s, article, RawInput("page", name.encode(), article.url), ago(days), "v").id)
            article.paragraphs = [f"{name} 2"]
            store_article(s, article, RawInput("page", name.encode() * 2, article.url), ago(days - 1), "v")
        recent, old = ids
        save_relevance(s, old, {"level": "core", "score": 9.0, "bodies": [], "evidence": []}, "m", NOW)
        s.add(Alert(article_id=old, channel="team", level="core", created_at=ago(2000)))
        for days in (10, 100):
            s.add(FetchLog(outlet="bbc", url="https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", kind="feed",
                           started_at=ago(days), ok=True))
    with db.begin() as connection:  # the recent article's revision and raw inputs at chosen ages
        connection.execute(sa.text("UPDATE article_revisions SET replaced_at = :at WHERE article_id = :id"),
                           [{"at": ago(30), "id": recent}, {"at": ago(400), "id": old}])
        connection.execute(sa.text("UPDATE raw_inputs SET fetched_at = CASE WHEN content_sha256 = ("
                                   " SELECT min(content_sha256) FROM raw_inputs WHERE article_id = :id)"
                                   " THEN :older ELSE :newer END WHERE article_id = :id"),
                           {"id": recent, "older": ago(1000), "newer": ago(5)})
    return recent, old


def test_prune_deletes_only_what_is_past_its_age_and_a_dry_run_nothing(db, registry_with):
    recent, old = seed_ages(db)
    registry_with("fetch_log_days = 90\nrevisions_days = 365")  # raw inputs and articles: kept
    before = snapshot(db)
    counted = maintenance.prune(dry_run=True)
    assert snapshot(db) == before
    assert counted.count == 2 and counted.lines == [
        "fetch_log: 1 rows older than 90 days to delete", "revisions: 1 rows older than 365 days to delete",
        "raw_inputs: kept (raw_inputs_days = 0)", "articles: kept (articles_days = 0)",
    ]

    pruned = maintenance.prune()
    assert pruned.count == 2 and pruned.lines[:2] == [
        "fetch_log: 1 rows older than 90 days deleted", "revisions: 1 rows older than 365 days deleted"]
    assert ages(db, "fetch_log", "started_at") == [10]
    assert ages(db, "article_revisions", "replaced_at") == [30]
    assert len(rows(db, "SELECT id FROM raw_inputs")) == 4 and len(rows(db, "SELECT id FROM articles")) == 2

    registry_with("articles_days = 365")  # asked for: the old article goes, with everything of its own
    assert maintenance.prune().lines[3] == "articles: 1 rows older than 365 days deleted"
    assert rows(db, "SELECT id FROM articles") == [(recent,)]
    for table in ("raw_inputs", "article_relevance", "alert_outbox"):
        assert rows(db, f"SELECT count(*) FROM {table} WHERE article_id = {old}") == [(0,)], table

    registry_with("raw_inputs_days = 365")
    assert maintenance.prune().lines[2] == "raw_inputs: 1 rows older than 365 days deleted"
    assert ages(db, "raw_inputs", "fetched_at") == [5]


def test_deleting_goes_batch_by_batch_to_the_end(db):
    with session(db) as s:
        for days in (91, 92, 93, 1):
            s.add(FetchLog(outlet="bbc", url="u", kind="feed", started_at=ago(days), ok=True))
    assert delete_older(db, "fetch_log", ago(90), batch=2) == 3
    assert ages(db, "fetch_log", "started_at") == [1]


@pytest.fixture(scope="module")
def replay():
    with ReplayServer() as server:
        yield server


def test_reparse_keeps_what_an_older_parser_cut_as_a_revision(db, replay):
    ingest_outlet("bbc", replay.base_url)  # pages
    ingest_outlet("zaobao", replay.base_url)  # full-text feed items
    import_archives([str(ARCHIVE)], engine=db, workers=1)  # archived posts: VOA's, and one story not polled
    kinds = dict(rows(db, "SELECT kind, count(*) FROM raw_inputs GROUP BY kind"))
    assert set(kinds) == {"page", "feed_item", "archive_post"}
    assert maintenance.reparse(dry_run=True).count == 0  # everything parsed by today's parsers

    cut = rows(db, "SELECT id, title, paragraphs FROM articles WHERE outlet = 'bbc' ORDER BY id LIMIT 1")[0]
    with db.begin() as connection:  # as an older parser version left them: one article cut differently
        connection.exec_driver_sql("UPDATE articles SET parser_version = split_part(parser, '.', 1) || '.V0'")
        connection.execute(sa.text("UPDATE articles SET paragraphs = CAST(:paragraphs AS jsonb) WHERE id = :id"),
                           {"id": cut[0], "paragraphs": '["相关报道：点击这里"]'})
    stale = len(rows(db, "SELECT id FROM articles"))
    before = snapshot(db)
    counted = maintenance.reparse(dry_run=True)
    assert counted.count == stale and snapshot(db) == before
    bbc = f"articles parsed by bbc.V0, now {PARSERS['bbc'].version}"
    assert any(line.endswith(bbc) for line in counted.lines), counted.lines

    done = maintenance.reparse()
    assert done.count == 1, done.lines
    assert done.lines[-1] == f"1 cut differently (the old text kept as a revision), {stale - 1:,} the same, " \
                             "0 refused by today's parser (left as they were)"
    assert rows(db, f"SELECT title, paragraphs, revision_count FROM articles WHERE id = {cut[0]}") == [
        (cut[1], cut[2], 1)]
    assert rows(db, f"SELECT title, paragraphs FROM article_revisions WHERE article_id = {cut[0]}") == [
        (cut[1], ["相关报道：点击这里"])]
    assert rows(db, "SELECT count(*) FROM articles WHERE parser_version LIKE '%%.V0'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM article_revisions") == [(1,)]
    assert maintenance.reparse().lines == ["every article is parsed by its parser's current version"]


def test_rescore_feed_health_and_a_dry_run_of_everything(db, replay, registry_with):
    registry_with("")
    ingest_outlet("bbc", replay.base_url)  # voa is in the registry, never polled
    with db.begin() as connection:
        connection.exec_driver_sql("UPDATE article_relevance SET model = 'an-older-lexicon' WHERE article_id <= 3")
    before = snapshot(db)
    report = maintenance.maintain(dry_run=True)
    assert snapshot(db) == before
    (articles,) = rows(db, "SELECT count(*) FROM articles")[0]  # none has an event before the maintenance
    assert report.message() == (f"dry run: rescore 3, reparse 0, assign-stories 0, assign-events {articles}, "
                                "refresh-feed-health 0, prune 0")
    assert report.steps[4].lines == [
        f"bbc {BBC_FEED}: 1 fetches in the last day, 0 failed, 0 not modified; ok",
        f"voa {VOA_FEED}: in the registry, not polled yet",
    ]

    assert maintenance.rescore().count == 3 and maintenance.rescore().count == 0
    health = maintenance.refresh_feed_health()
    assert health.count == 0 and health.lines[1] == f"voa {VOA_FEED}: 0 fetches in the last day, 0 failed, " \
                                                    "0 not modified; ok"
    with db.begin() as connection:
        connection.execute(sa.text("UPDATE feeds SET consecutive_errors = 2, last_error = 'HTTP 503' WHERE url = :u"),
                           {"u": BBC_FEED})
        connection.execute(sa.text("UPDATE feeds SET url = 'https://gone.example/rss' WHERE url = :u"),
                           {"u": VOA_FEED})
    health = maintenance.refresh_feed_health(dry_run=True)
    assert health.count == 1
    assert health.lines == [
        f"bbc {BBC_FEED}: 1 fetches in the last day, 0 failed, 0 not modified; 2 errors in a row: HTTP 503",
        "voa https://gone.example/rss: 0 fetches in the last day, 0 failed, 0 not modified; ok "
        "(no longer in the registry: not polled)",
        f"voa {VOA_FEED}: in the registry, not polled yet",
    ]


def test_one_crashing_step_is_its_failure_only(db):
    def crashing(dry_run: bool) -> maintenance.StepReport:
        raise RuntimeError("boom")

    report = maintenance.maintain(dry_run=True, steps=(crashing, maintenance.prune))
    assert [s.step for s in report.steps] == ["crashing", "prune"]
    assert report.failed == [report.steps[0]]
    assert report.message().endswith("; failed: crashing: crashed: RuntimeError: boom")
