"""Alembic environment. Programmatic use (storage.engine.upgrade) passes an open connection in
config.attributes["connection"]; the CLI (alembic -c storage/alembic.ini ...) connects to
sqlalchemy.url from the ini if set, else to storage.engine.database_url()."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import newsmon.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from newsmon.storage.engine import database_url, psycopg_url

config = context.config


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


if (connection := config.attributes.get("connection")) is not None:
    run_migrations(connection)
else:
    if config.config_file_name:
        fileConfig(config.config_file_name)
    url = config.get_main_option("sqlalchemy.url") or database_url()
    with create_engine(psycopg_url(url), poolclass=NullPool).connect() as connection:
        run_migrations(connection)
