"""The read side for the CLI: counts and search.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from newsmon.storage.models import Article
from newsmon.storage.rows import strip_nul


def article_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Article.outlet, sa.func.count()).group_by(Article.outlet).order_by(Article.outlet))
    return {outlet: count for outlet, count in rows}


def search_articles(session: Session, query: str, outlet: str | None = None, limit: int = 20) -> list[Article]:
    """Articles whose title or body contains query (case-insensitive), newest first.

    The trigram indexes serve queries of 3+ characters; shorter ones scan."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{strip_nul(escaped)}%"
    statement = select(Article).where(sa.or_(col(Article.title).ilike(pattern), col(Article.body).ilike(pattern)))
    if outlet is not None:
        statement = statement.where(Article.outlet == outlet)
    statement = statement.order_by(col(Article.published_at).desc().nulls_last(), col(Article.id).desc()).limit(limit)
    return list(session.exec(statement))
