"""Events in the database (storage/events.py): the maintenance gives stored articles their events through the key
index, weighed with the frequencies shipped with newsmon; `newsmon show`'s reading of an article lists the other
stories of its event. Real labelled pairs (tests/fixtures/event_pairs.jsonl: one event told by two outlets in their
own words, three look-alike pairs that are different events)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from newsmon import maintenance, reading
from newsmon.model import Article
from newsmon.storage import events as events_storage
from newsmon.storage.articles import store_article
from newsmon.storage.connect import connect
from newsmon.storage.engine import session
from newsmon.storage.search import article_for_reading

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "event_pairs.jsonl"
FETCHED = datetime(2026, 11, 20, tzinfo=UTC)


def pairs() -> list[dict]:
    with PAIRS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def store_pairs(db) -> dict[str, int]:
    ids = {}
    for pair in pairs():
        for side in (pair["a"], pair["b"]):
            with Session(db) as s:
                ids[side["url"]] = store_article(
                    s, Article(side["outlet"], side["url"], side["title"], side["body"].split("\n"),
                               published_at=datetime.fromisoformat(side["published_at"])), None, FETCHED, "1").id
                s.commit()
    return ids


def columns(db, name: str) -> dict[int, int | None]:
    with db.connect() as connection:
        return dict(connection.execute(sa.text(f"SELECT id, {name} FROM articles")).all())


def test_the_maintenance_joins_one_event_told_in_other_words_and_not_look_alikes(db):
    ids = store_pairs(db)
    assert set(columns(db, "event_id").values()) == {None}  # storing does not assign events
    assert maintenance.maintain(dry_run=True).steps[3].lines == [f"{len(ids)} articles without an event to assign"]

    events_storage._recent.clear()  # the candidates' vectors come from their stored text, as in a new process
    report = maintenance.assign_events()
    assert report.count == len(ids)
    event, story = columns(db, "event_id"), columns(db, "story_id")
    for pair in pairs():
        a, b = ids[pair["a"]["url"]], ids[pair["b"]["url"]]
        assert story[a] != story[b]  # none of them is a copy: only the event level can join them
        assert (event[a] == event[b]) == (pair["label"] == "event"), pair["note"]
    assert all(event[id] <= id for id in event)  # an event is named after its first assigned article
    with db.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(DISTINCT article_id) FROM event_keys")) == len(ids)
        view = dict(connection.execute(sa.text("SELECT id, event_id FROM v_articles")).all())
    assert view == event

    assert maintenance.assign_events().count == 0  # nothing left to assign
    with session(db) as s:
        assert events_storage.count_unassigned_events(s) == 0


def test_show_lists_the_other_stories_of_the_event(db, monkeypatch):
    ids = store_pairs(db)
    event_pair = next(pair for pair in pairs() if pair["label"] == "event")
    first, other = ids[event_pair["a"]["url"]], ids[event_pair["b"]["url"]]
    with connect() as connection:
        before = article_for_reading(connection, first)
    assert before is not None and before["event"] == []
    assert f"\nevent      {reading.NO_EVENT_YET}\n" in reading.article_text(before)

    maintenance.assign_events()
    monkeypatch.setenv("TZ", "Asia/Singapore")
    with connect() as connection:
        after = article_for_reading(connection, first)
        look_alike = article_for_reading(connection, ids[next(p for p in pairs() if p["label"] != "event")["a"]["url"]])
    assert after is not None and [item.id for item in after["event"]] == [other]
    assert "\nevent      also told in other words by 1 article:\n" in reading.article_text(after)
    assert f"  article {other}  {event_pair['b']['title']}\n" in reading.article_text(after)
    assert look_alike is not None
    assert "\nevent      no other story tells it so far\n" in reading.article_text(look_alike)
