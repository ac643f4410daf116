"""Database fixtures: one migrated PostgreSQL database per test session, emptied before each test."""

import os
import secrets
from collections.abc import Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from newsmon import settings
from newsmon.storage import engine as storage_engine
from newsmon.storage.models import NEWSMON_TABLES
from newsmon.storage.server import EmbeddedServer


@pytest.fixture(scope="session", autouse=True)
def no_database_outlives_the_tests(tmp_path_factory) -> Iterator[None]:
    """An embedded server a command starts stays up for its idle time (storage/server.py): a test that made a home of
    its own (a demo's, a trial's) leaves one behind. Stop them all when the tests end."""
    yield
    for postmaster_pid in tmp_path_factory.getbasetemp().glob("**/pgdata/postmaster.pid"):
        EmbeddedServer(postmaster_pid.parent.parent).stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A throwaway database on DATABASE_URL's server if set, else on an embedded server in a temp dir.

    The session's settings (and DATABASE_URL / NEWSMON_HOME, for subprocesses) point at it, so code calling
    storage.engine.database_url() lands there too. They are a trial's: a replay run in a test uses them as they are,
    instead of the demo's home (tests/integration/test_trials.py runs replays from production settings)."""
    env = pytest.MonkeyPatch()
    if server_url := os.environ.get("DATABASE_URL"):
        test_url = make_url(storage_engine.psycopg_url(server_url)).set(database=f"newsmon_test_{secrets.token_hex(4)}")
        url = test_url.render_as_string(hide_password=False)
        storage_engine.ensure_database(url)
        env.setenv("DATABASE_URL", url)
    home = tmp_path_factory.mktemp("newsmon_home")
    env.setenv("NEWSMON_HOME", str(home))
    session_settings = settings.use(replace(settings.Settings.from_environ(), trial=True))
    session_settings.__enter__()
    if not server_url:
        url = storage_engine.database_url()
    try:
        storage_engine.upgrade(url)
        yield url
    finally:
        session_settings.__exit__(None, None, None)
        env.undo()
        storage_engine.get_engine(url).dispose()
        if not server_url:  # it would stay up for NEWSMON_DB_IDLE_MINUTES after the tests, as after a command
            EmbeddedServer(home).stop()
        else:
            server = test_url.set(database="postgres")
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{test_url.database}" WITH (FORCE)')
            admin.dispose()


def empty_tables(engine: Engine) -> None:
    """Every newsmon table emptied and its ids restarted: a fresh database, without migrating one."""
    with engine.begin() as conn:
        tables = ", ".join(table.name for table in NEWSMON_TABLES)
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def db(database_url) -> Engine:
    """The session's engine, with every newsmon table emptied and its ids restarted."""
    engine = storage_engine.get_engine(database_url)
    empty_tables(engine)
    return engine


@pytest.fixture
def use_settings():
    """Run the rest of a test with some settings changed: use_settings(sources_path=path)."""
    entered = []

    def use(**changes):
        context = settings.use(replace(settings.current(), **changes))
        context.__enter__()
        entered.append(context)

    yield use
    for context in reversed(entered):
        context.__exit__(None, None, None)
