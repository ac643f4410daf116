"""The read side for the CLI: counts, feed health, search. Plain SQL on a psycopg connection (storage/connect.py
connect()), not SQLAlchemy, so `newsmon status` and `search` answer in a fraction of a second."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import dict_row


class Hit(NamedTuple):
    id: int
    outlet: str
    outlet_article_id: str | None
    published_at: datetime | None
    title: str
    url: str


def article_counts(connection: psycopg.Connection) -> dict[str, int]:
    rows = connection.execute("SELECT outlet, count(*) FROM articles GROUP BY outlet ORDER BY outlet")
    return {outlet: count for outlet, count in rows}


def feed_rows(connection: psycopg.Connection) -> list[dict[str, Any]]:
    """Every feed's row (health counters, validators, back-off) by outlet then URL, as column -> value."""
    with connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute("SELECT * FROM feeds ORDER BY outlet, url").fetchall()


def search_articles(
    connection: psycopg.Connection, query: str, outlet: str | None = None, limit: int = 20
) -> list[Hit]:
    """Articles whose title or body contains query (case-insensitive), newest first.

    The trigram indexes serve queries of 3+ characters; shorter ones scan."""
    escaped = query.replace("\x00", "").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    of_outlet = " AND outlet = %(outlet)s" if outlet is not None else ""
    rows = connection.execute(
        "SELECT id, outlet, outlet_article_id, published_at, title, url FROM articles"
        f" WHERE (title ILIKE %(pattern)s OR body ILIKE %(pattern)s){of_outlet}"
        " ORDER BY published_at DESC NULLS LAST, id DESC LIMIT %(limit)s",
        {"pattern": f"%{escaped}%", "outlet": outlet, "limit": limit},
    )
    return [Hit(*row) for row in rows]
