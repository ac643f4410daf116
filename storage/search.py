"""The read side for the CLI: outlets' counts, feed health, search, one article to read. Plain SQL on a psycopg
connection (storage/connect.py connect()), not SQLAlchemy, so `newsmon status` and `search` answer in a fraction of a
second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import class_row, dict_row

from newsmon.search_text import Query, parse_query, snippet


class OutletSummary(NamedTuple):
    outlet: str
    outlet_name: str  # the sources table's name, the outlet key when the outlet is not registered
    articles: int
    newest: datetime | None  # the latest publication time that is not in the future
    un_core: int
    un_mention: int
    failing: int  # items whose failure is open, not given up: runs retry live ones, imports wait for a retry by hand
    given_up: int  # items given up on, neither resolved nor dismissed


def outlet_summaries(connection: psycopg.Connection) -> list[OutletSummary]:
    """Per outlet with articles or open failures, by outlet key: articles, newest, UN levels, failures, and the
    outlets' names. Index scans answer the counts (on the corpus 10 + 30 ms; one join of articles and their relevance
    reads the whole table, 90-230 ms)."""
    articles = {outlet: (count, newest) for outlet, count, newest in connection.execute(
        "SELECT outlet, count(*), max(published_at) FILTER (WHERE published_at <= now()) FROM articles"
        " GROUP BY outlet")}
    levels = {(outlet, level): count for outlet, level, count in connection.execute(
        "SELECT (SELECT a.outlet FROM articles AS a WHERE a.id = r.article_id), r.level, count(*)"
        " FROM article_relevance AS r WHERE r.level IN ('core', 'mention') GROUP BY 1, 2")}
    failures = {outlet: (failing, given_up) for outlet, failing, given_up in connection.execute(
        "SELECT outlet, count(*) FILTER (WHERE given_up_at IS NULL), count(*) FILTER (WHERE given_up_at IS NOT NULL)"
        " FROM item_failures WHERE resolved_at IS NULL AND dismissed_at IS NULL GROUP BY outlet")}
    names: dict[str, str] = dict(connection.execute("SELECT outlet, name FROM sources").fetchall())
    return [
        OutletSummary(outlet, names.get(outlet, outlet), *articles.get(outlet, (0, None)),
                      levels.get((outlet, "core"), 0), levels.get((outlet, "mention"), 0),
                      *failures.get(outlet, (0, 0)))
        for outlet in sorted(articles.keys() | failures.keys())
    ]


def outlet_keys(connection: psycopg.Connection) -> list[str]:
    """The keys of the outlets this database knows, sorted: its sources (every stored article's outlet is one) and
    the outlets of failures."""
    return [key for (key,) in connection.execute(
        "SELECT outlet FROM sources UNION SELECT DISTINCT outlet FROM item_failures ORDER BY outlet")]


def feed_rows(connection: psycopg.Connection) -> list[dict[str, Any]]:
    """Every feed's row (health counters, validators, back-off) by outlet then URL, as column -> value."""
    with connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("SELECT * FROM feeds ORDER BY outlet, url").fetchall()


# Relevance and recency in one score: ts_rank_cd (title matches count 1.0, body matches 0.4: PostgreSQL's weights
# for A and B) times 30 / (30 + age in days), so a match a month old counts half as much as the same match today.
_SCORE = ("ts_rank_cd(a.search_vector, q.query) * 30"
          " / (30 + greatest(extract(epoch FROM now() - coalesce(a.published_at, a.fetched_at)), 0) / 86400)")
# For this transaction: the planner takes a word in a fifth of the articles (香港) for a table scan, not counting
# that the scan reads every article's tsvector from TOAST: 0.9 s instead of 0.03 s through the index.
INDEX_ONLY = "SET LOCAL enable_seqscan = off"
CANDIDATES = 500  # the newest articles with every token of a query that are ranked (search_statement)
UN_LEVELS = {"core": ["core"], "mention": ["core", "mention"]}  # --un mention: at least a mention
# An article as a list shows it (StoryArticle's fields, the first of Hit's), over _WITH_OUTLET_AND_RELEVANCE's names
_LISTED_COLUMNS = ("a.id, a.outlet, coalesce(s.name, a.outlet) AS outlet_name, a.published_at, a.fetched_at, a.title,"
                   " a.url, r.level AS un_level")
_WITH_OUTLET_AND_RELEVANCE = ("articles AS a LEFT JOIN sources AS s ON s.outlet = a.outlet"
                              " LEFT JOIN article_relevance AS r ON r.article_id = a.id")


class Hit(NamedTuple):
    id: int
    outlet: str
    outlet_name: str  # the sources table's name, the outlet key when the outlet is not registered
    published_at: datetime | None
    fetched_at: datetime
    title: str
    url: str
    un_level: str | None  # None: not scored
    score: float
    snippet: str  # of the body, the first match marked [like this]


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles search and export select: the outlet key; published (else first fetched) from since, before
    until; UN level core, or mention (core included); a UN body named in the relevance verdict (any case). None: any."""

    outlet: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    un: str | None = None
    body: str | None = None

    def condition(self, query: Query | None = None) -> tuple[str, dict[str, Any]]:
        """The filter and every token of the query (through the GIN index; its phrases are the caller's to check,
        with the parameter "query") as one SQL condition over `articles AS a LEFT JOIN article_relevance AS r`, and
        its parameters. TRUE when there is none."""
        conditions = []
        if query is not None:
            conditions.append("a.search_vector @@ %(candidates)s::tsquery")
        if self.outlet is not None:
            conditions.append("a.outlet = %(outlet)s")
        if self.since is not None:
            conditions.append("coalesce(a.published_at, a.fetched_at) >= %(since)s")
        if self.until is not None:
            conditions.append("coalesce(a.published_at, a.fetched_at) < %(until)s")
        if self.un is not None:
            conditions.append("r.level = ANY(%(levels)s)")
        if self.body is not None:
            conditions.append("EXISTS (SELECT FROM jsonb_array_elements_text(r.bodies) AS named(body)"
                              " WHERE lower(named.body) = lower(%(body)s))")
        parameters = {"query": query.tsquery if query else None, "candidates": query.candidates if query else None,
                      "outlet": self.outlet, "since": self.since, "until": self.until,
                      "levels": UN_LEVELS.get(self.un or "", []), "body": self.body}
        return " AND ".join(conditions) or "TRUE", parameters


EVERY_ARTICLE = ArticleFilter()


def search_articles(
    connection: psycopg.Connection, query: str | Query, filters: ArticleFilter = EVERY_ARTICLE, limit: int = 20
) -> list[Hit]:
    """Articles matching the query (newsmon.search_text.parse_query: every word, simplified or traditional, any
    case) that the filters let through, best first by relevance and recency, with a snippet. One GIN index lookup on
    articles.search_vector."""
    parsed = parse_query(query) if isinstance(query, str) else query
    statement, parameters = search_statement(parsed, filters, limit)
    connection.execute(INDEX_ONLY)
    return [
        Hit(id, outlet, name, published_at, fetched_at, title, url, level, score, snippet(text, parsed.phrases))
        for id, outlet, name, published_at, fetched_at, title, url, level, score, text
        in connection.execute(statement, parameters)
    ]


def search_statement(
    query: Query, filters: ArticleFilter = EVERY_ARTICLE, limit: int = 20
) -> tuple[str, dict[str, Any]]:
    """The SQL of search_articles and its parameters (bench/search_latency.py times it inside the database).

    Two steps, so that a common word costs what a rare one does: the GIN index finds the articles with every token
    of the query (an exact index answer, no row read beyond its date and filters), the newest CANDIDATES of them
    (or limit, if more) are kept; only those are checked for the phrases and ranked, which reads each one's
    tsvector (香港 is in 15,000 articles of the corpus: ranking them all took 0.8 s)."""
    condition, parameters = filters.condition(query)
    statement = (
        "WITH newest AS MATERIALIZED (SELECT a.id FROM articles AS a"
        " LEFT JOIN article_relevance AS r ON r.article_id = a.id"
        f" WHERE {condition}"
        " ORDER BY coalesce(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT %(window)s)"
        f" SELECT {_LISTED_COLUMNS}, {_SCORE} AS score, a.body"
        " FROM newest JOIN articles AS a ON a.id = newest.id CROSS JOIN (SELECT %(query)s::tsquery AS query) AS q"
        " LEFT JOIN sources AS s ON s.outlet = a.outlet LEFT JOIN article_relevance AS r ON r.article_id = a.id"
        # @@ by its function's name: the index cannot serve it, so the planner checks the few candidates instead of
        # checking the phrase in every article with the tokens (3,000 tsvectors read for 联合国)
        " WHERE ts_match_vq(a.search_vector, q.query) ORDER BY score DESC, a.id DESC LIMIT %(limit)s"
    )
    return statement, parameters | {"limit": limit, "window": max(CANDIDATES, limit)}


def article_for_reading(connection: psycopg.Connection, article_id: int) -> dict[str, Any] | None:
    """One article as `newsmon show` prints it: its columns, the outlet's name and zone, its UN relevance (level,
    bodies, evidence; None when not scored), its revisions (revision, replaced_at, title), oldest first, its story
    (story_articles: [] when it has none yet) and the rest of its event (event_articles)."""
    with connection.cursor(row_factory=dict_row) as cursor:
        article = cursor.execute(
            f"SELECT {_LISTED_COLUMNS}, s.time_zone AS outlet_zone, a.paragraphs, a.authors, a.published_raw,"
            " a.updated_at, a.revision_count, a.event_id, r.bodies AS un_bodies, r.evidence AS un_evidence"
            f" FROM {_WITH_OUTLET_AND_RELEVANCE} WHERE a.id = %s",
            [article_id],
        ).fetchone()
        if article is None:
            return None
        article["revisions"] = cursor.execute(
            "SELECT revision, replaced_at, title FROM article_revisions WHERE article_id = %s ORDER BY revision",
            [article_id],
        ).fetchall()
    article["story"] = story_articles(connection, article_id)
    article["event"] = event_articles(connection, article_id)
    return article


class StoryArticle(NamedTuple):
    id: int
    outlet: str
    outlet_name: str  # the sources table's name, the outlet key when the outlet is not registered
    published_at: datetime | None
    fetched_at: datetime
    title: str
    url: str
    un_level: str | None  # None: not scored


def story_articles(connection: psycopg.Connection, article_id: int) -> list[StoryArticle] | None:
    """The articles of the given article's story (itself included), first teller first: by publication time (else
    first fetched), then id. [] when the article has no story yet, None when there is no such article."""
    found = connection.execute("SELECT story_id FROM articles WHERE id = %s", [article_id]).fetchone()
    if found is None:
        return None
    if found[0] is None:
        return []
    with connection.cursor(row_factory=class_row(StoryArticle)) as cursor:
        return cursor.execute(
            f"SELECT {_LISTED_COLUMNS} FROM {_WITH_OUTLET_AND_RELEVANCE}"
            " WHERE a.story_id = %s ORDER BY coalesce(a.published_at, a.fetched_at), a.id",
            [found[0]],
        ).fetchall()


def event_articles(connection: psycopg.Connection, article_id: int) -> list[StoryArticle]:
    """The articles of the given article's event (newsmon/events.py) that are not in its story: the same happening
    told in other words, by publication time (else first fetched), then id. [] when the article has no event yet
    (the maintenance assigns events), when no other story tells its event, or when there is no such article."""
    with connection.cursor(row_factory=class_row(StoryArticle)) as cursor:
        return cursor.execute(
            f"SELECT {_LISTED_COLUMNS} FROM {_WITH_OUTLET_AND_RELEVANCE} JOIN articles AS asked ON asked.id = %s"
            " WHERE a.event_id = asked.event_id AND a.id <> asked.id AND a.story_id IS DISTINCT FROM asked.story_id"
            " ORDER BY coalesce(a.published_at, a.fetched_at), a.id",
            [article_id],
        ).fetchall()


class ScoredArticle(NamedTuple):
    article: StoryArticle
    bodies: list[str]  # the UN bodies its relevance names
    story_id: int | None
    in_window: bool  # False: an earlier UN-related article of a story the window has


def un_related_since(connection: psycopg.Connection, since: datetime) -> list[ScoredArticle]:
    """The articles scored mention or core, published (else first fetched) from since, and the earlier ones of
    their stories (in_window False: a story alerted before the window is not alerted again), in the order they
    were stored: the order their alerts were queued in."""
    condition, parameters = ArticleFilter(since=since, un="mention").condition()
    rows = connection.execute(
        f"WITH in_window AS (SELECT a.id, a.story_id FROM {_WITH_OUTLET_AND_RELEVANCE} WHERE {condition})"
        f" SELECT {_LISTED_COLUMNS}, r.bodies, a.story_id, a.id IN (SELECT id FROM in_window)"
        f" FROM {_WITH_OUTLET_AND_RELEVANCE} WHERE a.id IN (SELECT id FROM in_window)"
        " OR (r.level = ANY(%(levels)s) AND a.story_id IN (SELECT story_id FROM in_window))"
        " ORDER BY a.id", parameters,
    )
    return [ScoredArticle(StoryArticle(*row[:-3]), *row[-3:]) for row in rows]
