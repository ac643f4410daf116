"""storage/ against a real PostgreSQL (the conftest fixtures `database_url` and `db`)."""

import gzip
import hashlib
import os
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, func, select

from newsmon import settings
from newsmon.model import Article, Image, RawInput
from newsmon.storage import models
from newsmon.storage.articles import StoreResult, find_article, get_article, store_article
from newsmon.storage.connect import SEARCH_INDEXES
from newsmon.storage.engine import alembic_config, current_revision, database_url, head_revision, session, upgrade
from newsmon.storage.failures import failure_raw_input, pending_item_failures, record_item_failure, resolve_item_failure
from newsmon.storage.feeds import (
    advance_validators,
    ensure_feed,
    ensure_source,
    feed_health,
    feed_validators,
    log_fetch,
    record_feed_result,
)
from newsmon.storage.rows import unpack
from newsmon.storage.server import EmbeddedServer

REPO_ROOT = Path(__file__).resolve().parents[2]
FETCHED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def make_article(**changes) -> Article:
    fields = {
        "outlet": "bbc",
        "url": "https://www.bbc.com/zhongwen/simp/world-1",
        "article_id": "c1",
        "title": "联合国安理会召开紧急会议",
        "paragraphs": ["联合国安理会周五召开紧急会议，讨论加沙局势。", "多国代表在会上发言。"],
        "published_at": datetime(2025, 3, 1, 6, 0, tzinfo=UTC),
        "parser": "bbc.V2020",
    }
    return Article(**(fields | changes))


def store(engine, article, raw=None, fetched_at=FETCHED) -> StoreResult:
    with session(engine) as db_session:
        return store_article(db_session, article, raw, fetched_at, parser_version="1.0")


def count(engine, model) -> int:
    with Session(engine) as db_session:
        return db_session.exec(select(func.count()).select_from(model)).one()


def test_new_duplicate_updated_keeps_old_text_as_revision(db):
    original = make_article()
    assert store(db, original) == StoreResult("new", 1)
    assert store(db, original, fetched_at=FETCHED + timedelta(hours=1)) == StoreResult("duplicate", 1)
    # spacing and punctuation do not count as a change
    respaced = make_article(paragraphs=["联合国安理会周五召开紧急会议 讨论加沙局势", "多国代表在会上发言!"])
    assert store(db, respaced).outcome == "duplicate"

    edited = make_article(title="联合国安理会通过决议", paragraphs=["安理会周五通过停火决议。"])
    later = FETCHED + timedelta(hours=2)
    assert store(db, edited, fetched_at=later) == StoreResult("updated", 1)
    assert store(db, edited, fetched_at=later).outcome == "duplicate"

    with Session(db) as db_session:
        row = get_article(db_session, 1)
        assert (row.title, row.paragraphs, row.body) == (edited.title, edited.paragraphs, "安理会周五通过停火决议。")
        assert (row.content_hash, row.revision_count) == (edited.content_hash, 1)
        assert (row.fetched_at, row.updated_at) == (FETCHED, later)
        assert (row.dedup_key, row.parser_version) == ("id:c1", "1.0")
        [revision] = db_session.exec(select(models.ArticleRevision)).all()
    assert (revision.article_id, revision.revision, revision.replaced_at) == (1, 0, later)
    assert (revision.title, revision.paragraphs) == (original.title, original.paragraphs)
    assert revision.content_hash == original.content_hash
    assert count(db, models.Article) == 1


def test_duplicate_fills_fields_an_earlier_parse_lacked(db):
    store(db, make_article(published_at=None, published_raw=None))
    assert store(db, make_article(published_raw="2025年3月1日")).outcome == "duplicate"
    with Session(db) as db_session:
        row = get_article(db_session, 1)
    assert (row.published_at, row.published_raw, row.revision_count) == (make_article().published_at, "2025年3月1日", 0)


