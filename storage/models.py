"""The newsmon tables. storage/migrations/versions creates them; keep the two in step
(tests/integration/test_storage.py compares them)."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, LargeBinary, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlmodel import Field, SQLModel

# datetime fields map to sqlmodel's UTCDateTime: timestamptz, aware values only, read back in UTC.


def _jsonb_list() -> Column:
    return Column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))


def _article_fk() -> Column:
    # no index of its own: each table's unique constraint starts with article_id
    return Column(BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)


class Source(SQLModel, table=True):
    __tablename__ = "sources"

    outlet: str = Field(primary_key=True)  # e.g. "bbc"
    name: str
    parser: str
    time_zone: str
    updated_at: datetime


class Feed(SQLModel, table=True):
    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    outlet: str = Field(foreign_key="sources.outlet", index=True)
    url: str = Field(unique=True)
    etag: str | None = None
    last_modified: str | None = None  # the Last-Modified header, verbatim, for If-Modified-Since
    last_status: int | None = None
    last_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_errors: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    last_error: str | None = Field(default=None, sa_type=Text)
    items_seen_total: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    next_poll_at: datetime | None = None  # a failing feed is skipped until then (its back-off)


class FetchLog(SQLModel, table=True):
    __tablename__ = "fetch_log"
    __table_args__ = (Index("ix_fetch_log_outlet_started_at", "outlet", "started_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    outlet: str
    url: str
    kind: str  # "feed" or "page"
    started_at: datetime
    status_code: int | None = None
    not_modified: bool = False
    ok: bool
    error: str | None = Field(default=None, sa_type=Text)
    elapsed_ms: int | None = None
    bytes: int | None = None
    run_id: str | None = None  # the Prefect flow run id


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("outlet", "dedup_key", name="uq_articles_outlet_dedup_key"),
        Index("ix_articles_outlet_published_at", "outlet", text("published_at DESC")),
        Index("ix_articles_search", "search_vector", postgresql_using="gin"),
        Index("ix_articles_story_id", "story_id"),
        Index("ix_articles_event_id", "event_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    outlet: str
    outlet_article_id: str | None = None
    dedup_key: str  # see newsmon.model.dedup_key
    url: str = Field(index=True)
    guid: str | None = None
    title: str = Field(sa_type=Text)
    paragraphs: list[str] = Field(default_factory=list, sa_column=_jsonb_list())
    body: str = Field(sa_type=Text)  # paragraphs joined by "\n\n", for search
    summary: str | None = Field(default=None, sa_type=Text)
    authors: list[str] = Field(default_factory=list, sa_column=_jsonb_list())
    images: list[dict] = Field(default_factory=list, sa_column=_jsonb_list())  # [{"url", "caption"}]
    published_at: datetime | None = None
    published_raw: str | None = None
    fetched_at: datetime  # first fetched
    updated_at: datetime  # when the current text was fetched
    language: str
    content_hash: str
    parser: str
    parser_version: str
    revision_count: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    # title and body as newsmon.search_text tokenises them (a tsvector literal on the way in); None: not indexed
    search_vector: str | None = Field(default=None, sa_column=Column(TSVECTOR))
    # the id of the first stored article of its story (newsmon/stories.py); None: not yet assigned (stored before
    # stories existed: the maintenance assigns it)
    story_id: int | None = Field(default=None, sa_type=BigInteger)
    # the id of the first assigned article of its event (newsmon/events.py); None: not yet assigned (the maintenance
    # assigns events, not the import)
    event_id: int | None = Field(default=None, sa_type=BigInteger)


class StoryKey(SQLModel, table=True):
    """An article's MinHash band keys (newsmon.stories.bands): articles sharing a key are candidates for one story."""

    __tablename__ = "story_keys"
    __table_args__ = (Index("ix_story_keys_article_id", "article_id"),)

    key: int = Field(sa_type=BigInteger, primary_key=True)
    article_id: int = Field(sa_column=Column(BigInteger, ForeignKey("articles.id", ondelete="CASCADE"),
                                             primary_key=True))


class EventKey(SQLModel, table=True):
    """An article's key terms' hashes (newsmon.events.key_hashes) at its time: articles sharing keys within the window
    are candidates for one event."""

    __tablename__ = "event_keys"
    __table_args__ = (Index("ix_event_keys_article_id", "article_id"),)

    key: int = Field(sa_type=BigInteger, primary_key=True)
    published_at: datetime = Field(primary_key=True)  # else fetched_at
    article_id: int = Field(sa_column=Column(BigInteger, ForeignKey("articles.id", ondelete="CASCADE"),
                                             primary_key=True))


