"""The rows `newsmon export` writes: v_articles (migration 0010), selected like search selects (storage/search.py
ArticleFilter), newest first, streamed in batches from a server-side cursor so that the whole corpus never sits in
memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from newsmon.search_text import Query
from newsmon.storage.search import EVERY_ARTICLE, INDEX_ONLY, ArticleFilter

BATCH_ROWS = 1_000  # rows fetched at a time: a few MB of article text


def export_statement(
    query: Query | None = None, filters: ArticleFilter = EVERY_ARTICLE, limit: int | None = None
) -> tuple[str, dict[str, Any]]:
    """The SQL of exported_articles and its parameters. Without a query every article the filters let through,
    with one every article search would find (every phrase in it: no candidate window, no ranking); newest first by
    published (else first fetched) time, at most limit of them (None: all)."""
    condition, parameters = filters.condition(query)
    if query is not None:
        condition += " AND ts_match_vq(a.search_vector, %(query)s::tsquery)"
    statement = (
        "SELECT v.* FROM (SELECT a.id, coalesce(a.published_at, a.fetched_at) AS dated_at FROM articles AS a"
        " LEFT JOIN article_relevance AS r ON r.article_id = a.id"
        f" WHERE {condition} ORDER BY dated_at DESC, a.id DESC LIMIT %(limit)s) AS chosen"
        " JOIN v_articles AS v ON v.id = chosen.id ORDER BY chosen.dated_at DESC, chosen.id DESC"
    )
    return statement, parameters | {"limit": limit}


@contextmanager
def exported_articles(
    connection: psycopg.Connection,
    query: Query | None = None,
    filters: ArticleFilter = EVERY_ARTICLE,
    limit: int | None = None,
) -> Iterator[tuple[list[str], Iterator[list[tuple]]]]:
    """v_articles' column names and its selected rows (export_statement) in batches of BATCH_ROWS, times in UTC.
    One transaction and one server-side cursor for the block: the batches are fetched as they are consumed."""
    statement, parameters = export_statement(query, filters, limit)
    with connection.transaction():
        connection.execute("SET LOCAL TimeZone = 'UTC'")
        if query is not None:
            connection.execute(INDEX_ONLY)
        with connection.cursor(name="newsmon_export") as cursor:
            cursor.execute(statement, parameters)
            assert cursor.description is not None  # a SELECT
            columns = [column.name for column in cursor.description]
            yield columns, iter(lambda: cursor.fetchmany(BATCH_ROWS), [])