def test_dedup_key_ladder(db):
    full = make_article(guid="guid-1")
    assert full.dedup_key == "id:c1"
    assert make_article(article_id=None, guid="guid-1").dedup_key == f"url:{full.url}"
    assert make_article(article_id=None, url="", guid="guid-1").dedup_key == "guid:guid-1"
    assert make_article(article_id=None, url="").dedup_key == f"hash:{full.content_hash}"

    # without an id, the URL identifies the article, so a new title there is an update
    assert store(db, make_article(article_id=None)).outcome == "new"
    later = FETCHED + timedelta(minutes=5)
    renamed = make_article(article_id=None, title="新标题", paragraphs=["新正文"])
    assert store(db, renamed, fetched_at=later).outcome == "updated"
    # keys are per outlet
    assert store(db, make_article(outlet="voa")).outcome == "new"
    assert count(db, models.Article) == 2
    with Session(db) as db_session:
        assert find_article(db_session, "bbc", f"url:{full.url}").title == "新标题"
        assert find_article(db_session, "bbc", "id:c1") is None


def test_nul_bytes_are_stripped_everywhere(db):
    article = make_article(
        title="联合\x00国",
        paragraphs=["第一\x00段", "第二段\x00"],
        authors=["记\x00者"],
        images=[Image(url="https://img.example/a\x00.jpg", caption="说\x00明")],
        summary="摘\x00要",
        guid="g\x00uid",
        published_raw="2025\x00-03-01",
    )
    raw = RawInput(kind="page", content=b"<html>\x00</html>", url="https://x.example/\x00", content_type="text/html")
    assert store(db, article, raw).outcome == "new"
    with Session(db) as db_session:
        row = get_article(db_session, 1)
        raw_row = db_session.exec(select(models.RawInput)).one()
    assert (row.title, row.paragraphs, row.body) == ("联合国", ["第一段", "第二段"], "第一段\n\n第二段")
    assert (row.authors, row.images) == (["记者"], [{"url": "https://img.example/a.jpg", "caption": "说明"}])
    assert (row.summary, row.guid, row.published_raw) == ("摘要", "guid", "2025-03-01")
    assert raw_row.url == "https://x.example/"
    assert unpack(raw_row.content) == raw.content  # bytes are stored as they came


