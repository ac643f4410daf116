"""Score a stored article and queue its alerts, in the caller's transaction (the one that stored the article):
so an article is never stored without its alerts, nor alerted twice (one outbox row per article and channel)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from newsmon.model import Article
from newsmon.relevance.classify import Lexicon, Relevance, classify
from newsmon.storage.outbox import enqueue_alerts
from newsmon.storage.relevance import save_relevance

from .settings import AlertSettings


def score_and_queue(
    session: Session,
    article_id: int,
    article: Article,
    outcome: str,
    settings: AlertSettings | None,
    now: datetime,
    lexicon: Lexicon | None = None,
) -> Relevance | None:
    """For a new or changed text: store its relevance and, when settings are given, one pending alert on each
    channel whose rules it meets (level, outlets, UN bodies: Channel.wants). Unchanged texts keep what they have."""
    if outcome not in ("new", "updated"):
        return None
    relevance = classify(article.title, article.paragraphs, lexicon)
    save_relevance(session, article_id, relevance.to_json(), relevance.model, now)
    if settings is not None:
        channels = settings.channels_wanting(relevance.level, article.outlet, relevance.bodies)
        enqueue_alerts(session, article_id, relevance.level, [channel.name for channel in channels], now)
    return relevance
