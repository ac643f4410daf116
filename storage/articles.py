"""Articles, their revisions and their raw inputs: dedup on (outlet, dedup key), a changed text becomes a revision.
Plain functions taking a Session; the caller commits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from newsmon import model
from newsmon.search_text import normalise, normalised_search_vector
from newsmon.storage.models import Article, ArticleRevision, RawInput, table_of
from newsmon.storage.rows import PackedRaw, copy_into_temp, packed, strip_nul
from newsmon.storage.stories import choose_stories, repair_orphaned_stories, replace_story_keys, save_story_keys
from newsmon.stories import Signature, search_normal_signature


@dataclass(frozen=True)
class StoreResult:
    # "older": the stored text is newer than this one (an archive imported after live polling), so it stays
    outcome: Literal["new", "updated", "duplicate", "older"]
    id: int


def _content_columns(
    article: model.Article, parser_version: str, content_hash: str, search_vector: str
) -> dict[str, Any]:
    """The columns that change when an article's text changes. The URL too: an article keyed by its outlet's id
    keeps that id when a retitle changes its URL's slug, and the newest URL is its address (raw_inputs keep the
    older ones)."""
    return {
        "url": article.url,
        "title": article.title,
        "paragraphs": article.paragraphs,
        "body": article.body,
        "content_hash": content_hash,
        "summary": article.summary,
        "authors": article.authors,
        "images": [asdict(image) for image in article.images],
        "language": article.language,
        "parser": article.parser,
        "parser_version": parser_version,
        "search_vector": search_vector,
    }


_CONTENT_FIELDS = tuple(_content_columns(model.Article("", "", "", []), "", "", ""))
_TEXT_FIELDS = [f.name for f in fields(model.Article) if f.name not in ("published_at", "images")]


def article_row(article: model.Article, fetched_at: datetime, parser_version: str) -> dict[str, Any]:
    """The articles row for a parsed article, NUL bytes stripped, and under "story" (not a column) its story
    signature: pure CPU work, which importers do in their worker processes. Title and body are normalised once, for
    the search vector and the signature both."""
    clean = replace(
        article, **{name: strip_nul(getattr(article, name)) for name in _TEXT_FIELDS},
        images=[model.Image(*strip_nul([image.url, image.caption])) for image in article.images],
    )
    text_hash = clean.content_hash
    title, body = normalise(clean.title), normalise(clean.body)
    return {
        "outlet": clean.outlet,
        "outlet_article_id": clean.article_id,
        "dedup_key": model.dedup_key(clean.article_id, clean.url, clean.guid, text_hash),
        "url": clean.url,
        "guid": clean.guid,
        "published_at": clean.published_at,
        "published_raw": clean.published_raw,
        "fetched_at": fetched_at,
        "updated_at": fetched_at,
        **_content_columns(clean, strip_nul(parser_version), text_hash, normalised_search_vector(title, body)),
        "story": search_normal_signature(title, body, outlet=clean.outlet, url=clean.url,
                                         published_at=clean.published_at),
    }


def store_article(
    session: Session,
    article: model.Article,
    raw: model.RawInput | PackedRaw | None,
    fetched_at: datetime,
    parser_version: str,
) -> StoreResult:
    """Insert the article with its story, or record a new revision of it if its text changed, or nothing if not.

    A text fetched no later than the stored one (fetched_at up to its updated_at) never replaces it.
    Safe under concurrent runs: the insert is ON CONFLICT DO NOTHING and the update path locks the row.
    """
    row = article_row(article, fetched_at, parser_version)
    raw_packed = packed(raw)
    story = row.pop("story")
    if not _stored_identities(session, [(row["outlet"], row["dedup_key"])]):
        [article_id] = _new_ids(session, 1)
        [story_id] = choose_stories(session, [(article_id, story)])
        inserted = session.exec(
            insert(Article).values(id=article_id, story_id=story_id, **row)
            .on_conflict_do_nothing(index_elements=["outlet", "dedup_key"])
            .returning(col(Article.id))
        ).scalar()
        if inserted is not None:
            _store_raws(session, [(article_id, raw_packed, fetched_at)])
            save_story_keys(session, [(article_id, story)])
            return StoreResult("new", article_id)
    return _store_existing(session, row, story, raw_packed, fetched_at)


def _stored_identities(session: Session, identities: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of these (outlet, dedup key) that are stored."""
    return {
        (outlet, key) for outlet, key in session.execute(
            sa.select(col(Article.outlet), col(Article.dedup_key))
            .where(sa.tuple_(Article.outlet, Article.dedup_key).in_(identities))
        )
    }


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for articles about to be stored, ascending: taken before the insert, so that an article is inserted with
    its story (the story of a new one is its own id) instead of being updated after it, which would cost a second
    row version and a second set of index entries, the search index's among them."""
    return sorted(session.connection().execute(
        sa.text("SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, :count)"),
        {"count": count},
    ).scalars())


def _store_existing(
    session: Session, row: dict[str, Any], story: Signature, raw: PackedRaw | None, fetched_at: datetime
) -> StoreResult:
    existing = session.exec(
        select(Article)
        .where(Article.outlet == row["outlet"], Article.dedup_key == row["dedup_key"])
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row, not a copy this session saw earlier
    ).one()
    assert existing.id is not None  # a stored row
    # fill what an earlier parse lacked, without counting it as a revision
    for field in ("published_at", "published_raw", "guid"):
        if getattr(existing, field) is None and row[field] is not None:
            setattr(existing, field, row[field])

    if existing.content_hash == row["content_hash"]:
        session.flush()
        return StoreResult("duplicate", existing.id)
    if fetched_at <= existing.updated_at:  # equal: two texts of one moment; the first stored stays
        session.flush()
        return StoreResult("older", existing.id)

    _keep_revision(session, existing, fetched_at)
    for field in _CONTENT_FIELDS:
        setattr(existing, field, row[field])
    existing.updated_at = fetched_at
    session.flush()
    _store_raws(session, [(existing.id, raw, fetched_at)])
    replace_story_keys(session, existing.id, story)
    return StoreResult("updated", existing.id)



def _keep_revision(session: Session, existing: Article, replaced_at: datetime) -> None:
    """Keep the article's current text as a revision before the caller replaces it."""
    assert existing.id is not None  # a stored row
    session.add(
        ArticleRevision(
            article_id=existing.id,
            revision=existing.revision_count,
            title=existing.title,
            paragraphs=existing.paragraphs,
            content_hash=existing.content_hash,
            parser=existing.parser,
            replaced_at=replaced_at,
        )
    )
    existing.revision_count += 1

def store_articles(session: Session, rows: list[dict[str, Any]], raws: list[PackedRaw | None]) -> list[StoreResult]:
    """store_article for many article_row()s at once, in order: the new ones get their ids and stories in input
    order and go in with one COPY-fed INSERT ... ON CONFLICT DO NOTHING, those already stored are read with one
    SELECT, and only changed texts (revisions) take the one-by-one path."""
    if not rows:
        return []
    identities = [(row["outlet"], row["dedup_key"]) for row in rows]
    stored_before = _stored_identities(session, identities)
    first_of: dict[tuple[str, str], int] = {}
    for i, identity in enumerate(identities):
        if identity not in stored_before:
            first_of.setdefault(identity, i)  # a second copy in this batch is a conflict
    new = list(first_of.values())
    ids = dict(zip(new, _new_ids(session, len(new)), strict=True))
    stories = choose_stories(session, [(ids[i], rows[i]["story"]) for i in new])
    inserted = set(_copy_insert_articles(
        session, [(ids[i], story, rows[i]) for i, story in zip(new, stories, strict=True)]
    )) if new else set()
    repair_orphaned_stories(session, [ids[i] for i in new if ids[i] not in inserted])
    results: list[StoreResult | None] = [None] * len(rows)
    for i in new:
        if ids[i] in inserted:
            results[i] = StoreResult("new", ids[i])
    conflicts = [i for i, result in enumerate(results) if result is None]
    _store_raws(session, [(result.id, raws[i], rows[i]["fetched_at"]) for i, result in enumerate(results) if result])
    save_story_keys(session, [(result.id, rows[i]["story"]) for i, result in enumerate(results) if result])

    stored = {}
    if conflicts:
        identities_wanted = {identities[i] for i in conflicts}
        stored = {
            (row.outlet, row.dedup_key): row
            for row in session.execute(
                sa.select(
                    col(Article.id), col(Article.outlet), col(Article.dedup_key), col(Article.content_hash),
                    col(Article.published_at).is_(None).label("lacks_date"),
                    col(Article.guid).is_(None).label("lacks_guid"),
                ).where(sa.tuple_(Article.outlet, Article.dedup_key).in_(list(identities_wanted)))
            )
        }
    for i in conflicts:
        row, existing = rows[i], stored[identities[i]]
        fills_gap = (existing.lacks_date and row["published_at"]) or (existing.lacks_guid and row["guid"])
        if existing.content_hash == row["content_hash"] and not fills_gap:
            results[i] = StoreResult("duplicate", existing.id)
        else:
            results[i] = _store_existing(session, row, row["story"], raws[i], row["fetched_at"])
    return [result for result in results if result is not None]


