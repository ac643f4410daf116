"""The alert outbox: one row per article and channel, claimed and marked sent by delivery.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.storage.models import Alert, Article, ArticleRelevance, Source


def enqueue_alerts(session: Session, article_id: int, level: str, channels: list[str], created_at: datetime) -> int:
    """One outbox row per channel for the article, unless it has one already (a revision alerts no more).

    Per-story grouping hooks in here: once near-duplicate clusters exist, a user who turns grouping on gets the
    cluster's id as the key instead of the article's (a unique (story, channel) key), so the same story from a
    second outlet finds its row taken."""
    if not channels:
        return 0
    rows = [{"article_id": article_id, "channel": c, "level": level, "created_at": created_at} for c in channels]
    result = session.exec(
        insert(Alert).values(rows)
        .on_conflict_do_nothing(index_elements=["article_id", "channel"])
        .returning(col(Alert.id))
    )
    return len(result.all())


def claim_pending_alerts(session: Session, channel: str, limit: int | None = None) -> list[Alert]:
    """Unsent alerts of a channel, oldest first, locked until the session ends; rows another run holds are skipped,
    so two overlapping runs never send the same alert."""
    statement = (
        select(Alert)
        .where(Alert.channel == channel, col(Alert.sent_at).is_(None))
        .order_by(col(Alert.created_at), col(Alert.id))
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement.limit(limit) if limit else statement))


def alert_view(
    session: Session, alert_ids: list[int]
) -> dict[int, tuple[Article, ArticleRelevance | None, str | None]]:
    """The article, its relevance and its outlet's display name (None when the outlet has no sources row) behind
    each alert, for the message."""
    rows = session.exec(
        select(col(Alert.id), Article, ArticleRelevance, col(Source.name))
        .join(Article, col(Article.id) == col(Alert.article_id))
        .join(ArticleRelevance, col(ArticleRelevance.article_id) == col(Article.id), isouter=True)
        .join(Source, col(Source.outlet) == col(Article.outlet), isouter=True)
        .where(col(Alert.id).in_(alert_ids))
    )
    view: dict[int, tuple[Article, ArticleRelevance | None, str | None]] = {}
    for alert_id, article, relevance, outlet_name in rows:
        assert alert_id is not None  # a primary key
        view[alert_id] = (article, relevance, outlet_name)
    return view


def list_alerts(session: Session, status: str | None = None, limit: int = 50) -> list[tuple[Alert, Article]]:
    """Alerts newest first: pending (never tried), failed (tried, not sent) or sent."""
    statement = select(Alert, Article).join(Article, col(Article.id) == col(Alert.article_id))
    if status == "sent":
        statement = statement.where(col(Alert.sent_at).is_not(None))
    elif status == "pending":
        statement = statement.where(col(Alert.sent_at).is_(None), Alert.attempts == 0)
    elif status == "failed":
        statement = statement.where(col(Alert.sent_at).is_(None), Alert.attempts > 0)
    return list(session.exec(statement.order_by(col(Alert.created_at).desc(), col(Alert.id).desc()).limit(limit)))


def alerts_created_since(session: Session, since: datetime) -> list[Alert]:
    """One alert (its first channel's) per article that got alerts since a moment: a run's new UN items."""
    first_per_article = (
        select(sa.func.min(Alert.id)).where(Alert.created_at >= since).group_by(col(Alert.article_id))
    )
    return list(session.exec(select(Alert).where(col(Alert.id).in_(first_per_article)).order_by(col(Alert.id))))