class ArticleRevision(SQLModel, table=True):
    """The text an article had before its body changed."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "revision", name="uq_article_revisions_article_revision"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    article_id: int = Field(sa_column=_article_fk())
    revision: int  # the article's revision_count while this text was current
    title: str = Field(sa_type=Text)
    paragraphs: list[str] = Field(default_factory=list, sa_column=_jsonb_list())
    content_hash: str
    parser: str
    replaced_at: datetime


class RawInput(SQLModel, table=True):
    """What a stored article version was parsed from, compressed (see storage.rows.unpack)."""

    __tablename__ = "raw_inputs"
    __table_args__ = (UniqueConstraint("article_id", "content_sha256", name="uq_raw_inputs_article_sha256"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    article_id: int = Field(sa_column=_article_fk())
    kind: str
    url: str | None = None
    content_type: str | None = None
    content: bytes = Field(sa_type=LargeBinary)
    content_sha256: str  # of the uncompressed content
    fetched_at: datetime


class ItemFailure(SQLModel, table=True):
    """A feed item (or archived post) that did not make it into articles; kept with its raw input, for runs to retry
    on a back-off until it is given up, and for the operator (newsmon failures list | retry | dismiss)."""

    __tablename__ = "item_failures"
    __table_args__ = (
        UniqueConstraint("outlet", "item_key", name="uq_item_failures_outlet_item_key"),
        Index("ix_item_failures_stage_open", "stage", postgresql_where=text("resolved_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    outlet: str
    item_key: str  # the item's guid, link or hash
    url: str | None = None
    stage: str  # "page", "parse", "store", "import", ...
    reason: str | None = None  # the kind of failure in one word: no-link, invalid-utf8, too-large, ...
    error: str = Field(sa_type=Text)
    raw: bytes | None = Field(default=None, sa_type=LargeBinary)  # compressed, like RawInput.content
    raw_kind: str | None = None
    raw_url: str | None = None
    raw_content_type: str | None = None
    attempts: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})
    first_failed_at: datetime
    last_failed_at: datetime
    resolved_at: datetime | None = None
    next_attempt_at: datetime | None = None  # live polling retries it from then on (None: at the next run)
    given_up_at: datetime | None = None  # too many attempts, or too old: kept and listed, no longer retried
    dismissed_at: datetime | None = None  # by the operator: kept, no longer retried, hidden from the list


class ArticleRelevance(SQLModel, table=True):
    """How an article concerns the United Nations (relevance.classify), as of the model that scored it."""

    __tablename__ = "article_relevance"
    __table_args__ = (Index("ix_article_relevance_level", "level"),)

    article_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    )
    level: str  # core, mention or none
    score: float
    bodies: list[str] = Field(default_factory=list, sa_column=_jsonb_list())
    evidence: list[dict] = Field(default_factory=list, sa_column=_jsonb_list())
    model: str  # the lexicon's fingerprint; `newsmon un rescore` redoes rows of other models
    scored_at: datetime


class Alert(SQLModel, table=True):
    """The alert outbox: one row per article and channel, written in the transaction that stores the article,
    sent by a separate step. The unique key is what makes an alert happen once; its id is the key its messages carry
    (newsmon-alert-ID). An attempt is committed before the channel is called (attempts, last_attempt_at,
    sending_since), and its outcome after: a row still `sending_since` that no live delivery holds was being sent
    when its process died."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        UniqueConstraint("article_id", "channel", name="uq_alert_outbox_article_channel"),
        Index("ix_alert_outbox_pending", "channel", "created_at", postgresql_where=text("sent_at IS NULL")),
        # one alert per story and channel: a later outlet's copy joins the story's alert instead of raising its own
        Index("uq_alert_outbox_story_channel", "story_id", "channel", unique=True,
              postgresql_where=text("story_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    article_id: int = Field(sa_column=_article_fk())
    channel: str
    level: str
    created_at: datetime
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    last_error: str | None = Field(default=None, sa_type=Text)
    last_attempt_at: datetime | None = None
    sending_since: datetime | None = None  # an attempt began then and its outcome is not recorded yet
    story_id: int | None = Field(default=None, sa_type=BigInteger)  # None: enqueued before the article had a story
    sent_at: datetime | None = None


def table_of(model: type[SQLModel]) -> Table:
    """The Table of a table=True model (SQLModel sets __table__ on the class without declaring it)."""
    return model.__table__  # type: ignore[attr-defined]


NEWSMON_TABLES = [
    table_of(model)
    for model in (Source, Feed, FetchLog, Article, ArticleRevision, RawInput, ItemFailure, ArticleRelevance, Alert)
]
