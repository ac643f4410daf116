"""A database as a user queries it, made from the replay site: every outlet polled once through the real ingestion
(HTTP on 127.0.0.1), plus what one poll of the demo does not show.

- A failing feed and failed items: the replay's fault feeds not-xml (not a feed) and missing-fields (items without
  a link, a page that is gone), polled under their own outlet key, `faults`.
- A revision: the UN News Security Council article fetched again with a changed text.
- A story told by three outlets: UN News's measles article, retold later by zaobao and, in traditional script, voa.
  The story ids are set here (every other article its own story), whether or not the store path assigns them.
- Moved in time: publication dates shifted so that the newest replayed article was published an hour ago, so
  questions about "this week" have the answers they would have on the day of the poll."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsmon import settings
from newsmon.ingest import ingest_outlet
from newsmon.model import Article
from newsmon.relevance.classify import classify
from newsmon.replay import ReplayServer
from newsmon.sources import load_registry
from newsmon.storage.articles import store_article
from newsmon.storage.engine import session
from newsmon.storage.relevance import save_relevance
from tests.conftest import empty_tables

FAULT_FEEDS = """
user_agent = "newsmon-test"
[sources.faults]
parser = "zaobao"
feeds = ["https://faults.test/feeds/not-xml", "https://faults.test/feeds/missing-fields"]
extra_hosts = ["faults.test"]
"""
FAILING_FEED = "https://faults.test/feeds/not-xml"
REVISED_URL = "https://news.un.org/zh/story/2026/11/1162311"  # 安理会1540委员会主席通报防扩散决议执行情况
STORY_URL = "https://news.un.org/zh/story/2026/11/1162298"  # 世卫组织：全球麻疹病例连续第三年上升
RETELLINGS = [  # (outlet, url, title, paragraphs, language, hours after the UN News article)
    ("zaobao", "https://www.zaobao.com.sg/news/world/story20261122-0000001", "世卫组织：全球麻疹病例连续三年上升",
     ["世界卫生组织22日说，全球麻疹病例连续第三年上升，疫苗接种率仍低于疫情前水平。",
      "世卫组织和联合国儿童基金会呼吁各国加紧补种疫苗。"], "zh-Hans", 3),
    ("voa", "https://www.voachinese.com/a/who-measles-20261122/0000001.html", "世衛組織：全球麻疹病例連續第三年上升",
     ["世界衛生組織週六表示，全球麻疹病例連續第三年上升。",
      "世衛組織與聯合國兒童基金會呼籲各國為兒童補種疫苗。"], "zh-Hant", 5),
]


@dataclass(frozen=True)
class Replayed:
    engine: Engine
    story_id: int  # the three-outlet story's
    revised_id: int


def fill_with_replay(engine: Engine, home: Path) -> Replayed:
    """Empty the tables and fill them as the module docstring says (home: a folder for the fault feeds' registry)."""
    empty_tables(engine)
    registry = home / "sources.toml"
    registry.write_text(FAULT_FEEDS, encoding="utf-8")
    with ReplayServer() as replay:
        for source in load_registry().select(None):
            ingest_outlet(source.key, replay.base_url)
        with settings.use(replace(settings.current(), sources_path=registry)):
            ingest_outlet("faults", replay.base_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE articles SET published_at = published_at"
            " + (SELECT now() - interval '1 hour' - max(published_at) FROM articles)"
        ))
    story_id = _tell_again(engine)
    return Replayed(engine, story_id, _revise(engine))


def _row(connection: sa.Connection, url: str) -> sa.Row:
    return connection.execute(sa.text("SELECT * FROM articles WHERE url = :url"), {"url": url}).one()


def _revise(engine: Engine) -> int:
    with engine.connect() as connection:
        stored = _row(connection, REVISED_URL)
    edited = Article(outlet=stored.outlet, url=stored.url, title=stored.title,
                     paragraphs=[*stored.paragraphs, "（本文已更新：补充了委员会主席的发言。）"],
                     article_id=stored.outlet_article_id, guid=stored.guid, published_at=stored.published_at,
                     language=stored.language, parser=stored.parser)
    with session(engine) as s:
        result = store_article(s, edited, None, datetime.now(UTC), parser_version=stored.parser_version)
    assert result.outcome == "updated", result
    return stored.id


def _tell_again(engine: Engine) -> int:
    with engine.connect() as connection:
        first = _row(connection, STORY_URL)
    ids = [first.id]
    for outlet, url, title, paragraphs, language, hours in RETELLINGS:
        article = Article(outlet=outlet, url=url, title=title, paragraphs=paragraphs, language=language,
                          published_at=first.published_at + timedelta(hours=hours), parser=f"{outlet}.retold")
        with session(engine) as s:
            stored = store_article(s, article, None, datetime.now(UTC), parser_version="1")
            relevance = classify(title, paragraphs)
            save_relevance(s, stored.id, relevance.to_json(), relevance.model, datetime.now(UTC))
        ids.append(stored.id)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE articles SET story_id = id WHERE story_id IS NULL"))
        story_id = connection.scalar(sa.text("SELECT story_id FROM articles WHERE id = :id"), {"id": first.id})
        connection.execute(sa.text("UPDATE articles SET story_id = :story WHERE id = ANY(:ids)"),
                           {"story": story_id, "ids": ids})
    return story_id