def test_concurrent_store_of_one_article_inserts_once(db):
    article = make_article()
    # the first run holds its insert uncommitted; the second must wait for it, then see a duplicate
    first = Session(db)
    first_result = store_article(first, article, None, FETCHED, "1.0")
    second_results = []
    second = threading.Thread(target=lambda: second_results.append(store(db, article)))
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive(), "the second insert should block on the first's uncommitted row"
    first.commit()
    first.close()
    second.join(timeout=10)
    assert first_result == StoreResult("new", 1)
    assert second_results == [StoreResult("duplicate", 1)]

    # and a free-for-all: many threads released at once on each of a few articles
    for n in range(5):
        racing = make_article(article_id=f"race-{n}")
        start = threading.Barrier(8)
        outcomes = []

        def store_racing():  # runs in threads joined before the next iteration rebinds the loop variables
            start.wait()  # noqa: B023
            outcomes.append(store(db, racing).outcome)  # noqa: B023

        threads = [threading.Thread(target=store_racing) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert sorted(outcomes) == ["duplicate"] * 7 + ["new"]
    assert count(db, models.Article) == 6


def test_migrations_are_idempotent_and_match_the_models(db):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    upgrade(db)
    upgrade(db)
    assert current_revision(db) == head == head_revision() == "0013"
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM alembic_version")) == 1
        # column comments are the users' documentation, written by migration 0010, not repeated in the models
        tables_only = {"autogenerate_plugins": ["alembic.autogenerate.*", "~alembic.autogenerate.comments"]}
        assert compare_metadata(MigrationContext.configure(conn, opts=tables_only), SQLModel.metadata) == []


def test_item_failure_upsert_resolve_and_retry_raw(db):
    item = "<item><title>联合国</title></item>".encode()
    raw = RawInput(kind="feed_item", content=item, url="https://feed", content_type="application/rss+xml")
    with session(db) as s:
        first = record_item_failure(s, "bbc", "guid-1", "https://a/1", "page", "timeout", raw)
    with session(db) as s:
        again = record_item_failure(s, "bbc", "guid-1", "https://a/1", "parse", "no body\x00", None)
    assert (again.id, again.attempts, again.stage, again.error) == (first.id, 2, "parse", "no body")
    assert again.first_failed_at == first.first_failed_at and again.last_failed_at >= first.last_failed_at
    assert failure_raw_input(again) == raw  # a retry without raw keeps the earlier one

    with session(db) as s:
        assert [f.item_key for f in pending_item_failures(s, "bbc")] == ["guid-1"]
        assert pending_item_failures(s, "voa") == []
        assert resolve_item_failure(s, "bbc", "guid-1") is True
    with session(db) as s:
        assert resolve_item_failure(s, "bbc", "guid-1") is False
        assert pending_item_failures(s, "bbc") == []
        reopened = record_item_failure(s, "bbc", "guid-1", "https://a/1", "store", "boom", None)
    assert (reopened.attempts, reopened.resolved_at) == (1, None)  # failing after a success: a new failure
    assert reopened.first_failed_at > first.first_failed_at
    with session(db) as s:
        assert failure_raw_input(record_item_failure(s, "bbc", "k2", None, "page", "x", None)) is None


def test_feed_health_counters_and_validators(db):
    url = "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
    with session(db) as s:
        ensure_source(s, "bbc", "BBC", "bbc", "Europe/London")
        assert ensure_source(s, "bbc", "BBC 中文", "bbc", "Europe/London").name == "BBC 中文"
        feed = ensure_feed(s, "bbc", url)
        assert ensure_feed(s, "bbc", url).id == feed.id
        assert feed_validators(s, url) == (None, None)
        assert feed_validators(s, "https://unknown") == (None, None)

    def record(**result):
        fields = dict(ok=True, status_code=200, error=None, items_seen=0)
        with session(db) as s:
            return record_feed_result(s, url, **(fields | result))

    ok = record(items_seen=10)
    with session(db) as s:
        assert feed_validators(s, url) == (None, None)  # not before its items are stored
        advance_validators(s, url, '"e1"', "Sat, 01 Mar 2025 08:00:00 GMT")
    assert (ok.consecutive_errors, ok.items_seen_total, ok.last_status) == (0, 10, 200)
    assert ok.last_success_at is not None and ok.last_fetched_at is not None
    record(ok=False, status_code=503, error="Service Unavailable")
    failed = record(ok=False, status_code=None, error="ConnectTimeout")
    assert (failed.consecutive_errors, failed.last_error, failed.last_status) == (2, "ConnectTimeout", None)
    assert failed.last_success_at == ok.last_success_at
    unchanged = record(status_code=304)
    assert (unchanged.consecutive_errors, unchanged.last_error, unchanged.items_seen_total) == (0, None, 10)
    with session(db) as s:
        assert feed_validators(s, url) == ('"e1"', "Sat, 01 Mar 2025 08:00:00 GMT")
        entry = log_fetch(
            s, outlet="bbc", url=url, kind="feed", started_at=FETCHED, status_code=304, not_modified=True,
            ok=True, elapsed_ms=120, bytes=0, run_id="run-1",
        )
        assert [(feed.url, feed.consecutive_errors) for feed in feed_health(s)] == [(url, 0)]
    assert entry.id == 1 and count(db, models.FetchLog) == 1


def test_a_text_not_newer_than_the_stored_one_never_replaces_it(db):
    store(db, make_article(), fetched_at=FETCHED)
    assert store(db, make_article(paragraphs=["同一时刻的另一版本"]), fetched_at=FETCHED).outcome == "older"
    assert store(db, make_article(paragraphs=["更早的版本"]), fetched_at=FETCHED - timedelta(days=1)).outcome == "older"
    newer = make_article(paragraphs=["更新的版本"])
    assert store(db, newer, fetched_at=FETCHED + timedelta(hours=1)).outcome == "updated"
    with Session(db) as db_session:
        assert get_article(db_session, 1).paragraphs == ["更新的版本"]


def test_raw_input_round_trips_compressed(db):
    html = ("<p>联合国安理会召开紧急会议</p>" * 500).encode()
    page = RawInput(
        kind="page", content=html, url="https://www.bbc.com/zhongwen/simp/world-1", content_type="text/html"
    )
    store(db, make_article(), page)
    store(db, make_article(), page)  # duplicate: nothing new to keep
    edited_page = RawInput(kind="page", content=html + "<p>更新</p>".encode(), url=page.url, content_type="text/html")
    store(db, make_article(paragraphs=["更新"]), edited_page, fetched_at=FETCHED + timedelta(minutes=5))

    with Session(db) as db_session:
        rows = db_session.exec(select(models.RawInput).order_by(models.RawInput.id)).all()
    assert [unpack(row.content) for row in rows] == [html, edited_page.content]
    assert len(rows[0].content) < len(html) / 10
    assert rows[0].content_sha256 == hashlib.sha256(html).hexdigest()
    assert (rows[0].kind, rows[0].url, rows[0].content_type) == ("page", page.url, "text/html")
    assert rows[0].fetched_at == FETCHED
    # gzip-framed content (e.g. written by another tool) reads back too
    assert unpack(gzip.compress(b"<rss/>")) == b"<rss/>"


def test_database_url_accepts_libpq_and_heroku_schemes():
    for scheme in ("postgres", "postgresql"):
        with settings.use(replace(settings.current(), database_url=f"{scheme}://u:p@db.example:5432/newsmon")):
            assert database_url() == "postgresql+psycopg://u:p@db.example:5432/newsmon"


embedded_only = pytest.mark.skipif("DATABASE_URL" in os.environ, reason="runs on the embedded server")

CONNECT = "from newsmon.storage.engine import get_engine; get_engine().connect().close(); print('connected')"


def run_python(code: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=os.environ | {"PYTHONPATH": str(REPO_ROOT)} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    return stdout


@embedded_only
def test_another_process_attaches_to_the_running_embedded_server(db):
    assert finished(run_python(CONNECT)).strip() == "connected"
    # its exit must not stop the server this process still uses
    with db.connect() as conn:
        assert conn.scalar(sa.text("SELECT 1")) == 1


@embedded_only
def test_embedded_server_shared_by_processes_and_stopped_by_its_watchdog_when_idle(tmp_path):
    home = tmp_path / "home"
    # different runtime dirs, as for a cron job next to a shell, must not split the startup lock
    (tmp_path / "run-a").mkdir(mode=0o700)
    (tmp_path / "run-b").mkdir(mode=0o700)
    idle = {"NEWSMON_DB_IDLE_MINUTES": "0.1"}  # 6 s
    processes = [
        run_python(CONNECT, NEWSMON_HOME=str(home), XDG_RUNTIME_DIR=str(tmp_path / f"run-{name}"), **idle)
        for name in "ab"
    ]
    assert [finished(process).strip() for process in processes] == ["connected", "connected"]
    server = EmbeddedServer(home)
    try:
        postmaster = server.running()
        assert postmaster is not None, "the server outlives the commands that started it"
        watchdog = server.watchdog_pid.pid()
        assert watchdog is not None
        # a command within the idle time attaches to it, and is not cut off
        assert finished(run_python(CONNECT, NEWSMON_HOME=str(home), **idle)).strip() == "connected"
        assert server.running() == postmaster
        psutil.Process(postmaster.pid).wait(timeout=120)  # stopped once idle for 6 s
        psutil.Process(watchdog).wait(timeout=30)
        assert not (home / "pgdata" / "postmaster.pid").exists()
        assert "stopped the server after 0.1 min without a client" in server.watchdog_log.read_text()
    finally:
        server.stop()


def test_the_quick_schema_check_knows_the_search_indexes():
    assert set(SEARCH_INDEXES) == {index.name for index in models.Article.__table__.indexes
                                   if index.dialect_options["postgresql"]["using"] == "gin"}



@embedded_only
def test_threads_attaching_to_a_new_home_at_once_start_one_server(tmp_path):
    """A flow's item workers may attach together: fcntl locks serialise processes, not threads, so without the
    in-process lock two threads ran initdb or pg_ctl on one pgdata together."""
    from concurrent.futures import ThreadPoolExecutor

    from newsmon.storage.server import EmbeddedServer

    server = EmbeddedServer(tmp_path / "home")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            postmasters = list(pool.map(lambda _: server.attach(idle_minutes=1), range(4)))
        assert len({postmaster.pid for postmaster in postmasters}) == 1
    finally:
        server.stop()
