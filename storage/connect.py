"""Where the database is and how to reach it with psycopg alone: DATABASE_URL, or the embedded server of the home
(attached, or started and left running: storage/server.py).

Commands that must answer at once (`newsmon status`, `search`, `db url`) use this module and not SQLAlchemy, whose
import alone (with SQLModel and the models) takes longer than such a command may: ~0.8 s against ~0.2 s for psycopg.
storage/engine.py builds its engines on the URLs made here."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from newsmon import settings
from newsmon.storage.server import EmbeddedServer

DATABASE_NAME = "newsmon"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The search index a bulk load drops and builds again (storage/engine.py bulk_load; storage/models.py declares
# it, tests/integration/test_storage.py checks this list against it).
SEARCH_INDEXES = ("ix_articles_search",)


def libpq_url(url: str) -> str:
    """A URL psql and psycopg accept: SQLAlchemy's driver suffix (postgresql+psycopg://) dropped, Heroku's
    postgres:// kept (libpq reads it)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}" if sep else url


def database_url(database: str = DATABASE_NAME) -> str:
    """The libpq URL of a database: DATABASE_URL's (its own database name unless another is asked for), else the
    embedded server's, attached or started (and left running for settings.db_idle_minutes)."""
    current = settings.current()
    if current.database_url:
        url = libpq_url(current.database_url)
        return url if database == DATABASE_NAME else with_database(url, database)
    return EmbeddedServer(current.home).attach(current.db_idle_minutes).url(database)


def with_database(url: str, database: str) -> str:
    """The same server, another database."""
    return urlsplit(url)._replace(path="/" + quote(database)).geturl()


def ensure_database(url: str) -> None:
    """Create the URL's database if missing: UTF-8 with a C.UTF-8 ctype, so text functions treat Chinese characters
    as letters (under the C ctype they are skipped)."""
    url = libpq_url(url)
    name = conninfo_to_dict(url).get("dbname")
    if not name:
        raise ValueError(f"{url!r} names no database")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        # another process may create it between our check and our CREATE
        with contextlib.suppress(psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            admin.execute(sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'"
            ).format(sql.Identifier(str(name))))


def head_revision() -> str:
    """The newest migration: revisions are named by their file's number prefix (tests/integration/test_storage.py
    checks this against Alembic's own reading of the scripts)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


@contextmanager
def connect() -> Iterator[psycopg.Connection]:
    """A connection to the newsmon database with its schema at head: two small queries say so; when they do not
    (a new database, a migration to run, search indexes a killed bulk load dropped), storage.engine brings it there
    first. Commits when the block succeeds."""
    url = database_url()
    try:
        connection = psycopg.connect(url)
    except psycopg.OperationalError:
        connection = None  # no database yet
    if connection is None or not schema_at_head(connection):
        if connection is not None:
            connection.close()
        from newsmon.storage.engine import ensure_schema

        ensure_database(url)
        ensure_schema(url)
        connection = psycopg.connect(url)
    with connection:
        yield connection


def schema_at_head(connection: psycopg.Connection) -> bool:
    """Whether the database is at the head migration with its search indexes in place (two small queries)."""
    versioned, indexes = connection.execute(
        "SELECT to_regclass('alembic_version') IS NOT NULL,"
        " (SELECT count(*) FROM pg_indexes WHERE indexname = ANY(%s))",
        [list(SEARCH_INDEXES)],
    ).fetchone() or (False, 0)
    revision = connection.execute("SELECT max(version_num) FROM alembic_version").fetchone() if versioned else None
    connection.rollback()
    return revision is not None and revision[0] == head_revision() and indexes == len(SEARCH_INDEXES)
