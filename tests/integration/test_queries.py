"""The SQL views of migration 0010 and every query of docs/queries.md, run on the replay site's articles
(tests/replayed.py) and checked against what the data holds."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from newsmon.storage import engine as storage_engine
from newsmon.storage.connect import libpq_url
from newsmon.storage.search import ArticleFilter, search_articles
from tests.replayed import FAILING_FEED, STORY_URL, Replayed, fill_with_replay

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
_QUERY = re.compile(r"<!-- query: (\S+) -->\s*```sql\n(.*?)```", re.DOTALL)
QUERIES = dict(_QUERY.findall(COOKBOOK.read_text(encoding="utf-8")))
VIEWS = ("v_articles", "v_un_items", "v_stories", "v_source_health")


@pytest.fixture(scope="module")
def replayed(database_url, tmp_path_factory) -> Replayed:
    return fill_with_replay(storage_engine.get_engine(database_url), tmp_path_factory.mktemp("replayed"))


@pytest.fixture
def connection(replayed, database_url):
    with psycopg.connect(libpq_url(database_url), row_factory=dict_row, autocommit=True) as opened:
        yield opened


def rows(connection, sql: str, parameters=None) -> list[dict]:
    return connection.execute(sql, parameters).fetchall()


def answer(connection, name: str) -> list[dict]:
    return rows(connection, QUERIES[name])


# --------------------------------------------------------------------------- the views


def test_every_view_and_column_is_commented(connection):
    for view in VIEWS:
        assert rows(connection, "SELECT obj_description(%s::regclass, 'pg_class') AS c", [view])[0]["c"], view
        columns = rows(connection, "SELECT attname, col_description(attrelid, attnum) AS c FROM pg_attribute"
                                   " WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", [view])
        assert columns and [column["attname"] for column in columns if not column["c"]] == [], view
    for table in ("articles", "article_relevance", "feeds", "sources", "alert_outbox"):
        uncommented = rows(connection, "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                                       " AND NOT attisdropped AND col_description(attrelid, attnum) IS NULL", [table])
        assert uncommented == [], table


def test_v_articles_is_one_row_per_article_with_its_outlet_relevance_and_story(connection, replayed):
    view = rows(connection, "SELECT * FROM v_articles ORDER BY id")
    assert list(view[0]) == ["id", "outlet", "outlet_name", "title", "url", "published_at", "fetched_at",
                             "updated_at", "dated_at", "language", "authors", "un_level", "un_score", "un_bodies",
                             "story_id", "revision_count", "body", "event_id"]
    assert [row["id"] for row in view] == [row["id"] for row in rows(connection, "SELECT id FROM articles ORDER BY id")]
    measles = next(row for row in view if row["url"] == STORY_URL)
    assert (measles["outlet"], measles["outlet_name"], measles["un_level"]) == (
        "un_news", outlet_name(connection, "un_news"), "core")
    assert measles["title"] == "世卫组织：全球麻疹病例连续第三年上升" and "麻疹" in measles["body"]
    assert set(measles["un_bodies"]) >= {"WHO"} and measles["un_score"] > 0
    assert measles["story_id"] == replayed.story_id and measles["dated_at"] == measles["published_at"]
    assert all(isinstance(row["authors"], list) for row in view)
    assert any(row["authors"] for row in view)  # bylines as a list of names
    assert all(row["dated_at"] == (row["published_at"] or row["fetched_at"]) for row in view)
    revised = next(row for row in view if row["id"] == replayed.revised_id)
    assert revised["revision_count"] == 1 and revised["updated_at"] > revised["fetched_at"]
    assert revised["body"].endswith("（本文已更新：补充了委员会主席的发言。）")


def test_v_un_items_are_the_core_and_mention_articles_with_their_evidence(connection):
    items = rows(connection, "SELECT * FROM v_un_items ORDER BY id")
    expected = rows(connection, "SELECT article_id FROM article_relevance WHERE level IN ('core', 'mention')"
                                " ORDER BY article_id")
    assert [item["id"] for item in items] == [row["article_id"] for row in expected] and len(items) >= 10
    assert list(items[0]) == ["id", "outlet", "outlet_name", "title", "url", "published_at", "fetched_at", "dated_at",
                              "un_level", "un_score", "un_bodies", "un_evidence", "un_model", "un_scored_at",
                              "story_id"]
    council = next(item for item in items if item["title"].startswith("安理会1540委员会"))
    assert council["un_level"] == "core" and "Security Council" in council["un_bodies"]
    assert {evidence["body"] for evidence in council["un_evidence"]} <= set(council["un_bodies"])
    assert all(evidence["sentence"] for evidence in council["un_evidence"])


def test_v_stories_names_the_first_teller_and_every_outlet_in_order(connection, replayed):
    story = rows(connection, "SELECT * FROM v_stories WHERE story_id = %s", [replayed.story_id])[0]
    first = rows(connection, "SELECT id, published_at FROM articles WHERE url = %s", [STORY_URL])[0]
    assert story == {
        "story_id": replayed.story_id, "articles": 3, "outlets": 3, "outlet_list": ["un_news", "zaobao", "voa"],
        "first_article_id": first["id"], "first_outlet": "un_news", "first_published_at": first["published_at"],
        "last_published_at": first["published_at"] + timedelta(hours=5),
        "title": "世卫组织：全球麻疹病例连续第三年上升", "un_level": "core",
    }
    sizes = rows(connection, "SELECT count(*) AS articles FROM articles GROUP BY story_id ORDER BY story_id")
    assert [row["articles"] for row in rows(connection, "SELECT articles FROM v_stories ORDER BY story_id")] == [
        row["articles"] for row in sizes]


def test_v_stories_asked_for_one_story_reads_only_its_articles(connection, replayed):
    plan = "\n".join(row["QUERY PLAN"] for row in rows(
        connection, "EXPLAIN SELECT * FROM v_stories WHERE story_id = %s", [replayed.story_id]))
    assert "ix_articles_story_id" in plan or "Seq Scan on articles" not in plan, plan


def test_v_source_health_is_one_row_per_feed_with_its_outlets_counts(connection):
    health = {row["url"]: row for row in rows(connection, "SELECT * FROM v_source_health")}
    assert set(health) == {row["url"] for row in rows(connection, "SELECT url FROM feeds")}
    failing = health[FAILING_FEED]
    assert failing["consecutive_errors"] == 1 and "not an RSS" in failing["last_error"]
    assert failing["outlet_open_failures"] >= 2  # the missing-fields feed's items without a link, its gone page
    un = health["https://news.un.org/feed/subscribe/zh/news/all/rss.xml"]
    # moved in time, UN News published its four an hour, 5.6 hours, 22 hours and 43 hours ago
    assert (un["consecutive_errors"], un["outlet_articles_24h"], un["outlet_articles_7d"]) == (0, 3, 4)
    assert un["outlet_open_failures"] == 0 and un["outlet_name"] == outlet_name(connection, "un_news")
    for row in health.values():
        assert row["outlet_articles_24h"] <= row["outlet_articles_7d"]


# --------------------------------------------------------------------------- the cookbook


def test_the_cookbook_has_ten_questions_each_tested_here():
    assert len(QUERIES) == 10
    tested = {name for name in QUERIES if f'"{name}"' in Path(__file__).read_text(encoding="utf-8")}
    assert tested == set(QUERIES)


def test_everything_about_the_security_council_this_week_is_what_newsmon_search_finds(connection):
    found = answer(connection, "security-council-this-week")
    assert found and all("安理会" in row["title"] or "安理会" in body(connection, row["id"]) for row in found)
    with psycopg.connect(connection.info.dsn) as other:
        week_ago = other.execute("SELECT now() - interval '7 days'").fetchone()[0]
        # traditional: the same tokens
        searched = search_articles(other, "安理會", ArticleFilter(since=week_ago), limit=1000)
    assert {row["id"] for row in found} == {hit.id for hit in searched}
    assert [row["dated_at"] for row in found] == sorted((row["dated_at"] for row in found), reverse=True)


def body(connection, article_id: int) -> str:
    return rows(connection, "SELECT body FROM articles WHERE id = %s", [article_id])[0]["body"]


def test_stories_told_by_several_outlets(connection, replayed):
    stories = answer(connection, "stories-told-by-several-outlets")
    several = rows(connection, "SELECT story_id FROM articles GROUP BY story_id HAVING count(DISTINCT outlet) > 1")
    assert {story["story_id"] for story in stories} == {row["story_id"] for row in several}
    story = next(story for story in stories if story["story_id"] == replayed.story_id)
    assert (story["outlet_list"], story["first_outlet"]) == (["un_news", "zaobao", "voa"], "un_news")
    assert story["retold_within"] == timedelta(hours=5)
    assert all(len(story["outlet_list"]) == story["outlets"] > 1 for story in stories)


def test_the_story_of_a_link(connection, replayed):
    told = answer(connection, "the-story-of-a-link")
    assert [(row["outlet_name"], row["after_first"]) for row in told] == [
        (outlet_name(connection, "un_news"), timedelta(0)), (outlet_name(connection, "zaobao"), timedelta(hours=3)),
        (outlet_name(connection, "voa"), timedelta(hours=5))]
    assert told[2]["title"] == "世衛組織：全球麻疹病例連續第三年上升"


def outlet_name(connection, outlet: str) -> str:
    return rows(connection, "SELECT name FROM sources WHERE outlet = %s", [outlet])[0]["name"]


def test_un_items_by_month_and_outlet(connection):
    table = answer(connection, "un-items-by-month-and-outlet")
    levels = Counter(row["un_level"] for row in rows(connection, "SELECT un_level FROM v_articles"))
    assert sum(row["core"] for row in table) == levels["core"]
    assert sum(row["mention"] for row in table) == levels["mention"]
    assert all(row["month"].day == 1 for row in table)
    assert len({(row["month"], row["outlet_name"]) for row in table}) == len(table)
    assert [row["month"] for row in table] == sorted((row["month"] for row in table), reverse=True)
    newest = [row for row in table if row["month"] == table[0]["month"]]
    assert outlet_name(connection, "un_news") in {row["outlet_name"] for row in newest}


def test_un_bodies_named(connection):
    named = answer(connection, "un-bodies-named")
    recent = rows(connection, "SELECT un_bodies FROM v_un_items WHERE dated_at >= now() - interval '30 days'")
    expected = Counter(body for row in recent for body in row["un_bodies"])
    assert {row["body"]: row["articles"] for row in named} == expected
    assert next(row for row in named if row["body"] == "WHO")["articles"] == 3  # UN News and its two retellings
    assert [row["articles"] for row in named] == sorted((row["articles"] for row in named), reverse=True)


def test_feeds_failing_now(connection):
    [failing] = answer(connection, "feeds-failing-now")
    assert (failing["outlet"], failing["url"], failing["last_success_at"]) == ("faults", FAILING_FEED, None)
    assert "not an RSS" in failing["last_error"]


def test_outlets_quiet_for_a_week(connection):
    quiet = answer(connection, "outlets-quiet-for-a-week")
    newest = rows(connection, "SELECT outlet, max(published_at) > now() - interval '7 days' AS recent"
                              " FROM articles GROUP BY outlet")
    assert {row["outlet"] for row in quiet} == {row["outlet"] for row in newest if not row["recent"]} == {"bbc",
                                                                                                        "faults"}
    faults = next(row for row in quiet if row["outlet"] == "faults")
    assert (faults["feeds"], faults["feeds_healthy"]) == (2, False) and faults["open_failures"] >= 2
    assert next(row for row in quiet if row["outlet"] == "bbc")["feeds_healthy"] is True


def test_revised_articles(connection, replayed):
    [revised] = answer(connection, "revised-articles")
    assert (revised["id"], revised["revision_count"]) == (replayed.revised_id, 1)
    assert revised["revised_after_publication"] > timedelta(0)


def test_publishing_pace(connection):
    pace = answer(connection, "publishing-pace")
    month = rows(connection, "SELECT outlet_name, count(*) AS n FROM v_articles"
                             " WHERE published_at >= now() - interval '30 days' GROUP BY outlet_name")
    assert {row["outlet_name"]: row["articles"] for row in pace} == {row["outlet_name"]: row["n"] for row in month}
    assert pace[0]["outlet_name"] == outlet_name(connection, "un_news") and pace[0]["articles"] == 4
    assert all(timedelta(0) < row["median_delay"] < timedelta(days=30) for row in pace)


def test_alerts_of_the_last_day(connection):
    alerts = answer(connection, "alerts-of-the-last-day")
    outbox = rows(connection, "SELECT a.id, r.level FROM alert_outbox AS a"
                              " JOIN article_relevance AS r ON r.article_id = a.article_id")
    assert alerts and {row["alert_id"] for row in alerts} == {row["id"] for row in outbox}
    assert {row["level"] for row in alerts} <= {"core", "mention"}
    assert all(row["sent_at"] is None for row in alerts)  # the poll queues them; a run's delivery step sends them
    assert [row["created_at"] for row in alerts] == sorted((row["created_at"] for row in alerts), reverse=True)
