"""Reads and writes on the newsmon tables. Plain functions taking a Session; the caller commits."""

import hashlib
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, select

from newsmon.parsers import model as parsed
from newsmon.storage.models import (
    Alert,
    Article,
    ArticleRelevance,
    ArticleRevision,
    Feed,
    FetchLog,
    ItemFailure,
    RawInput,
    Source,
)


IMPORT_STAGE = "import"  # failures of archive imports, retried by `newsmon import --retry-failed`, not by polling


@dataclass(frozen=True)
class StoreResult:
    # "older": the stored text is newer than this one (an archive imported after live polling), so it stays
    outcome: Literal["new", "updated", "duplicate", "older"]
    id: int


@dataclass(frozen=True)
class PackedRaw:
    """A RawInput compressed for the raw_inputs table; packing is CPU work, so importers do it in their workers."""

    kind: str
    url: str | None
    content_type: str | None
    compressed: bytes
    sha256: str


def pack_raw(raw: parsed.RawInput) -> PackedRaw:
    return PackedRaw(
        kind=raw.kind,
        url=strip_nul(raw.url),
        content_type=strip_nul(raw.content_type),
        compressed=compress(raw.content),
        sha256=hashlib.sha256(raw.content).hexdigest(),
    )


def dedup_key(article: parsed.Article) -> str:
    """The most stable identity the article has, unique per outlet."""
    if article.article_id:
        return f"id:{article.article_id}"
    if article.url:
        return f"url:{article.url}"
    if article.guid:
        return f"guid:{article.guid}"
    return f"hash:{article.content_hash}"


