"""Rows past their age, counted or deleted: fetch_log, article_revisions, raw_inputs, articles (newsmon.retention
says which and how old). Plain functions taking an Engine: each batch commits on its own, so a long prune holds no
lock for long and a killed one keeps what it did."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from newsmon.storage.models import Article, ArticleRevision, FetchLog, RawInput, table_of

BATCH = 5_000

# what is pruned, by the name newsmon.retention gives it: the table and the moment a row's age is counted from
PRUNABLE = {
    "fetch_log": (table_of(FetchLog), col(FetchLog.started_at)),
    "revisions": (table_of(ArticleRevision), col(ArticleRevision.replaced_at)),
    "raw_inputs": (table_of(RawInput), col(RawInput.fetched_at)),
    "articles": (table_of(Article), sa.func.coalesce(col(Article.published_at), col(Article.fetched_at))),
}


def count_older(engine: Engine, name: str, cutoff: datetime) -> int:
    table, age = PRUNABLE[name]
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(table).where(age < cutoff)) or 0


def delete_older(engine: Engine, name: str, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete the rows older than the cutoff, `batch` at a time; how many went. Deleting an article deletes its
    revisions, raw inputs, relevance and alerts (ON DELETE CASCADE)."""
    table, age = PRUNABLE[name]
    ids = sa.select(table.c.id).where(age < cutoff).limit(batch).scalar_subquery()
    deleted = 0
    while True:
        with engine.begin() as connection:
            count = connection.execute(sa.delete(table).where(table.c.id.in_(ids))).rowcount
        deleted += count
        if count < batch:
            return deleted
