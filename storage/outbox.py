"""The alert outbox: one row per story (or article without one yet) and channel; delivery holds each while sending
it, records the attempt before and the outcome after. Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.storage.models import Alert, Article, ArticleRelevance, Source


def enqueue_alerts(session: Session, article_id: int, level: str, channels: list[str], created_at: datetime) -> int:
    """One outbox row per channel for the article, carrying its story (articles.story_id), unless the channel has a
    row for the article already (a revision alerts no more) or for its story (a later outlet's copy of a story joins
    the story's alert, whose message names it when sent, instead of raising its own). An article without a story yet
    is alerted on its own. Returns the rows written."""
    if not channels:
        return 0
    story_id = session.exec(select(col(Article.story_id)).where(col(Article.id) == article_id)).one()
    rows = [{"article_id": article_id, "story_id": story_id, "channel": c, "level": level, "created_at": created_at}
            for c in channels]
    # no conflict target: a row taken under either unique index, (article, channel) or (story, channel), is skipped
    result = session.exec(insert(Alert).values(rows).on_conflict_do_nothing().returning(col(Alert.id)))
    return len(result.all())


# advisory locks (bigint keys) of alerts being sent: this base plus the alert's id; apart from the engine's own keys
_SENDING_LOCKS = 0x616C_6572_0000_0000  # "aler" in the high half


SENDING = "no outcome recorded yet: being sent, or its delivery died while sending (the next sends it again)"


def pending_alert_ids(session: Session, channel: str) -> list[int]:
    """The unsent alerts of a channel, oldest first."""
    ids = session.exec(
        select(col(Alert.id)).where(Alert.channel == channel, col(Alert.sent_at).is_(None))
        .order_by(col(Alert.created_at), col(Alert.id))
    )
    return [alert_id for alert_id in ids if alert_id is not None]  # a primary key: always, but typed optional


def hold_for_sending(session: Session, alert_ids: list[int]) -> list[Alert]:
    """The given alerts this connection may send now, oldest first: each held by a session-level advisory lock, so
    no overlapping delivery sends it meanwhile, and still unsent once held (read after the lock: a delivery that just
    let it go has committed its outcome). The locks outlive the transaction (the attempt is committed before
    sending), so the session must be bound to one Connection the caller keeps until let_go; they go with the
    connection when the process dies. Alerts not returned are not held."""
    connection = session.connection()
    held = [alert_id for alert_id in alert_ids
            if connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _SENDING_LOCKS + alert_id})]
    if not held:
        return []
    unsent = list(session.exec(
        select(Alert).where(col(Alert.id).in_(held), col(Alert.sent_at).is_(None))
        .order_by(col(Alert.created_at), col(Alert.id))
    ))
    let_go(session, sorted(set(held) - {alert.id for alert in unsent if alert.id is not None}))
    return unsent


def let_go(session: Session, alert_ids: list[int]) -> None:
    """Release the advisory locks hold_for_sending took (after the outcome is committed)."""
    for alert_id in alert_ids:
        session.connection().execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _SENDING_LOCKS + alert_id})


def begin_attempt(alerts: list[Alert], now: datetime) -> list[bool]:
    """Record an attempt on held alerts, for the caller to commit before sending; for each, whether it is a possible
    repeat: an earlier attempt began and recorded no outcome, so its process died while sending it."""
    repeats = []
    for alert in alerts:
        repeats.append(alert.sending_since is not None)
        alert.attempts += 1
        alert.last_attempt_at = now
        alert.sending_since = now
        alert.last_error = SENDING  # what `newsmon alerts list` shows until the outcome replaces it
    return repeats


def record_outcome(alerts: list[Alert], attempted: datetime, error: str | None) -> None:
    """The outcome of the attempt begin_attempt recorded: sent at its time, or the error (pending for a retry)."""
    for alert in alerts:
        alert.sending_since = None
        alert.last_error = error
        alert.sent_at = None if error else attempted


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
