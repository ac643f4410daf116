"""newsmon export's rows on the replay site's articles (tests/replayed.py): CSV, JSON lines and Parquet read back
equal v_articles selected with the same filter, written in SQL here independently of the export's own."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from psycopg.rows import dict_row

from newsmon import exports
from newsmon.search_text import parse_query
from newsmon.storage import engine as storage_engine
from newsmon.storage import exports as storage_exports
from newsmon.storage.connect import libpq_url
from newsmon.storage.search import ArticleFilter, search_articles
from tests.replayed import Replayed, fill_with_replay


@pytest.fixture(scope="module")
def replayed(database_url, tmp_path_factory) -> Replayed:
    return fill_with_replay(storage_engine.get_engine(database_url), tmp_path_factory.mktemp("replayed"))


@pytest.fixture
def connection(replayed, database_url):
    with psycopg.connect(libpq_url(database_url), autocommit=True) as opened:
        yield opened


def view(connection, condition: str = "TRUE", parameters: dict | None = None, limit: int | None = None) -> list[dict]:
    with connection.cursor(row_factory=dict_row) as cursor:
        return cursor.execute(f"SELECT * FROM v_articles WHERE {condition} ORDER BY dated_at DESC, id DESC"
                              " LIMIT %(limit)s", (parameters or {}) | {"limit": limit}).fetchall()


def exported(connection, fmt: str, path: Path, query: str | None = None, limit: int | None = None,
             **filters) -> list[dict]:
    """Export to the file in the format, then read it back as the view's rows."""
    parsed = parse_query(query) if query else None
    with storage_exports.exported_articles(connection, parsed, ArticleFilter(**filters), limit) as (columns, batches):
        written = exports.export(fmt, columns, batches, path, io.StringIO())
    rows = read_back(fmt, path)
    assert written == len(rows)
    return rows


def read_back(fmt: str, path: Path) -> list[dict]:
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    if fmt == "jsonl":
        return [typed(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    with open(path, encoding="utf-8", newline="") as opened:
        return [typed({column: json.loads(value) if value.startswith("[") else value or None
                       for column, value in row.items()}) for row in csv.DictReader(opened)]


def typed(row: dict[str, Any]) -> dict[str, Any]:
    """A row of text values as the Parquet schema types them."""
    made = {}
    for field in exports.PARQUET_SCHEMA:
        value = row[field.name]
        if value is not None and isinstance(field.type, pa.TimestampType):
            value = datetime.fromisoformat(value)
            assert value.utcoffset() == timedelta(0), value  # written in UTC
        elif value is not None and pa.types.is_integer(field.type):
            value = int(value)
        elif value is not None and pa.types.is_floating(field.type):
            value = float(value)
        made[field.name] = value
    assert list(row) == list(made)  # the columns in the view's order
    return made


def test_the_parquet_schema_is_the_views_columns_in_order(connection):
    columns = connection.execute("SELECT * FROM v_articles LIMIT 0").description
    assert [column.name for column in columns] == exports.PARQUET_SCHEMA.names


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_every_article_round_trips(connection, tmp_path, fmt):
    everything = view(connection)
    assert len(everything) > 50
    assert exported(connection, fmt, tmp_path / f"all.{fmt}") == everything


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_the_filters_select_what_the_view_does(connection, tmp_path, fmt):
    since = datetime.now(UTC) - timedelta(days=7)
    cases = [
        ({"outlet": "un_news"}, "outlet = 'un_news'"),
        ({"un": "core"}, "un_level = 'core'"),
        ({"un": "mention"}, "un_level IN ('core', 'mention')"),
        ({"since": since}, "dated_at >= %(since)s"),
        ({"until": since}, "dated_at < %(since)s"),
        ({"body": "security council"},
         "EXISTS (SELECT FROM unnest(un_bodies) AS named WHERE lower(named) = 'security council')"),
    ]
    for filters, condition in cases:
        expected = view(connection, condition, {"since": since})
        assert expected, filters
        assert exported(connection, fmt, tmp_path / f"filtered.{fmt}", **filters) == expected, filters
    assert exported(connection, fmt, tmp_path / f"newest.{fmt}", limit=5) == view(connection, limit=5)


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_a_traditional_query_exports_what_search_finds_in_simplified(connection, tmp_path, fmt):
    found = {hit.id for hit in search_articles(connection, "联合国", limit=1000)}
    assert len(found) >= 5
    rows = exported(connection, fmt, tmp_path / f"un.{fmt}", "聯合國")
    assert rows == view(connection, "id = ANY(%(ids)s)", {"ids": list(found)})
    in_voa = exported(connection, fmt, tmp_path / f"un_voa.{fmt}", "世衛組織 麻疹", outlet="voa")
    assert [row["title"] for row in in_voa] == ["世衛組織：全球麻疹病例連續第三年上升"]


def test_nothing_found_writes_a_header_or_an_empty_table(connection, tmp_path):
    for fmt in exports.FORMATS:
        assert exported(connection, fmt, tmp_path / f"none.{fmt}", outlet="no-such-outlet") == []
    assert (tmp_path / "none.csv").read_text(encoding="utf-8") == ",".join(exports.PARQUET_SCHEMA.names) + "\n"
    assert pq.read_schema(tmp_path / "none.parquet").equals(exports.PARQUET_SCHEMA)


def test_parquet_has_a_row_group_per_batch_and_typed_columns(connection, tmp_path, monkeypatch):
    monkeypatch.setattr(storage_exports, "BATCH_ROWS", 10)
    path = tmp_path / "batched.parquet"
    rows = exported(connection, "parquet", path)
    metadata = pq.read_metadata(path)
    assert metadata.num_row_groups == -(-len(rows) // 10) and metadata.num_rows == len(rows)
    schema = pq.read_schema(path)
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("un_bodies").type == pa.list_(pa.string())


def test_a_failed_export_leaves_no_file(connection, tmp_path):
    path = tmp_path / "broken.csv"

    def failing():
        yield [tuple(range(len(exports.PARQUET_SCHEMA)))]
        raise psycopg.OperationalError("the database went away")

    with pytest.raises(psycopg.OperationalError):
        exports.export("csv", exports.PARQUET_SCHEMA.names, failing(), path, io.StringIO())
    assert list(tmp_path.iterdir()) == []


def test_parquet_needs_a_file():
    with pytest.raises(exports.ExportError, match="--output"):
        exports.check_destination("parquet", None)
