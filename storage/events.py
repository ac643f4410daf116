"""Events in the database: every assigned article's key term hashes at its time (event_keys) and its event
(articles.event_id, the id of the event's first assigned article). newsmon/events.py decides what is one event; this
finds the candidates through the keys' index within the window, so the cost of an article does not grow with the
table. Articles are weighed with the frequencies shipped with newsmon (newsmon.events.frozen_frequencies). The
maintenance assigns events (about 6 ms of CPU an article: too much for the import). Plain functions taking a Session;
the caller commits."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from newsmon import events
from newsmon.events import EventVector

# Vectors of recently assigned articles, by id: the maintenance goes through articles in time order, so the
# candidates of the next one are mostly among the last few hundred, and recomputing one from its stored text costs
# about 5 ms. About 60 kB each.
_RECENT_VECTORS = 1_000
_recent: OrderedDict[int, EventVector] = OrderedDict()
# An article in a busy window can share keys with many: those sharing the most are judged, the cost stays bounded
CANDIDATES = 50
# An article's time: the event level's window is about when things happened, and an undated article was new when
# fetched
_DATED = "coalesce(published_at, fetched_at)"


def _remember(article_id: int, vector: EventVector) -> None:
    _recent[article_id] = vector
    _recent.move_to_end(article_id)
    while len(_recent) > _RECENT_VECTORS:
        _recent.popitem(last=False)


def assign_events(session: Session, articles: Sequence[tuple[int, datetime, EventVector]]) -> list[int]:
    """Give each article (id, time, vector) its event, in order, and store its keys at its time; return the event
    ids. Candidates are the articles sharing at least SHARED_KEYS keys within WINDOW of its time: assigned before, or
    earlier in this list. It joins the event of the candidate most like it (the highest cosine) that same_event
    accepts, else starts its own event (its own id); not every match's event, which would chain into storylines."""
    if not articles:
        return []
    keys_of = {article_id: set(events.key_hashes(vector)) for article_id, _, vector in articles}
    shared_with: dict[int, dict[int, int]] = {article_id: {} for article_id in keys_of}  # article -> other -> keys
    event_of: dict[int, int] = {}
    for asking, other, shared, event_id in session.connection().execute(
        sa.text("SELECT w.article_id, k.article_id, count(*), a.event_id"
                " FROM unnest(CAST(:ids AS bigint[]), CAST(:keys AS bigint[]), CAST(:times AS timestamptz[]))"
                "   AS w(article_id, key, at)"
                " JOIN event_keys AS k ON k.key = w.key AND k.published_at BETWEEN w.at - :window AND w.at + :window"
                " JOIN articles AS a ON a.id = k.article_id"
                " GROUP BY w.article_id, k.article_id, a.event_id HAVING count(*) >= :shared"),
        {"ids": [article_id for article_id, _, _ in articles for _ in keys_of[article_id]],
         "keys": [key for article_id, _, _ in articles for key in keys_of[article_id]],
         "times": [at for article_id, at, _ in articles for _ in keys_of[article_id]],
         "window": events.WINDOW, "shared": events.SHARED_KEYS},
    ):
        shared_with[asking][other] = shared
        event_of[other] = event_id
    assigned: list[tuple[int, datetime]] = []  # this list's articles assigned so far
    found = []
    for article_id, at, vector in articles:
        for other, other_at in assigned:
            shared = len(keys_of[article_id] & keys_of[other])
            if shared >= events.SHARED_KEYS and abs(at - other_at) <= events.WINDOW:
                shared_with[article_id][other] = shared
        sharing = shared_with[article_id]
        candidates = sorted(sharing, key=lambda other: (-sharing[other], other))[:CANDIDATES]
        vectors = _recent_or_stored(session, candidates)
        matches = [(verdict.cosine, -other) for other, other_vector in vectors.items()
                   if (verdict := events.same_event(vector, other_vector)).same]
        event_of[article_id] = event_of[-max(matches)[1]] if matches else article_id  # a tie: the older id
        found.append(event_of[article_id])
        assigned.append((article_id, at))
        _remember(article_id, vector)
    connection = session.connection()
    connection.execute(
        sa.text("UPDATE articles AS a SET event_id = e.event FROM unnest(CAST(:ids AS bigint[]),"
                " CAST(:events AS bigint[])) AS e(id, event) WHERE a.id = e.id"),
        {"ids": [article_id for article_id, _, _ in articles], "events": found},
    )
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None  # a checked-out connection
    with driver_connection.cursor().copy("COPY event_keys (key, published_at, article_id) FROM STDIN") as copy:
        for article_id, at, _ in articles:
            for key in keys_of[article_id]:
                copy.write_row((key, at, article_id))
    return found


def _recent_or_stored(session: Session, ids: list[int]) -> dict[int, EventVector]:
    """The vectors of assigned articles: remembered, else computed from their stored text."""
    vectors = {article_id: _recent[article_id] for article_id in ids if article_id in _recent}
    missing = [article_id for article_id in ids if article_id not in vectors]
    if missing:
        rows = session.connection().execute(
            sa.text(f"SELECT id, title, body, {_DATED} AS at FROM articles WHERE id = ANY(:ids)"), {"ids": missing})
        vectors |= {row.id: _vector(row.title, row.body, row.at) for row in rows}
    return vectors


def _vector(title: str, body: str, at: datetime) -> EventVector:
    return events.event_vector(events.terms(title, body), events.frozen_frequencies(), at)


def unassigned_event_articles(session: Session, limit: int) -> list[tuple[int, datetime, EventVector]]:
    """Up to limit articles without an event, oldest first by their time (published, else first fetched), with
    their vectors."""
    rows = session.connection().execute(
        sa.text(f"SELECT id, title, body, {_DATED} AS at FROM articles WHERE event_id IS NULL"
                f" ORDER BY {_DATED}, id LIMIT :limit"), {"limit": limit}
    )
    return [(row.id, row.at, _vector(row.title, row.body, row.at)) for row in rows]


def count_unassigned_events(session: Session) -> int:
    return session.connection().scalar(sa.text("SELECT count(*) FROM articles WHERE event_id IS NULL")) or 0
