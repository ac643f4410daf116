"""SQLAlchemy engines on the newsmon database (storage/connect.py says where it is), migrations, bulk loads."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import Session

from newsmon import settings
from newsmon.storage import connect
from newsmon.storage.connect import MIGRATIONS_DIR, ensure_database, head_revision, schema_at_head

__all__ = ["ensure_database", "head_revision"]  # defined in storage.connect; callers and tests find them here too

_MIGRATION_LOCK_KEY = 0x6E65_7773_6D6F_6E  # "newsmon": serialises upgrades from concurrent processes
_BULK_LOAD_LOCK_KEY = _MIGRATION_LOCK_KEY + 1  # one bulk load at a time owns the search indexes

_lock = threading.Lock()
_databases_ensured: set[str] = set()
_engines: dict[str, Engine] = {}


def psycopg_url(url: str) -> str:
    """postgres:// and postgresql:// URLs (Heroku style, libpq style) -> SQLAlchemy's psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def database_url() -> str:
    """SQLAlchemy's URL of the newsmon database: DATABASE_URL if set, else the embedded server's (attached, or
    started and left running; the database created on first use)."""
    if configured := settings.current().database_url:
        return psycopg_url(configured)
    url = connect.database_url()
    with _lock:
        if url not in _databases_ensured:
            ensure_database(url)
            _databases_ensured.add(url)
    return psycopg_url(url)


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (default: database_url()), its schema brought to head on first use."""
    url = psycopg_url(url) if url else database_url()
    with _lock:
        created = url not in _engines
        if created:
            _engines[url] = sa.create_engine(url, pool_pre_ping=True)
        engine = _engines[url]
    if created:
        ensure_schema(engine)
    return engine


def _as_engine(engine_or_url: Engine | str | None) -> Engine:
    return engine_or_url if isinstance(engine_or_url, Engine) else get_engine(engine_or_url)


def alembic_config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine_or_url: Engine | str | None = None) -> None:
    """Migrate to head, in one transaction; a no-op when already there. Also rebuilds search indexes that a bulk
    load dropped and did not get to build again (it was killed)."""
    with _as_engine(engine_or_url).begin() as connection:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")
        if connection.scalar(sa.text("SELECT pg_try_advisory_lock_shared(:key)"), {"key": _BULK_LOAD_LOCK_KEY}):
            try:  # no bulk load is running: its dropped indexes are not coming back by themselves
                _create_search_indexes(connection)
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock_shared(:key)"), {"key": _BULK_LOAD_LOCK_KEY})


_schema_ready: set[str] = set()


def ensure_schema(engine_or_url: Engine | str | None = None) -> None:
    """upgrade() only when needed: the schema is behind, or a killed bulk load left the search indexes dropped.
    Costs two small queries, once per database per process."""
    engine = _as_engine(engine_or_url)
    key = engine.url.render_as_string(hide_password=False)
    if key in _schema_ready:
        return
    with engine.connect() as connection:
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # an open connection
        at_head = schema_at_head(driver_connection)
    if not at_head:
        upgrade(engine)
    _schema_ready.add(key)


def _search_indexes() -> list[sa.Index]:
    from newsmon.storage.models import Article, table_of

    return [index for index in table_of(Article).indexes if index.name in connect.SEARCH_INDEXES]


def _create_search_indexes(connection: sa.Connection) -> None:
    for index in _search_indexes():
        index.create(connection, checkfirst=True)


@contextmanager
def bulk_load(engine: Engine) -> Iterator[bool]:
    """For a large import: drop the search index, and build it once at the end.

    Keeping a GIN index up to date row by row costs several times more than building it in one sorted pass
    (PostgreSQL's advice for populating a database), and the cost grows with the table. Yields False, changing
    nothing, when another bulk load holds the indexes. Searches scan the table until the indexes are back; writes
    go on meanwhile; a killed load is healed by the next upgrade()."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if not connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _BULK_LOAD_LOCK_KEY}):
            yield False
            return
        try:
            for index in _search_indexes():
                index.drop(connection, checkfirst=True)
            yield True
        finally:
            # one parallel worker beside the leader: two processes for two cores builds faster than three
            connection.execute(sa.text("SET maintenance_work_mem = '256MB'"))
            connection.execute(sa.text("SET max_parallel_maintenance_workers = 1"))
            _create_search_indexes(connection)
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _BULK_LOAD_LOCK_KEY})


def current_revision(engine_or_url: Engine | str | None = None) -> str | None:
    """The database's Alembic revision, None before the first upgrade."""
    with _as_engine(engine_or_url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session(engine: Engine | None = None) -> Iterator[Session]:
    """A Session that commits when the block succeeds and rolls back when it raises.

    Objects stay readable after the block (expire_on_commit=False)."""
    with Session(engine or get_engine(), expire_on_commit=False) as db_session:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise
