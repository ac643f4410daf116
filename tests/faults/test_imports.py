"""Hostile inputs to the archive import, run as a user runs it (`newsmon import --no-prefect` in a subprocess) against
a real PostgreSQL: records of any size read in bounded memory, binary junk refused with a reason, empty inputs and
impossible options as one-line errors, a database lost mid-import, a killed import's parse workers, two imports at
once and a killed import rerun. Inputs are the repository's own archived posts (real layouts), copied under new
hosts into as many distinct articles as a test needs."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from newsmon import cli, imports
from newsmon.parsers.parse import parse_post
from newsmon.parsers.plaintext import parse_text_document
from newsmon.storage import engine as storage_engine
from newsmon.storage.articles import store_articles
from newsmon.storage.connect import DATABASE_NAME, SEARCH_INDEXES
from newsmon.storage.server import EmbeddedServer
from tests.conftest import empty_tables
from tests.e2e.test_services import gone, home_env, wait_for
from tests.integration.test_import import archive_posts

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ROOT / "tests" / "fixtures" / "documents"
MB = 2**20
HUGE = 200 * MB
# posts keyed by their URL: an outlet that keys articles by its own id (BBC, VOA, Zaobao, DW, ...) keeps that id in
# a copy under another host, so copies of its posts would be duplicates
TEMPLATES = [(path, text) for path, text in archive_posts() if not parse_post(path, text).get("article_id")]


def distinct_posts(count: int, first: int = 0) -> list[tuple[str, str]]:
    """count distinct archived posts (copies first, first + 1, ... of the templates), each keyed by its own URL."""
    posts = []
    copy = first
    while len(posts) < count:
        posts += [(f"{path}.copy{copy}", text.replace("://", f"://copy{copy}.")) for path, text in TEMPLATES]
        copy += 1
    return posts[:count]


def record(post: tuple[str, str]) -> bytes:
    path, text = post
    return json.dumps({"path": path, "text": text}, ensure_ascii=False).encode() + b"\n"


def write_records(path: Path, posts: list[tuple[str, str]]) -> Path:
    path.write_bytes(b"".join(map(record, posts)))
    return path


def newsmon_import(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsmon.cli", "import", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def start_import(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsmon.cli", "import", "--no-prefect", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@dataclass(frozen=True)
class State:
    """What an import leaves in the database, by identity: no ids, no times."""

    articles: frozenset[tuple[str, str, str]]  # outlet, dedup key, content hash
    failures: frozenset[tuple[str, str, str]]  # outlet, item key, reason of the open failures
    raw_inputs: int
    relevances: int


def state_of(engine: Engine) -> State:
    with engine.connect() as connection:
        def rows(query: str) -> frozenset:
            return frozenset(tuple(row) for row in connection.execute(sa.text(query)))

        return State(
            rows("SELECT outlet, dedup_key, content_hash FROM articles"),
            rows("SELECT outlet, item_key, reason FROM item_failures WHERE resolved_at IS NULL"),
            connection.scalar(sa.text("SELECT count(*) FROM raw_inputs")),
            connection.scalar(sa.text("SELECT count(*) FROM article_relevance")),
        )


def article_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT count(*) FROM articles"))


def told(stdout: str, outcome: str) -> int:
    """A count of an import's summary: told(stdout, "new")."""
    (count,) = re.findall(rf"^  {outcome} +([\d,]+)", stdout, re.M)
    return int(count.replace(",", ""))


@contextmanager
def pinned(engine: Engine, post: tuple[str, str]) -> Iterator[None]:
    """post's article inserted and not committed while this runs: an import storing the same article waits for this
    transaction (ON CONFLICT must know whether the row stays), so it holds at that post's batch, a point mid-way
    that the test chooses rather than races to. Rolled back at the end, quietly when the server went away."""
    path, text = post
    parsed = imports.parse_record(imports.Post(path, path, text))
    assert isinstance(parsed, imports.Parsed), parsed
    pin = Session(engine)
    try:
        store_articles(pin, [parsed.row], [parsed.raw])
        yield
    finally:
        with suppress(DBAPIError):
            pin.rollback()
        pin.close()


