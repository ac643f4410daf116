"""`newsmon export` as a user runs it: a subprocess on the replay site's articles (tests/replayed.py)."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import sqlalchemy as sa

from tests.replayed import fill_with_replay

ROOT = Path(__file__).resolve().parents[2]


def newsmon(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": "C", "LC_ALL": "C"}  # an ASCII locale: the export is UTF-8 all the same
    return subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, capture_output=True, env=env)


def test_export_writes_jsonl_csv_and_parquet_with_the_search_filters(db, tmp_path):
    fill_with_replay(db, tmp_path)
    with db.connect() as connection:
        articles = connection.scalar(sa.text("SELECT count(*) FROM v_articles"))
        columns = list(connection.execute(sa.text("SELECT * FROM v_articles LIMIT 0")).keys())
        un_news = connection.execute(sa.text("SELECT id FROM v_articles WHERE outlet = 'un_news'"
                                             " ORDER BY dated_at DESC, id DESC")).scalars().all()
        who = connection.execute(sa.text("SELECT id FROM v_un_items WHERE 'WHO' = ANY(un_bodies)"
                                         " ORDER BY dated_at DESC, id DESC LIMIT 2")).scalars().all()

    everything = newsmon("export")
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.decode("utf-8").splitlines()
    assert len(lines) == articles and everything.stderr == b""
    assert list(json.loads(lines[0])) == columns

    as_csv = newsmon("export", "--format", "csv", "--outlet", "un_news")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout.decode("utf-8"), newline="")))
    assert [int(row["id"]) for row in rows] == un_news
    assert json.loads(rows[0]["un_bodies"]) and rows[0]["un_level"] == "core"

    path = tmp_path / "who.parquet"
    as_parquet = newsmon("export", "世衛組織", "--since", "7d", "--format", "parquet", "--output", str(path))
    assert as_parquet.returncode == 0, as_parquet.stderr
    assert as_parquet.stdout == b"" and as_parquet.stderr.decode().strip() == f"3 articles written to {path}"
    table = pq.read_table(path).to_pylist()
    assert sorted(row["outlet"] for row in table) == ["un_news", "voa", "zaobao"]

    assert len(who) == 2
    head = subprocess.run(f"{sys.executable} -m newsmon.cli export | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=ROOT, capture_output=True, text=True)
    assert (head.stdout, head.stderr) == ("0\n", "")  # a reader that stops early ends the export quietly
    gone = subprocess.run(f"{sys.executable} -m newsmon.cli search 联合国 | true; echo ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=ROOT, capture_output=True, text=True)
    assert (gone.stdout, gone.stderr) == ("0\n", "")  # any command: a reader gone before the output is quietly left
    newest = newsmon("export", "--limit", "2", "--un", "mention", "--body", "WHO")
    assert [json.loads(line)["id"] for line in newest.stdout.decode().splitlines()] == who


def test_export_refuses_parquet_to_standard_output_and_an_empty_query(db):
    refused = newsmon("export", "--format", "parquet")
    assert refused.returncode == 2 and refused.stdout == b""
    assert refused.stderr.decode().splitlines() == [
        "newsmon export: Parquet cannot go to standard output: give a file with --output"]
    empty = newsmon("export", "！？")
    assert empty.returncode == 2 and len(empty.stderr.decode().splitlines()) == 1
    assert empty.stderr.decode().startswith("newsmon export: nothing to search for")