_JSONB_COLUMNS = frozenset({"paragraphs", "authors", "images"})


def _copy_insert_articles(session: Session, articles: list[tuple[int, int, dict[str, Any]]]) -> list[int]:
    """Insert (id, story id, article_row) through a COPY-fed temporary table, skipping stored ones; return the ids
    inserted."""
    row_columns = [name for name in articles[0][2] if name != "story"]  # article_row's, every row alike
    columns = ", ".join(["id", "story_id", *row_columns])
    cursor = copy_into_temp(
        session, "articles_batch", "LIKE articles INCLUDING DEFAULTS", ["id", "story_id", *row_columns],
        ([id, story, *(Jsonb(row[name]) if name in _JSONB_COLUMNS else row[name] for name in row_columns)]
         for id, story, row in articles),
    )
    cursor.execute(
        f"INSERT INTO articles ({columns}) SELECT {columns} FROM articles_batch"
        " ON CONFLICT (outlet, dedup_key) DO NOTHING RETURNING id"
    )
    return [id for (id,) in cursor.fetchall()]


def _store_raws(session: Session, raws: list[tuple[int, PackedRaw | None, datetime]]) -> None:
    rows = [
        {
            "article_id": article_id,
            "kind": raw.kind,
            "url": raw.url,
            "content_type": raw.content_type,
            "content": raw.compressed,
            "content_sha256": raw.sha256,
            "fetched_at": fetched_at,
        }
        for article_id, raw, fetched_at in raws
        if raw is not None
    ]
    if rows:
        session.connection().execute(
            insert(table_of(RawInput)).on_conflict_do_nothing(index_elements=["article_id", "content_sha256"]), rows
        )


def get_article(session: Session, id: int) -> Article | None:
    return session.get(Article, id)


def find_article(session: Session, outlet: str, key: str) -> Article | None:
    """The stored article with this dedup key (model.dedup_key), if any."""
    return session.exec(select(Article).where(Article.outlet == outlet, Article.dedup_key == key)).first()


def store_reparse(session: Session, article_id: int, row: dict[str, Any], reparsed_at: datetime) -> bool:
    """An article parsed again from its stored raw input by a newer parser version (an article_row() of it): a text
    cut differently (title or paragraphs) becomes a revision, the old text kept; either way the article gets the new
    parse's columns and version. Its updated_at stays: the text is still the one fetched then. True when it was cut
    differently."""
    existing = session.get(Article, article_id, with_for_update=True, populate_existing=True)
    if existing is None:  # pruned meanwhile
        return False
    changed = (existing.title, existing.paragraphs) != (row["title"], row["paragraphs"])
    if changed:
        _keep_revision(session, existing, reparsed_at)
    for field in _CONTENT_FIELDS:
        setattr(existing, field, row[field])
    session.flush()
    if changed:
        replace_story_keys(session, article_id, row["story"])
    return changed


def parse_versions(session: Session) -> list[tuple[str, str, int]]:
    """(parser key, parser version, articles) of every stored parse: the key is what `parser` names before its dot."""
    key = sa.func.split_part(col(Article.parser), ".", 1)
    rows = session.execute(
        sa.select(key, col(Article.parser_version), sa.func.count()).group_by(key, col(Article.parser_version))
    )
    return [(parser_key, version, count) for parser_key, version, count in rows]


def parsed_with(
    session: Session, parses: list[tuple[str, str]], after_id: int, limit: int
) -> list[tuple[Article, RawInput | None]]:
    """The next articles (by id, after after_id) of these (parser key, parser version) parses, each with the raw
    input its current text was parsed from (its newest), None when it has none."""
    key = sa.func.split_part(col(Article.parser), ".", 1)
    articles = list(session.exec(
        select(Article)
        .where(sa.tuple_(key, col(Article.parser_version)).in_(parses), col(Article.id) > after_id)
        .order_by(col(Article.id))
        .limit(limit)
    ))
    newest: dict[int, RawInput] = {}
    for raw in session.exec(
        select(RawInput)
        .where(col(RawInput.article_id).in_([article.id for article in articles]))
        .order_by(col(RawInput.fetched_at).desc(), col(RawInput.id).desc())
    ):
        newest.setdefault(raw.article_id, raw)
    return [(article, newest.get(article.id)) for article in articles]  # type: ignore[arg-type]  # stored: has an id
