"""Articles' UN relevance (relevance.classify's verdicts).
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb
from sqlmodel import Session

from newsmon.storage.rows import copy_into_temp, strip_nul


def save_relevance(session: Session, article_id: int, relevance: dict, model: str, scored_at: datetime) -> None:
    """Store (or replace) an article's relevance: relevance.classify's to_json()."""
    save_relevances(session, [(article_id, relevance, model, scored_at)])


def save_relevances(session: Session, items: list[tuple[int, dict, str, datetime]]) -> None:
    """save_relevance for many (article_id, relevance, model, scored_at) at once, fed by COPY."""
    if not items:
        return
    columns = ["article_id", "level", "score", "bodies", "evidence", "model", "scored_at"]
    cursor = copy_into_temp(session, "relevance_batch", "LIKE article_relevance INCLUDING DEFAULTS", columns, (
        [article_id, relevance["level"], relevance["score"], Jsonb(strip_nul(relevance["bodies"])),
         Jsonb(strip_nul(relevance["evidence"])), model, scored_at]
        for article_id, relevance, model, scored_at in items
    ))
    names = ", ".join(columns)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in columns[1:])
    cursor.execute(
        f"INSERT INTO article_relevance ({names}) SELECT DISTINCT ON (article_id) {names} FROM relevance_batch"
        f" ORDER BY article_id, scored_at DESC ON CONFLICT (article_id) DO UPDATE SET {updates}"
    )