def own_database(server: EmbeddedServer) -> tuple[str, Engine]:
    """The newsmon database of a server of a test's own, migrated: its libpq URL and an engine on it."""
    url = server.attach(idle_minutes=5).url(DATABASE_NAME)
    storage_engine.ensure_database(url)
    engine = sa.create_engine(storage_engine.psycopg_url(url), poolclass=NullPool)
    storage_engine.upgrade(engine)
    return url, engine


def no_traceback(result: subprocess.CompletedProcess) -> bool:
    return "Traceback" not in result.stderr and "Traceback" not in result.stdout


# -- 1. size checked while reading ----------------------------------------------------------------------------------


def run_measuring_peak(output: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """A `newsmon import` and its peak resident memory in bytes: the largest of the process and the workers it
    waited for (wait4's rusage of this one child, so no earlier child of the test session counts)."""
    with open(output.with_suffix(".out"), "w+") as stdout, open(output.with_suffix(".err"), "w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "import", "--no-prefect", *args], cwd=ROOT,
                                   stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        result = subprocess.CompletedProcess(process.args, process.returncode, stdout.read(), stderr.read())
    return result, usage.ru_maxrss * 1024


def write_inputs_with(folder: Path, posts: list[tuple[str, str]], huge: bool) -> list[Path]:
    """A .jsonl, a .jsonl.gz and a folder of posts, each with good posts around (if huge) a 200 MB record: a JSON
    line with a 200 MB string (a sparse hole, so it costs no disk), a gzipped 200 MB line of text, a 200 MB .txt."""
    folder.mkdir()
    lines, gzipped, posts_folder = folder / "records.jsonl", folder / "records.jsonl.gz", folder / "posts"
    with open(lines, "wb") as out:
        out.write(record(posts[0]))
        if huge:
            out.write(b'{"path": "_posts/huge.md", "text": "')
            out.seek(out.tell() + HUGE)
            out.write(b'"}\n')
        out.write(record(posts[1]))
    with gzip.open(gzipped, "wb", compresslevel=1) as out:
        out.write(record(posts[2]))
        if huge:
            block = "很长的正文。".encode() * (MB // 18)
            out.write(b'{"path": "_posts/huge-gz.md", "text": "')
            for _ in range(HUGE // len(block)):
                out.write(block)
            out.write(b'"}\n')
        out.write(record(posts[3]))
    posts_folder.mkdir()
    (posts_folder / "good.md").write_text(posts[4][1], encoding="utf-8")
    if huge:
        with open(posts_folder / "huge.txt", "wb") as out:
            out.truncate(HUGE)
    return [lines, gzipped, posts_folder]


@pytest.mark.fault("a 200 MB record: one JSON line (plain and gzipped), one post file",
                   "read with bounded memory, refused as too-large with its path:line, the records after it imported",
                   bad_inputs=3)
def test_a_record_over_the_cap_is_refused_in_bounded_memory_and_the_rest_imports(db, tmp_path, tally):
    small_inputs = write_inputs_with(tmp_path / "small", distinct_posts(5, first=10), False)
    small, small_peak = run_measuring_peak(tmp_path / "small", "--max-post-mb", "1", *map(str, small_inputs))
    assert small.returncode == 0, small.stderr
    posts = distinct_posts(5)
    lines, gzipped, posts_folder = write_inputs_with(tmp_path / "huge", posts, True)
    result, peak = run_measuring_peak(tmp_path / "huge", "--max-post-mb", "1", str(lines), str(gzipped),
                                      str(posts_folder))

    assert result.returncode == 0 and no_traceback(result), result.stderr
    assert told(result.stdout, "new") == 5 and "too-large: 3" in result.stdout, result.stdout
    # no record is held whole: with three 200 MB records the import peaks within a few caps of the small one
    assert peak < small_peak + 16 * MB, (peak, small_peak)
    with db.connect() as connection:
        failures = dict(connection.execute(sa.text("SELECT item_key, error FROM item_failures "
                                                   "WHERE reason = 'too-large'")).all())
    assert set(failures) == {f"{lines}:2", f"{gzipped}:2", str(posts_folder / "huge.txt")}
    huge_line = lines.stat().st_size - len(record(posts[0])) - len(record(posts[1]))
    assert failures[f"{lines}:2"] == f"{huge_line:,} bytes, over the {MB:,} limit"
    assert failures[str(posts_folder / "huge.txt")] == f"{HUGE:,} bytes, over the {MB:,} limit"
    # the limit is on a record's own bytes: a line of exactly the limit is read, one byte more is not (the last
    # line, without a newline, too)
    edge = tmp_path / "edge.jsonl"
    exact = record(posts[0]).rstrip(b"\n")
    edge.write_bytes(exact + b"\n" + exact + b" \n" + exact + b" ")
    read = list(imports.Reader(len(exact)).read(imports.plan_chunks([str(edge)])[0]))
    assert [getattr(r, "reason", "read") for r in read] == ["read", "too-large", "too-large"]
    stored = article_count(db) - 5  # the small run's five
    tally(lost=5 - stored, note="3 records of 200 MB refused as too-large at a 1 MB cap; peak memory "
                                f"{peak / MB:.0f} MB against {small_peak / MB:.0f} MB without them")


# -- 2. garbage refused with a reason --------------------------------------------------------------------------------


@pytest.mark.fault("binary junk as a post: random bytes in a .txt and an .html, binary text in a JSON line",
                   "refused as binary with its path, never stored; GBK, Big5 and UTF-16 documents still imported",
                   bad_inputs=3)
def test_binary_junk_is_refused_and_real_charsets_import(db, tmp_path, tally):
    junk = random.Random(10).randbytes(64 * 1024)
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "junk.txt").write_bytes(junk)
    (folder / "junk.html").write_bytes(junk[::-1])
    note = (DOCUMENTS / "un_security_council_note.txt").read_text(encoding="utf-8")
    traditional = "聯合國安全理事會今天舉行會議，討論朝鮮半島局勢。各國代表發言，呼籲各方保持克制，通過對話解決問題。"
    charsets = {
        "gbk.txt": note.encode("gbk"),
        "big5.txt": "\n\n".join(f"{traditional}（第{n}段）" for n in range(1, 6)).encode("big5"),
        "utf16.txt": note.replace("2020", "2021").encode("utf-16"),
    }
    for name, data in charsets.items():
        (folder / name).write_bytes(data)
    lines = tmp_path / "records.jsonl"
    write_records(lines, [("_posts/junk.md", junk.decode("latin-1")), distinct_posts(1)[0]])

    report = imports.import_archives([str(folder), str(lines)], engine=db, workers=2)

    assert report.accounted
    assert report.failures == {"binary": 3}, report.failure_paths
    assert set(report.failure_paths["binary"]) == {str(folder / "junk.txt"), str(folder / "junk.html"),
                                                   "_posts/junk.md"}
    assert report.new == 4  # the three documents and the good record
    with db.connect() as connection:
        hashes = set(connection.scalars(sa.text("SELECT content_hash FROM articles WHERE outlet = 'documents'")))
        reasons = dict(connection.execute(sa.text("SELECT item_key, error FROM item_failures")).all())
    # each document as its UTF-8 original reads
    assert hashes == {parse_text_document(data.decode(codec), "documents").content_hash
                      for data, codec in zip(charsets.values(), ("gbk", "big5", "utf-16"), strict=True)}
    assert reasons[str(folder / "junk.txt")].startswith("binary content, not a text: ")
    tally(lost=4 - report.new, note="binary junk in 3 forms refused; GBK, Big5 and UTF-16 documents stored")


# -- 3. empty inputs and impossible options ----------------------------------------------------------------------------


def empty_inputs(folder: Path) -> dict[str, str]:
    """Each empty or broken input, with what the import says about it."""
    (folder / "empty-folder").mkdir()
    (folder / "zero.jsonl.gz").write_bytes(b"")
    (folder / "not-gzip.jsonl.gz").write_bytes(record(distinct_posts(1)[0]))
    (folder / "empty.jsonl").write_bytes(b"")
    return {
        str(folder / "empty-folder"): "no post files (.md, .markdown, .html, .htm, .txt) in the folder: ",
        str(folder / "zero.jsonl.gz"): "an empty file (0 bytes): ",
        str(folder / "not-gzip.jsonl.gz"): "not a gzip file: ",
        str(folder / "empty.jsonl"): "an empty file (0 bytes): ",
        str(folder / "missing.jsonl"): "no such file or directory: ",
    }


@pytest.mark.fault("empty inputs: a 0-byte .gz, a .gz that is not gzip, an empty .jsonl, an empty folder, a "
                   "missing path",
                   "newsmon import refuses each with one line naming it (exit 2, nothing imported); the import "
                   "library (as the flow runs it) records each as a failure with its reason", bad_inputs=5)
def test_empty_inputs_are_refused_with_one_line_and_recorded_with_a_reason(db, tmp_path, capsys):
    said = empty_inputs(tmp_path)
    for path, what in said.items():  # each alone
        args = cli._parser().parse_args(["import", "--no-prefect", path])
        assert args.handler(args) == 2
        assert capsys.readouterr().err.splitlines() == [f"newsmon import: {what}{path}"]
    # all of them beside a good input, as a user runs it: refused before anything is read, each named in one line
    good = write_records(tmp_path / "good.jsonl", distinct_posts(1))
    result = newsmon_import("--no-prefect", str(good), *said)
    assert result.returncode == 2 and no_traceback(result), result.stderr
    assert result.stderr.splitlines() == [f"newsmon import: {'; '.join(what + path for path, what in said.items())}"]
    assert article_count(db) == 0

    report = imports.import_archives(list(said), engine=db, workers=1, chunk_posts=100)
    assert report.accounted and report.read == report.failed == 5
    assert report.failures == {"empty-input": 3, "truncated-input": 1, "not-found": 1}, report.failure_paths
    assert report.failure_paths["truncated-input"] == [str(tmp_path / "not-gzip.jsonl.gz")]


@pytest.mark.fault("impossible options: --max-post-mb -1, 0, nan, inf, nonsense; --workers 0, -3, 10000, two; "
                   "--chunk-posts 0", "argparse refuses each with one error line naming the option (exit 2)",
                   bad_inputs=10)
def test_impossible_options_are_refused_with_one_line(db, tmp_path):
    good = str(write_records(tmp_path / "good.jsonl", distinct_posts(1)))
    cases = {
        ("--max-post-mb", "-1"): "argument --max-post-mb: -1 is out of range: more than 0 and at most 1,024 (MB)",
        ("--max-post-mb", "0"): "argument --max-post-mb: 0 is out of range: more than 0 and at most 1,024 (MB)",
        ("--max-post-mb", "nan"): "argument --max-post-mb: nan is out of range: more than 0 and at most 1,024 (MB)",
        ("--max-post-mb", "inf"): "argument --max-post-mb: inf is out of range: more than 0 and at most 1,024 (MB)",
        ("--max-post-mb", "ten"): "argument --max-post-mb: not a number of megabytes: 'ten'",
        ("--workers", "0"): "argument --workers: 0 is out of range: from 1 to ",
        ("--workers", "-3"): "argument --workers: -3 is out of range: from 1 to ",
        ("--workers", "10000"): "argument --workers: 10000 is out of range: from 1 to ",
        ("--workers", "two"): "argument --workers: not a whole number: 'two'",
        ("--chunk-posts", "0"): "argument --chunk-posts: 0 is out of range: at least 1",
    }
    for option, what in cases.items():
        result = newsmon_import("--no-prefect", *option, good)
        errors = [line for line in result.stderr.splitlines() if not line.startswith(("usage:", " "))]
        assert result.returncode == 2 and no_traceback(result), result.stderr
        assert len(errors) == 1 and errors[0].startswith(f"newsmon import: error: {what}"), result.stderr
    # the same limit given to the library (as a deployment's parameters reach it) is refused, not read as no input
    with pytest.raises(ValueError, match="max_post_bytes must be at least 1, not 0"):
        imports.import_archives([good], max_post_bytes=0, workers=1, engine=db)


# -- 4. a lost database ----------------------------------------------------------------------------------------------


def articles_in(url: str) -> int:
    """The articles stored so far at url; 0 while the import has not created them."""
    try:
        with psycopg.connect(url) as connection:
            return connection.execute("SELECT count(*) FROM articles").fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        return 0


@pytest.mark.fault("the database stops in the middle of an import",
                   "the import ends with its summary so far and one error line (exit 1, no traceback); what was "
                   "committed stays, and the same import run again stores the rest")
def test_a_database_lost_mid_import_ends_with_the_summary_and_a_rerun_stores_the_rest(tmp_path, tally):
    posts = distinct_posts(600)  # two batches
    source = write_records(tmp_path / "records.jsonl", posts)
    home, server = tmp_path / "home", EmbeddedServer(tmp_path / "home")
    try:
        url, engine = own_database(server)
        with pinned(engine, posts[imports.BATCH_POSTS]):  # the import stores its first batch, then waits
            importing = start_import("--no-bulk", str(source), env=home_env(home))
            wait_for(lambda: articles_in(url) == imports.BATCH_POSTS, 60, "first batch stored")
            server.stop()
        stdout, stderr = importing.communicate(timeout=120)

        assert importing.returncode == 1 and "Traceback" not in stderr + stdout, stderr
        assert stderr.splitlines()[-1].startswith("newsmon import: the database went away during the import (")
        assert stderr.splitlines()[-1].endswith("what was stored before is kept, and the same import run again "
                                                "stores the rest")
        assert (told(stdout, "new"), told(stdout, "failed")) == (imports.BATCH_POSTS, 0), stdout

        server.attach(idle_minutes=5)
        kept = articles_in(url)
        rerun = newsmon_import("--no-prefect", str(source), env=home_env(home))
        assert rerun.returncode == 0, rerun.stderr
        assert (told(rerun.stdout, "new"), told(rerun.stdout, "duplicates")) == (len(posts) - kept, kept)
        stored = articles_in(url)
    finally:
        server.stop()
    assert kept == imports.BATCH_POSTS and stored == len(posts)
    # under Prefect the same exception is a task's failure, which Prefect stores: it pickles with its report
    lost = pickle.loads(pickle.dumps(imports.DatabaseLost("connection refused", imports.ImportReport(read=3, new=2))))
    assert (str(lost).startswith("the database went away during the import (connection refused)"), lost.report.new) \
        == (True, 2)
    tally(lost=len(posts) - stored, note=f"database stopped after {kept:,} of {len(posts):,} posts; the rerun "
                                         "stored the rest")


@pytest.mark.fault("the database stops while a bulk load builds the search indexes, after the last batch",
                   "the import ends with its whole summary and the same database-lost error, not the index build's; "
                   "the next use of the database builds the indexes, and a rerun adds nothing")
def test_a_database_lost_during_the_index_build_ends_the_import_the_same_way(tmp_path, tally):
    posts = distinct_posts(40)
    source = write_records(tmp_path / "records.jsonl", posts)
    server = EmbeddedServer(tmp_path / "home")
    try:
        url, engine = own_database(server)

        def stop_after_the_last_chunk(progress: imports.Progress) -> None:
            if progress.chunk_done and progress.chunks_done == progress.chunks:
                server.stop()

        with pytest.raises(imports.DatabaseLost) as lost:
            imports.import_archives([str(source)], engine=engine, bulk=True, workers=1,
                                    on_progress=stop_after_the_last_chunk)
        assert (lost.value.report.new, lost.value.report.accounted) == (len(posts), True)

        server.attach(idle_minutes=5)
        storage_engine.ensure_schema(engine)  # as the next command does
        with engine.connect() as connection:
            indexes = set(connection.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles'")))
        rerun = imports.import_archives([str(source)], engine=engine, workers=1)
        stored = articles_in(url)
    finally:
        server.stop()
    assert set(SEARCH_INDEXES) <= indexes
    assert (rerun.new, rerun.duplicates, stored) == (0, len(posts), len(posts))
    tally(lost=len(posts) - stored, note="database stopped during the index build; all posts had been stored")


# -- 5. parse workers die with their parent -------------------------------------------------------------------------


def workers_of(process: psutil.Process) -> list[psutil.Process]:
    """The parse workers of an import: its children forked from it (the same command line)."""
    try:
        cmdline = process.cmdline()
        return [child for child in process.children() if child.cmdline() == cmdline]
    except psutil.Error:
        return []


@pytest.mark.fault("the importing process is killed with -9 while its parse workers work",
                   "the workers die with it (PR_SET_PDEATHSIG on Linux; an orphan watch elsewhere): none is left")
def test_parse_workers_die_with_a_killed_import(db, tmp_path):
    source = write_records(tmp_path / "records.jsonl", distinct_posts(1000))
    importing = start_import("--workers", "2", "--no-bulk", str(source))
    parent = psutil.Process(importing.pid)
    wait_for(lambda: len(workers_of(parent)) == 2, 60, "two parse workers")
    workers = workers_of(parent)
    parent.send_signal(signal.SIGKILL)
    importing.wait(timeout=60)  # not communicate(): workers left behind would hold its pipes open
    try:
        wait_for(lambda: all(gone(worker.pid) for worker in workers), 30, "end of the killed import's workers")
    finally:
        for worker in workers:  # a failed test leaves none behind either
            if not gone(worker.pid):
                worker.kill()


# -- 6. two imports at once, a killed import rerun -------------------------------------------------------------------


@pytest.mark.fault("two imports of the same input at once",
                   "they converge to the state of one import: the same articles, raw inputs, scores and failures, "
                   "no duplicate, no error beyond the input's own")
def test_two_imports_at_once_converge_to_the_state_of_one(db, tmp_path, tally):
    posts = distinct_posts(600)  # two batches of at most 400
    source = write_records(tmp_path / "records.jsonl", [*posts, ("_posts/junk.md", "\x01\x02" * 100)])
    alone = newsmon_import("--no-prefect", str(source))
    assert alone.returncode == 0, alone.stderr
    one = state_of(db)
    assert len(one.articles) == len(posts) and len(one.failures) == 1

    empty_tables(db)
    both = [start_import(str(source)) for _ in range(2)]
    results = [process.communicate(timeout=300) for process in both]
    together = state_of(db)

    for process, (stdout, stderr) in zip(both, results, strict=True):
        assert process.returncode == 0 and "Traceback" not in stderr, stderr
        assert told(stdout, "failed") == 1 and "every post accounted for" in stdout, stdout
    assert together == one
    news = [told(stdout, "new") for stdout, _ in results]
    assert sum(news) == len(posts)  # each article new to exactly one of the two
    tally(lost=len(one.articles - together.articles),
          note=f"two imports of {len(posts):,} posts at once: {news[0]:,} and {news[1]:,} new, the same rows as one")


@pytest.mark.fault("an import killed with -9 after its first batches are stored",
                   "the rerun stores the rest: the end state equals an uninterrupted import's")
def test_an_import_killed_mid_way_then_rerun_equals_an_uninterrupted_one(db, tmp_path, tally):
    posts = distinct_posts(600)  # two batches
    source = write_records(tmp_path / "records.jsonl", posts)
    uninterrupted = newsmon_import("--no-prefect", "--no-bulk", str(source))
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    whole = state_of(db)

    empty_tables(db)
    with pinned(db, posts[imports.BATCH_POSTS]):  # the import stores its first batch, then waits
        importing = start_import("--no-bulk", str(source))
        wait_for(lambda: article_count(db) == imports.BATCH_POSTS, 60, "first batch stored")
        os.kill(importing.pid, signal.SIGKILL)
        importing.communicate(timeout=60)
    killed_at = article_count(db)
    rerun = newsmon_import("--no-prefect", "--no-bulk", str(source))
    assert rerun.returncode == 0, rerun.stderr
    after = state_of(db)

    assert after == whole
    tally(lost=len(whole.articles - after.articles),
          note=f"killed after {killed_at:,} of {len(posts):,} posts were stored; the rerun equals an uninterrupted "
               "import")
