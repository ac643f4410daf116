"""A production for trial tests to leave alone: its own home, database and alert channel (a webhook the team would
read), seeded with what a replay must never touch: the replayed feeds' validators, an article, a pending alert.
`snapshot` reads all of that back; its demo's database is the one replays must use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from newsmon import settings
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.model import Article, RawInput
from newsmon.sources import load_registry
from newsmon.storage import engine as storage_engine
from newsmon.storage.articles import store_article
from newsmon.storage.feeds import advance_validators, ensure_feed, ensure_source, record_feed_result
from newsmon.storage.models import Alert
from newsmon.storage.server import EmbeddedServer

PRODUCTION_ETAG = '"production-etag"'
PRODUCTION_LAST_MODIFIED = "Tue, 01 Dec 2026 00:00:00 GMT"


@dataclass
class Production:
    settings: settings.Settings
    engine: Engine
    team: WebhookReceiver  # the production's alert channel: nothing may reach it

    def demo_engine(self) -> Engine:
        with settings.use(self.settings.demo()):
            return storage_engine.get_engine()


@contextmanager
def production(database_url: str, home: Path) -> Iterator[Production]:
    """Production settings (NEWSMON_HOME, DATABASE_URL: a database of its own on the tests' server, a registry with
    a team channel), seeded; dropped afterwards, with the demo's embedded server stopped."""
    url = make_url(database_url).set(database=f"newsmon_production_{secrets.token_hex(4)}")
    rendered = url.render_as_string(hide_password=False)
    storage_engine.ensure_database(rendered)
    home.mkdir(parents=True)
    with WebhookReceiver() as team:
        (home / "sources.toml").write_text(
            settings.PACKAGED_SOURCES.read_text(encoding="utf-8").replace(
                "channels = [", f'channels = [\n  {{ name = "team", url = "{team.url}" }},', 1),
            encoding="utf-8",
        )
        live = settings.Settings.from_environ({"NEWSMON_HOME": str(home), "DATABASE_URL": rendered})
        engine = storage_engine.get_engine(rendered)
        try:
            with settings.use(live):
                _seed(engine)
            yield Production(live, engine, team)
        finally:
            engine.dispose()
            admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            admin.dispose()
            EmbeddedServer(live.demo().home).stop()


def _seed(engine: Engine) -> None:
    """Every feed of the registry with validators of its own, one article, its alert pending on the team channel."""
    now = datetime.now(UTC)
    with storage_engine.session(engine) as s:
        for source in load_registry().sources.values():
            ensure_source(s, source.key, source.name, source.parser_key, source.time_zone)
            for url in source.feeds:
                ensure_feed(s, source.key, url)
                record_feed_result(s, url, ok=True, status_code=200, error=None, items_seen=1)
                advance_validators(s, url, PRODUCTION_ETAG, PRODUCTION_LAST_MODIFIED)
        article = Article(outlet="bbc", url="https://www.bbc.com/zhongwen/simp/world-00000001", title="生产数据",
                          paragraphs=["一篇真的文章。"], article_id="world-00000001")
        stored = store_article(s, article, RawInput("page", b"<p>real</p>", article.url, "text/html"), now, "bbc.V1")
        s.add(Alert(article_id=stored.id, channel="team", level="core", created_at=now))


def snapshot(engine: Engine) -> dict:
    """What a trial must leave as it was: articles, alerts, feeds with their validators and health, the fetch log,
    failures, sources."""
    queries = {
        "articles": "SELECT id, outlet, title, content_hash, updated_at FROM articles ORDER BY id",
        "alert_outbox": "SELECT id, article_id, channel, attempts, sent_at FROM alert_outbox ORDER BY id",
        "feeds": "SELECT url, etag, last_modified, last_fetched_at, last_success_at, consecutive_errors,"
                 " items_seen_total FROM feeds ORDER BY url",
        "fetch_log": "SELECT count(*) FROM fetch_log",
        "item_failures": "SELECT count(*) FROM item_failures",
        "sources": "SELECT outlet, updated_at FROM sources ORDER BY outlet",
        "raw_inputs": "SELECT count(*) FROM raw_inputs",
        "article_relevance": "SELECT count(*) FROM article_relevance",
    }
    with engine.connect() as connection:
        return {name: [tuple(row) for row in connection.exec_driver_sql(sql)] for name, sql in queries.items()}


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql).scalar_one()
