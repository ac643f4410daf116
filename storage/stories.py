"""Stories in the database: every stored article's MinHash band keys (story_keys) and its story (articles.story_id,
the id of the story's first stored article). newsmon/stories.py decides what is one story; this finds the
candidates through the keys' index, so the cost of a new article does not grow with the table. Plain functions
taking a Session; the caller commits."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from newsmon.stories import Signature, bands, same_story, signature

# Signatures of recently stored articles, by id: a copy usually comes soon after its original, and recomputing a
# candidate's signature from its stored text costs a millisecond. About 25 kB each.
_RECENT_SIGNATURES = 2_000
_recent: OrderedDict[int, Signature] = OrderedDict()
# A key shared by many articles is a template's (a daily tally's opening): its newest few are candidates enough, and
# the cost of a new article stays bounded however many share it.
PER_KEY = 20
CANDIDATES = 20  # at most this many are judged, those sharing the most keys


def _remember(article_id: int, sig: Signature) -> None:
    _recent[article_id] = sig
    _recent.move_to_end(article_id)
    while len(_recent) > _RECENT_SIGNATURES:
        _recent.popitem(last=False)


def assign_stories(session: Session, articles: Sequence[tuple[int, Signature]]) -> list[int]:
    """choose_stories for articles stored without one (stored before stories existed), their stories set and their
    keys stored; return the story ids."""
    stories = choose_stories(session, articles)
    session.connection().execute(
        sa.text("UPDATE articles AS a SET story_id = s.story FROM unnest(CAST(:ids AS bigint[]),"
                " CAST(:stories AS bigint[])) AS s(id, story) WHERE a.id = s.id"),
        {"ids": [article_id for article_id, _ in articles], "stories": stories},
    )
    save_story_keys(session, articles)
    return stories


def choose_stories(session: Session, articles: Sequence[tuple[int, Signature]]) -> list[int]:
    """The story of each article (id, signature) about to be stored, in order. An article joins the story of the
    first candidate that is the same story (same_story), candidates tried by the number of keys they share, most
    first; with none, it starts its own story (its own id). Candidates are the articles sharing a key: stored
    before with their keys, or earlier in this list. Writes nothing: the caller stores each article with its story,
    then its keys (save_story_keys)."""
    if not articles:
        return []
    keys_of = {article_id: bands(sig) for article_id, sig in articles}
    sharing: dict[int, list[int]] = {}  # key -> article ids that have it
    story_of: dict[int, int] = {}
    wanted = sorted({key for keys in keys_of.values() for key in keys})
    for key, article_id, story_id in session.connection().execute(
        sa.text("SELECT w.key, k.article_id, a.story_id FROM unnest(CAST(:keys AS bigint[])) AS w(key)"
                " CROSS JOIN LATERAL (SELECT article_id FROM story_keys WHERE key = w.key"
                " ORDER BY article_id DESC LIMIT :per_key) AS k"
                " JOIN articles AS a ON a.id = k.article_id WHERE a.story_id IS NOT NULL"),
        {"keys": wanted, "per_key": PER_KEY},
    ):
        sharing.setdefault(key, []).append(article_id)
        story_of[article_id] = story_id
    stories = []
    for article_id, sig in articles:
        shared: dict[int, int] = {}
        for key in keys_of[article_id]:
            for other in sharing.get(key, ())[-PER_KEY:]:
                shared[other] = shared.get(other, 0) + 1
        story = article_id
        ranked = sorted(shared, key=lambda other: (-shared[other], other))[:CANDIDATES]
        signatures = _signatures(session, [other for other in ranked if other not in _recent])
        for other in ranked:
            other_sig = _recent.get(other) or signatures.get(other)
            if other_sig is not None and same_story(sig, other_sig).same:
                story = story_of[other]
                break
        story_of[article_id] = story
        stories.append(story)
        _remember(article_id, sig)
        for key in keys_of[article_id]:
            sharing.setdefault(key, []).append(article_id)
    return stories


def save_story_keys(session: Session, articles: Sequence[tuple[int, Signature]]) -> None:
    """Store the band keys of stored articles, through which later articles find them."""
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None  # a checked-out connection
    with driver_connection.cursor().copy("COPY story_keys (key, article_id) FROM STDIN") as copy:
        for article_id, sig in articles:
            for key in dict.fromkeys(bands(sig)):  # a key twice in one article (an empty lead's band) is stored once
                copy.write_row((key, article_id))


def replace_story_keys(session: Session, article_id: int, sig: Signature) -> None:
    """A stored article's text changed (a revision): later copies of the new text find it through the new text's
    keys. Its story stays: it is still one article."""
    session.connection().execute(sa.text("DELETE FROM story_keys WHERE article_id = :id"), {"id": article_id})
    save_story_keys(session, [(article_id, sig)])
    if article_id in _recent:
        _remember(article_id, sig)


def repair_orphaned_stories(session: Session, never_stored: Sequence[int]) -> None:
    """Articles whose story was chosen as one of these ids, which ended up never stored (a concurrent run stored
    that text first): the story is renamed after its first stored article."""
    if never_stored:
        session.connection().execute(
            sa.text("UPDATE articles AS a SET story_id = f.first FROM (SELECT story_id, min(id) AS first"
                    " FROM articles WHERE story_id = ANY(CAST(:ids AS bigint[])) GROUP BY story_id) AS f"
                    " WHERE a.story_id = f.story_id"),
            {"ids": list(never_stored)},
        )


def _signatures(session: Session, ids: list[int]) -> dict[int, Signature]:
    """Signatures of stored articles, computed from their stored text (for candidates no longer remembered)."""
    if not ids:
        return {}
    rows = session.connection().execute(
        sa.text("SELECT id, title, body, outlet, url, published_at FROM articles WHERE id = ANY(:ids)"), {"ids": ids}
    )
    return {row.id: signature(row.title, row.body, outlet=row.outlet, url=row.url, published_at=row.published_at)
            for row in rows}


def unassigned_articles(session: Session, limit: int) -> list[tuple[int, Signature]]:
    """Up to limit articles stored without a story (before stories existed), oldest first, with their signatures."""
    rows = session.connection().execute(
        sa.text("SELECT id, title, body, outlet, url, published_at FROM articles WHERE story_id IS NULL"
                " ORDER BY id LIMIT :limit"), {"limit": limit}
    )
    return [(row.id, signature(row.title, row.body, outlet=row.outlet, url=row.url, published_at=row.published_at))
            for row in rows]


def count_unassigned(session: Session) -> int:
    return session.connection().scalar(sa.text("SELECT count(*) FROM articles WHERE story_id IS NULL")) or 0