def strip_nul(value: Any) -> Any:
    """PostgreSQL rejects NUL in text and in JSONB strings; drop it wherever it hides."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [strip_nul(item) for item in value]
    if isinstance(value, dict):
        return {strip_nul(key): strip_nul(item) for key, item in value.items()}
    return value


def compress(content: bytes) -> bytes:
    return zlib.compress(content, 1)  # level 1: a third of the CPU of the default for a few percent more bytes


def raw_content(raw_row: RawInput | ItemFailure) -> bytes:
    """The uncompressed bytes of a raw_inputs row (or of an item failure's raw)."""
    data = raw_row.content if isinstance(raw_row, RawInput) else raw_row.raw
    # wbits 32+15: accept both zlib and gzip framing
    return zlib.decompress(data, wbits=47) if data is not None else b""


def _content_columns(article: parsed.Article, parser_version: str) -> dict[str, Any]:
    """The columns that change when an article's text changes, cleaned for PostgreSQL."""
    title, paragraphs = strip_nul(article.title), strip_nul(article.paragraphs)
    return {
        "title": title,
        "paragraphs": paragraphs,
        "body": "\n\n".join(paragraphs),
        "content_hash": parsed.content_hash(title, paragraphs),
        "summary": strip_nul(article.summary),
        "authors": strip_nul(article.authors),
        "images": [strip_nul(asdict(image)) for image in article.images],
        "language": strip_nul(article.language),
        "parser": strip_nul(article.parser),
        "parser_version": strip_nul(parser_version),
    }


def article_row(article: parsed.Article, fetched_at: datetime, parser_version: str) -> dict[str, Any]:
    """The articles row for a parsed article: pure CPU work, which importers do in their worker processes."""
    return {
        "outlet": strip_nul(article.outlet),
        "outlet_article_id": strip_nul(article.article_id),
        "dedup_key": strip_nul(dedup_key(article)),
        "url": strip_nul(article.url),
        "guid": strip_nul(article.guid),
        "published_at": article.published_at,
        "published_raw": strip_nul(article.published_raw),
        "fetched_at": fetched_at,
        "updated_at": fetched_at,
        **_content_columns(article, parser_version),
    }


def store_article(
    session: Session,
    article: parsed.Article,
    raw: parsed.RawInput | PackedRaw | None,
    fetched_at: datetime,
    parser_version: str,
) -> StoreResult:
    """Insert the article, or record a new revision of it if its text changed, or nothing if not.

    A text fetched no later than the stored one (fetched_at up to its updated_at) never replaces it.
    Safe under concurrent runs: the insert is ON CONFLICT DO NOTHING and the update path locks the row.
    """
    row = article_row(article, fetched_at, parser_version)
    packed = pack_raw(raw) if isinstance(raw, parsed.RawInput) else raw
    inserted_id = session.exec(
        insert(Article).values(**row).on_conflict_do_nothing(index_elements=["outlet", "dedup_key"]).returning(Article.id)
    ).scalar()
    if inserted_id is not None:
        _store_raws(session, [(inserted_id, packed, fetched_at)])
        return StoreResult("new", inserted_id)
    return _store_existing(session, row, packed, fetched_at)


def _store_existing(session: Session, row: dict[str, Any], packed: PackedRaw | None, fetched_at: datetime) -> StoreResult:
    existing = session.exec(
        select(Article)
        .where(Article.outlet == row["outlet"], Article.dedup_key == row["dedup_key"])
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked row, not a copy this session saw earlier
    ).one()
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

    session.add(
        ArticleRevision(
            article_id=existing.id,
            revision=existing.revision_count,
            title=existing.title,
            paragraphs=existing.paragraphs,
            content_hash=existing.content_hash,
            parser=existing.parser,
            replaced_at=fetched_at,
        )
    )
    for field in _CONTENT_FIELDS:
        setattr(existing, field, row[field])
    existing.revision_count += 1
    existing.updated_at = fetched_at
    session.flush()
    _store_raws(session, [(existing.id, packed, fetched_at)])
    return StoreResult("updated", existing.id)


_CONTENT_FIELDS = tuple(_content_columns(parsed.Article("", "", "", []), "").keys())


def store_articles(session: Session, rows: list[dict[str, Any]], raws: list[PackedRaw | None]) -> list[StoreResult]:
    """store_article for many article_row()s at once, in order: one multi-row INSERT ... ON CONFLICT DO NOTHING
    for all, one SELECT for those already stored, and the one-by-one path only for changed texts (revisions)."""
    if not rows:
        return []
    inserted = {(outlet, key): id for id, outlet, key in _copy_insert_articles(session, rows)}
    results: list[StoreResult | None] = [None] * len(rows)
    conflicts = []
    for i, row in enumerate(rows):
        identity = (row["outlet"], row["dedup_key"])
        if identity in inserted:
            results[i] = StoreResult("new", inserted.pop(identity))  # a second copy in this batch is a conflict
        else:
            conflicts.append(i)
    _store_raws(session, [(results[i].id, raws[i], rows[i]["fetched_at"]) for i in range(len(rows)) if results[i]])

    stored = {}
    if conflicts:
        identities = {(rows[i]["outlet"], rows[i]["dedup_key"]) for i in conflicts}
        stored = {
            (row.outlet, row.dedup_key): row
            for row in session.execute(
                select(
                    Article.id, Article.outlet, Article.dedup_key, Article.content_hash,
                    Article.published_at.is_(None).label("lacks_date"), Article.guid.is_(None).label("lacks_guid"),
                ).where(sa.tuple_(Article.outlet, Article.dedup_key).in_(list(identities)))
            )
        }
    for i in conflicts:
        row, existing = rows[i], stored[(rows[i]["outlet"], rows[i]["dedup_key"])]
        fills_gap = existing.lacks_date and row["published_at"] or existing.lacks_guid and row["guid"]
        if existing.content_hash == row["content_hash"] and not fills_gap:
            results[i] = StoreResult("duplicate", existing.id)
        else:
            results[i] = _store_existing(session, row, raws[i], row["fetched_at"])
    return results


_COPY_COLUMNS = [column.name for column in Article.__table__.columns if column.name not in ("id", "revision_count")]
_JSONB_COLUMNS = frozenset({"paragraphs", "authors", "images"})


def _copy_insert_articles(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """COPY the rows into a temporary table and insert them from there, in order, skipping stored ones.

    A multi-row INSERT of thousands of long Chinese texts spends most of its time building and re-parsing one huge
    SQL string on the client; COPY streams the values as they are."""
    cursor = session.connection().connection.driver_connection.cursor()
    columns = ", ".join(_COPY_COLUMNS)
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS articles_batch (LIKE articles INCLUDING DEFAULTS, position int)"
        " ON COMMIT DELETE ROWS"
    )
    cursor.execute("TRUNCATE articles_batch")  # a second batch in the same transaction
    with cursor.copy(f"COPY articles_batch ({columns}, position) FROM STDIN") as copy:
        for position, row in enumerate(rows):
            copy.write_row(
                [Jsonb(row[name]) if name in _JSONB_COLUMNS else row[name] for name in _COPY_COLUMNS] + [position]
            )
    cursor.execute(
        f"INSERT INTO articles ({columns}) SELECT {columns} FROM articles_batch ORDER BY position"
        " ON CONFLICT (outlet, dedup_key) DO NOTHING RETURNING id, outlet, dedup_key"
    )
    return cursor.fetchall()


def _store_raws(session: Session, raws: list[tuple[int, PackedRaw | None, datetime]]) -> None:
    rows = [
        {
            "article_id": article_id,
            "kind": packed.kind,
            "url": packed.url,
            "content_type": packed.content_type,
            "content": packed.compressed,
            "content_sha256": packed.sha256,
            "fetched_at": fetched_at,
        }
        for article_id, packed, fetched_at in raws
        if packed is not None
    ]
    if rows:
        session.connection().execute(
            insert(RawInput.__table__).on_conflict_do_nothing(index_elements=["article_id", "content_sha256"]), rows
        )


# --- sources and feeds ---


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
    return session.get(Source, outlet, populate_existing=True)


def ensure_feed(session: Session, outlet: str, url: str) -> Feed:
    """The feed's row, created if new. The outlet must exist (ensure_source) first."""
    session.exec(insert(Feed).values(outlet=outlet, url=url).on_conflict_do_nothing(index_elements=["url"]))
    return session.exec(select(Feed).where(Feed.url == url)).one()


def feed_validators(session: Session, url: str) -> tuple[str | None, str | None]:
    """(etag, last_modified) from the feed's last 200, for a conditional GET."""
    row = session.exec(select(Feed.etag, Feed.last_modified).where(Feed.url == url)).first()
    return (row.etag, row.last_modified) if row else (None, None)


def record_feed_result(
    session: Session,
    url: str,
    *,
    ok: bool,
    status_code: int | None,
    error: str | None,
    etag: str | None,
    last_modified: str | None,
    not_modified: bool,
    items_seen: int,
) -> Feed:
    """Update a feed's health after a fetch. A 304 counts as success and keeps the old validators."""
    feed = session.exec(select(Feed).where(Feed.url == url).with_for_update()).one()
    feed.last_fetched_at = sa.func.now()
    feed.last_status = status_code
    if ok:
        feed.last_success_at = sa.func.now()
        feed.consecutive_errors = 0
        feed.last_error = None
        if not not_modified:
            feed.etag, feed.last_modified = strip_nul(etag), strip_nul(last_modified)
        feed.items_seen_total += items_seen
    else:
        feed.consecutive_errors += 1
        feed.last_error = strip_nul(error)
    session.flush()
    session.refresh(feed)
    return feed


def log_fetch(session: Session, **fields: Any) -> FetchLog:
    """Append one fetch_log row; fields are FetchLog's columns."""
    entry = FetchLog(**strip_nul(fields))
    session.add(entry)
    session.flush()
    return entry


# --- item failures ---


def record_item_failure(
    session: Session,
    outlet: str,
    item_key: str,
    url: str | None,
    stage: str,
    error: str,
    raw: parsed.RawInput | PackedRaw | None,
    reason: str | None = None,
) -> ItemFailure:
    """Remember a failed item (and what it was made from), counting attempts; reopens a resolved one."""
    values = {
        "url": strip_nul(url),
        "stage": stage,
        "reason": reason,
        "error": strip_nul(error),
        "last_failed_at": sa.func.now(),
        "resolved_at": None,
    }
    if raw is not None:
        packed = pack_raw(raw) if isinstance(raw, parsed.RawInput) else raw
        values |= {
            "raw": packed.compressed,
            "raw_kind": packed.kind,
            "raw_url": packed.url,
            "raw_content_type": packed.content_type,
        }
    statement = insert(ItemFailure).values(
        outlet=outlet, item_key=strip_nul(item_key), attempts=1, first_failed_at=sa.func.now(), **values
    )
    failure_id = session.exec(
        # a retry without the raw keeps the raw from before
        statement.on_conflict_do_update(
            index_elements=["outlet", "item_key"], set_={**values, "attempts": ItemFailure.attempts + 1}
        ).returning(ItemFailure.id)
    ).scalar_one()
    return session.get(ItemFailure, failure_id, populate_existing=True)


def resolve_item_failures(session: Session, item_keys: list[str]) -> int:
    """Mark the open import failures of these posts resolved (a batch of posts that now stored)."""
    if not item_keys:
        return 0
    result = session.exec(
        sa.update(ItemFailure)
        .where(ItemFailure.stage == IMPORT_STAGE, ItemFailure.resolved_at.is_(None))
        .where(ItemFailure.item_key.in_([strip_nul(key) for key in item_keys]))
        .values(resolved_at=sa.func.now())
    )
    return result.rowcount


def resolve_item_failure(session: Session, outlet: str, item_key: str) -> bool:
    """Mark an item's failure resolved; False if it had none open."""
    result = session.exec(
        sa.update(ItemFailure)
        .where(ItemFailure.outlet == outlet, ItemFailure.item_key == strip_nul(item_key))
        .where(ItemFailure.resolved_at.is_(None))
        .values(resolved_at=sa.func.now())
    )
    return result.rowcount > 0


def pending_item_failures(session: Session, outlet: str | None = None, *, imports: bool = False) -> list[ItemFailure]:
    """Unresolved failures of live ingestion (of one outlet), or of archive imports, oldest first."""
    statement = select(ItemFailure).where(
        ItemFailure.resolved_at.is_(None),
        ItemFailure.stage == IMPORT_STAGE if imports else ItemFailure.stage != IMPORT_STAGE,
    )
    if outlet is not None:
        statement = statement.where(ItemFailure.outlet == outlet)
    return list(session.exec(statement.order_by(ItemFailure.first_failed_at, ItemFailure.id)))


def failure_raw_input(failure: ItemFailure) -> parsed.RawInput | None:
    """The RawInput a failed item was recorded with, decompressed, to retry without the feed."""
    if failure.raw is None:
        return None
    return parsed.RawInput(
        kind=failure.raw_kind, content=raw_content(failure), url=failure.raw_url, content_type=failure.raw_content_type
    )


# --- read side, for the CLI ---


def article_counts(session: Session) -> dict[str, int]:
    rows = session.exec(select(Article.outlet, sa.func.count()).group_by(Article.outlet).order_by(Article.outlet))
    return {outlet: count for outlet, count in rows}


def search_articles(session: Session, query: str, outlet: str | None = None, limit: int = 20) -> list[Article]:
    """Articles whose title or body contains query (case-insensitive), newest first.

    The trigram indexes serve queries of 3+ characters; shorter ones scan."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{strip_nul(escaped)}%"
    statement = select(Article).where(sa.or_(Article.title.ilike(pattern), Article.body.ilike(pattern)))
    if outlet is not None:
        statement = statement.where(Article.outlet == outlet)
    statement = statement.order_by(Article.published_at.desc().nulls_last(), Article.id.desc()).limit(limit)
    return list(session.exec(statement))


def get_article(session: Session, id: int) -> Article | None:
    return session.get(Article, id)


def find_article(session: Session, outlet: str, key: str) -> Article | None:
    """The stored article with this dedup key (see dedup_key), if any."""
    return session.exec(select(Article).where(Article.outlet == outlet, Article.dedup_key == key)).first()


def feed_health(session: Session) -> list[Feed]:
    """Every feed with its health counters, by outlet then URL."""
    return list(session.exec(select(Feed).order_by(Feed.outlet, Feed.url)))


# --- UN relevance and the alert outbox ---


def save_relevance(session: Session, article_id: int, relevance: dict, model: str, scored_at: datetime) -> None:
    """Store (or replace) an article's relevance: relevance.classify's to_json()."""
    save_relevances(session, [(article_id, relevance, model, scored_at)])


def save_relevances(session: Session, items: list[tuple[int, dict, str, datetime]]) -> None:
    """save_relevance for many (article_id, relevance, model, scored_at) at once, through COPY (see
    _copy_insert_articles: the same cost argument)."""
    if not items:
        return
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS relevance_batch (LIKE article_relevance INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    cursor.execute("TRUNCATE relevance_batch")
    columns = "article_id, level, score, bodies, evidence, model, scored_at"
    with cursor.copy(f"COPY relevance_batch ({columns}) FROM STDIN") as copy:
        for article_id, relevance, model, scored_at in items:
            copy.write_row([
                article_id, relevance["level"], relevance["score"], Jsonb(strip_nul(relevance["bodies"])),
                Jsonb(strip_nul(relevance["evidence"])), model, scored_at,
            ])
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in columns.split(", ")[1:])
    cursor.execute(
        f"INSERT INTO article_relevance ({columns}) SELECT DISTINCT ON (article_id) {columns} FROM relevance_batch"
        f" ORDER BY article_id, scored_at DESC ON CONFLICT (article_id) DO UPDATE SET {updates}"
    )


def enqueue_alerts(session: Session, article_id: int, level: str, channels: list[str], created_at: datetime) -> int:
    """One outbox row per channel for the article, unless it has one already (a revision alerts no more).

    Per-story grouping hooks in here: once near-duplicate clusters exist, a user who turns grouping on gets the
    cluster's id as the key instead of the article's (a unique (story, channel) key), so the same story from a
    second outlet finds its row taken."""
    if not channels:
        return 0
    rows = [{"article_id": article_id, "channel": c, "level": level, "created_at": created_at} for c in channels]
    result = session.exec(
        insert(Alert).values(rows).on_conflict_do_nothing(index_elements=["article_id", "channel"]).returning(Alert.id)
    )
    return len(result.all())


def claim_pending_alerts(session: Session, channel: str, limit: int | None = None) -> list[Alert]:
    """Unsent alerts of a channel, oldest first, locked until the session ends; rows another run holds are skipped,
    so two overlapping runs never send the same alert."""
    statement = (
        select(Alert)
        .where(Alert.channel == channel, Alert.sent_at.is_(None))
        .order_by(Alert.created_at, Alert.id)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(statement.limit(limit) if limit else statement))


def alert_view(session: Session, alert_ids: list[int]) -> dict[int, tuple[Article, ArticleRelevance | None]]:
    """The article and relevance behind each alert, for the message."""
    rows = session.exec(
        select(Alert.id, Article, ArticleRelevance)
        .join(Article, Article.id == Alert.article_id)
        .join(ArticleRelevance, ArticleRelevance.article_id == Article.id, isouter=True)
        .where(Alert.id.in_(alert_ids))
    )
    return {alert_id: (article, relevance) for alert_id, article, relevance in rows}


def list_alerts(session: Session, status: str | None = None, limit: int = 50) -> list[tuple[Alert, Article]]:
    """Alerts newest first: pending (never tried), failed (tried, not sent) or sent."""
    statement = select(Alert, Article).join(Article, Article.id == Alert.article_id)
    if status == "sent":
        statement = statement.where(Alert.sent_at.is_not(None))
    elif status == "pending":
        statement = statement.where(Alert.sent_at.is_(None), Alert.attempts == 0)
    elif status == "failed":
        statement = statement.where(Alert.sent_at.is_(None), Alert.attempts > 0)
    return list(session.exec(statement.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


def alerts_created_since(session: Session, since: datetime) -> list[tuple[str, str, str, str, list[str]]]:
    """(level, outlet, title, url, bodies) of the articles that got alerts since a moment: a run's new UN items."""
    rows = session.exec(
        select(Alert.level, Article.outlet, Article.title, Article.url, ArticleRelevance.bodies)
        .join(Article, Article.id == Alert.article_id)
        .join(ArticleRelevance, ArticleRelevance.article_id == Article.id, isouter=True)
        .where(Alert.created_at >= since)
        .distinct()
        .order_by(Article.outlet, Article.title)
    )
    return [(level, outlet, title, url, list(bodies or [])) for level, outlet, title, url, bodies in rows]
