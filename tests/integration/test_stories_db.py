"""Stories in the database (storage/stories.py): every stored article gets one, copies across outlets share it, on
the labelled pairs of tests/fixtures/story_pairs.jsonl, whether stored one by one (live polling) or in a batch (an
import); articles stored before stories existed get theirs from the maintenance."""

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from newsmon import maintenance
from newsmon.model import Article
from newsmon.storage import articles as articles_storage
from newsmon.storage import stories as stories_storage
from newsmon.storage.articles import article_row, store_article, store_articles
from newsmon.storage.engine import session
from newsmon.storage.models import Article as StoredArticle
from newsmon.storage.models import table_of
from newsmon.stories import BANDS

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "story_pairs.jsonl"
FETCHED = datetime(2026, 11, 20, tzinfo=UTC)


def pairs() -> list[dict]:
    with PAIRS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def article(side: dict, suffix: str = "") -> Article:
    return Article(side["outlet"], side["url"] + suffix, side["title"], side["body"].split("\n\n"),
                   published_at=datetime.fromisoformat(side["published_at"]))


def story_of(db, url: str) -> int:
    with db.connect() as connection:
        return connection.scalar(sa.text("SELECT story_id FROM articles WHERE url = :url"), {"url": url})


def test_live_stored_copies_share_a_story_and_different_stories_do_not(db):
    for pair in pairs():
        for side in (pair["a"], pair["b"]):
            with Session(db) as s:
                store_article(s, article(side), None, FETCHED, "1")
                s.commit()
    for pair in pairs():
        a, b = story_of(db, pair["a"]["url"]), story_of(db, pair["b"]["url"])
        assert a is not None and b is not None
        assert (a == b) == (pair["label"] == "same"), pair["note"]


def test_an_imported_batch_gets_the_same_stories_in_input_order(db):
    rows = [article_row(article(side), FETCHED, "1") for pair in pairs() for side in (pair["a"], pair["b"])]
    with Session(db) as s:
        results = store_articles(s, rows, [None] * len(rows))
        s.commit()
    ids = [result.id for result in results]
    with db.connect() as connection:
        story = dict(connection.execute(sa.text("SELECT id, story_id FROM articles")).all())
    for number, pair in enumerate(pairs()):
        first, second = ids[2 * number], ids[2 * number + 1]
        assert story[first] == first  # the first stored starts its story
        assert story[second] == (first if pair["label"] == "same" else second), pair["note"]
    with db.connect() as connection:  # every article has its keys, bounded
        keys = connection.execute(sa.text("SELECT article_id, count(*) FROM story_keys GROUP BY article_id")).all()
    assert len(keys) == len(ids) and all(count <= BANDS + 1 for _, count in keys)  # the bands and the title


def test_a_story_is_found_through_the_index_after_the_signature_is_forgotten(db):
    pair = next(p for p in pairs() if p["label"] == "same")
    with Session(db) as s:
        store_article(s, article(pair["a"]), None, FETCHED, "1")
        s.commit()
    stories_storage._recent.clear()  # another process, or long after: recomputed from the stored text
    with Session(db) as s:
        store_article(s, article(pair["b"]), None, FETCHED, "1")
        s.commit()
    assert story_of(db, pair["a"]["url"]) == story_of(db, pair["b"]["url"])


def test_a_revised_article_is_found_by_copies_of_its_new_text(db):
    copies, other = [p for p in pairs() if p["label"] == "same"][:2]
    first, copy = copies["a"], copies["b"]
    unrelated = Article(first["outlet"], first["url"], other["a"]["title"], other["a"]["body"].split("\n\n"))
    with Session(db) as s:
        store_article(s, unrelated, None, FETCHED, "1")
        assert store_article(s, article(first), None, FETCHED.replace(hour=1), "1").outcome == "updated"
        s.commit()
    stories_storage._recent.clear()  # found through the index alone
    with Session(db) as s:
        store_article(s, article(copy), None, FETCHED.replace(hour=2), "1")
        s.commit()
    assert story_of(db, copy["url"]) == story_of(db, first["url"])


def test_the_maintenance_gives_a_story_to_articles_stored_before_stories(db):
    pair = next(p for p in pairs() if p["label"] == "same")
    for side in (pair["a"], pair["b"]):
        with Session(db) as s:
            store_article(s, article(side), None, FETCHED, "1")
            s.commit()
    with db.begin() as connection:  # as migration 0009 leaves a database of older articles
        connection.execute(sa.text("UPDATE articles SET story_id = NULL"))
        connection.execute(sa.text("DELETE FROM story_keys"))
    assert maintenance.assign_stories(dry_run=True).count == 2
    report = maintenance.assign_stories()
    assert report.count == 2 and report.lines == ["2 articles given a story"]
    assert story_of(db, pair["a"]["url"]) == story_of(db, pair["b"]["url"]) is not None
    with session(db) as s:
        assert stories_storage.count_unassigned(s) == 0


def test_a_story_started_by_a_text_another_run_stored_first_is_renamed_after_its_first_stored_article(db, monkeypatch):
    """The race store_articles cannot see: a text stored by a concurrent run between its check of what is stored
    and its insert. The batch chose that text a new id and story, which a copy in the batch joined; the text itself
    is then skipped as a conflict, and the story must not be left named after an id no article has."""
    pair = next(p for p in pairs() if p["label"] == "same")
    first, copy = (article_row(article(side), FETCHED, "1") for side in (pair["a"], pair["b"]))
    with Session(db) as s:  # the other run's insert, its keys not yet committed
        s.execute(insert(table_of(StoredArticle)).values({k: v for k, v in first.items() if k != "story"}))
        s.execute(sa.text("UPDATE articles SET story_id = id"))
        s.commit()
    monkeypatch.setattr(articles_storage, "_stored_identities", lambda session, identities: set())
    with Session(db) as s:
        outcomes = [result.outcome for result in store_articles(s, [first, copy], [None, None])]
        s.commit()
    assert outcomes == ["duplicate", "new"]
    with db.connect() as connection:
        stories = dict(connection.execute(sa.text("SELECT id, story_id FROM articles")).all())
    assert set(stories.values()) <= set(stories)  # every story is named after an article that exists
    assert story_of(db, pair["b"]["url"]) == max(stories)  # the copy is its story's first stored article
