"""The alert outbox: one row per article and channel, claimed and marked sent by delivery.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.storage.models import Alert, Article, ArticleRelevance


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


def alert_view(session: Session, alert_ids: list[int]) -> dict[int, tuple[Article, ArticleRelevance | None]]:
    """The article and relevance behind each alert, for the message."""
    rows = session.exec(
        select(col(Alert.id), Article, ArticleRelevance)
        .join(Article, col(Article.id) == col(Alert.article_id))
        .join(ArticleRelevance, col(ArticleRelevance.article_id) == col(Article.id), isouter=True)
        .where(col(Alert.id).in_(alert_ids))
    )
    view: dict[int, tuple[Article, ArticleRelevance | None]] = {}
    for alert_id, article, relevance in rows:
        assert alert_id is not None  # a primary key
        view[alert_id] = (article, relevance)
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


def alerts_created_since(session: Session, since: datetime) -> list[tuple[str, str, str, str, list[str]]]:
    """(level, outlet, title, url, bodies) of the articles that got alerts since a moment: a run's new UN items."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() for up to 4 columns
            Alert.level, Article.outlet, Article.title, Article.url, ArticleRelevance.bodies
        )
        .join(Article, col(Article.id) == col(Alert.article_id))
        .join(ArticleRelevance, col(ArticleRelevance.article_id) == col(Article.id), isouter=True)
        .where(Alert.created_at >= since)
        .distinct()
        .order_by(Article.outlet, Article.title)
    )
    return [(level, outlet, title, url, list(bodies or [])) for level, outlet, title, url, bodies in rows]
