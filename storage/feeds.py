"""Sources, feeds with their health (and back-off) and validators, and the fetch log.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon.failure_policy import DUE_EARLY, FailurePolicy
from newsmon.storage.models import Feed, FetchLog, Source
from newsmon.storage.rows import strip_nul


def ensure_source(session: Session, outlet: str, name: str, parser: str, time_zone: str) -> Source:
    """Create or refresh an outlet's row (from sources.toml)."""
    values = {"name": name, "parser": parser, "time_zone": time_zone, "updated_at": sa.func.now()}
    session.exec(
        insert(Source)
        .values(outlet=outlet, **values)
        .on_conflict_do_update(
            index_elements=["outlet"],
            set_=values,
            # leave the row (and updated_at) alone when nothing changed
            where=sa.tuple_(Source.name, Source.parser, Source.time_zone).is_distinct_from(
                sa.tuple_(name, parser, time_zone)
            ),
        )
    )
    source = session.get(Source, outlet, populate_existing=True)
    assert source is not None  # upserted just above
    return source


def ensure_feed(session: Session, outlet: str, url: str) -> Feed:
    """The feed's row, created if new. The outlet must exist (ensure_source) first."""
    session.exec(insert(Feed).values(outlet=outlet, url=url).on_conflict_do_nothing(index_elements=["url"]))
    return session.exec(select(Feed).where(Feed.url == url)).one()


def feed_validators(session: Session, url: str) -> tuple[str | None, str | None]:
    """(etag, last_modified) from the feed's last 200, for a conditional GET."""
    row = session.exec(select(col(Feed.etag), col(Feed.last_modified)).where(Feed.url == url)).first()
    if row is None:
        return None, None
    etag, last_modified = row
    return etag, last_modified


def feed_due(session: Session, url: str) -> bool:
    """Whether a feed is to be polled now: it is not failing, or its back-off is over."""
    next_poll_at = col(Feed.next_poll_at)
    due = sa.or_(next_poll_at.is_(None), next_poll_at <= sa.func.now() + DUE_EARLY)
    return bool(session.exec(select(due).where(Feed.url == url)).first())


def record_feed_result(
    session: Session,
    url: str,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    items_seen: int,
    policy: FailurePolicy | None = None,
    not_before_seconds: float | None = None,
) -> Feed:
    """Update a feed's health after a fetch. With a policy, a failing feed is not polled again before its back-off
    is over (none: at the next run), nor before `not_before_seconds` (a server's Retry-After) have passed. The
    validators (ETag, Last-Modified) stay as they were: they move with advance_validators once the items they cover
    are stored, so a run killed in between fetches them again."""
    feed = session.exec(select(Feed).where(Feed.url == url).with_for_update()).one()
    feed.last_fetched_at = sa.func.now()  # type: ignore[assignment]  # a SQL expression, evaluated by the UPDATE
    feed.last_status = status_code
    if ok:
        feed.last_success_at = sa.func.now()  # type: ignore[assignment]  # a SQL expression, as above
        feed.consecutive_errors = 0
        feed.last_error = None
        feed.items_seen_total += items_seen
        feed.next_poll_at = None
    else:
        feed.consecutive_errors += 1
        feed.last_error = strip_nul(error)
        if policy is not None or not_before_seconds:
            backoff = policy.backoff(feed.consecutive_errors) if policy is not None else timedelta(0)
            backoff = max(backoff, timedelta(seconds=not_before_seconds or 0))
            feed.next_poll_at = sa.func.now() + backoff  # type: ignore[assignment]  # evaluated by the UPDATE
    session.flush()
    session.refresh(feed)
    return feed


def advance_validators(session: Session, url: str, etag: str | None, last_modified: str | None) -> None:
    """The validators of a feed's last 200, for its next conditional GET: called only once every item of that
    response is stored or its failure recorded."""
    session.exec(
        sa.update(Feed).where(col(Feed.url) == url).values(etag=strip_nul(etag), last_modified=strip_nul(last_modified))
    )


def log_fetch(session: Session, **fields: Any) -> FetchLog:
    """Append one fetch_log row; fields are FetchLog's columns."""
    entry = FetchLog(**strip_nul(fields))
    session.add(entry)
    session.flush()
    return entry


def feed_health(session: Session) -> list[Feed]:
    """Every feed with its health counters, by outlet then URL."""
    return list(session.exec(select(Feed).order_by(Feed.outlet, Feed.url)))


def feed_fetches_since(session: Session, since: datetime) -> dict[str, tuple[int, int, int]]:
    """Per feed URL, its fetches since a moment from the fetch log: (fetches, failed, not modified)."""
    rows = session.execute(
        sa.select(
            col(FetchLog.url), sa.func.count(), sa.func.count().filter(sa.not_(col(FetchLog.ok))),
            sa.func.count().filter(col(FetchLog.not_modified)),
        ).where(col(FetchLog.kind) == "feed", col(FetchLog.started_at) >= since).group_by(col(FetchLog.url))
    )
    return {url: (fetches, failed, not_modified) for url, fetches, failed, not_modified in rows}
