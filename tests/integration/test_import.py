"""Archive imports against a real PostgreSQL: accounting, dedup with live rows, bad input, retries, agreement
with `newsmon parse`. Inputs are built in tmp_path from the golden archive posts and the hand-cut generic gold."""

import gzip
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from newsmon import imports
from newsmon.ingest import ingest_outlet
from newsmon.model import Stage
from newsmon.parsers.parse import parse_post
from newsmon.replay import ARCHIVE, ReplayServer
from newsmon.storage.connect import SEARCH_INDEXES, connect
from newsmon.storage.engine import alembic_config, session, upgrade
from newsmon.storage.failures import pending_item_failures, record_item_failure
from newsmon.storage.models import Article, ItemFailure, RawInput, Source
from newsmon.storage.search import search_articles

TESTS = Path(__file__).resolve().parents[1]
SITE = TESTS.parent / "newsmon" / "replay" / "site"


def archive_posts() -> list[tuple[str, str]]:
    """(archive path, text) of every archived post the tests keep: 3 dedicated outlets and 15 other ones."""
    posts = []
    for path in sorted((TESTS / "golden").glob("*/archive_*.md")):
        posts.append((f"_posts/{path.parent.name}/{path.name}", path.read_text(encoding="utf-8")))
    for line in (TESTS / "generic_gold" / "generic_dev.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        posts.append((row["path"], row["raw"]))
    return posts


def write_checkout(root: Path, posts: list[tuple[str, str]]) -> Path:
    """A git checkout of a news archive: _posts/ (flat and per-outlet folders) beside site files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# an archive\n")
    for path, text in posts:
        target = root / path.strip('"')
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def write_jsonl_gz(path: Path, posts: list[tuple[str, str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for archive_path, text in posts:
            out.write(json.dumps({"path": archive_path, "text": text}, ensure_ascii=False) + "\n")
    return path


def stored_paragraphs(engine) -> dict[str, list[str]]:
    with session(engine) as s:
        return {a.url: a.paragraphs for a in s.exec(select(Article))}


def test_checkout_import_accounts_for_every_post_and_a_second_import_adds_nothing(db, tmp_path):
    posts = archive_posts()
    checkout = write_checkout(tmp_path / "archive", posts)
    first = imports.import_archives([str(checkout)], engine=db, workers=2)
    assert first.read == len(posts) == first.new and first.accounted
    assert first.failed == 0 and "README" not in json.dumps(first.failure_paths)  # only _posts/ is read
    assert set(first.parsers) == {"zaobao", "bbc", "voa", "generic"}
    second = imports.import_archives([str(checkout)], engine=db, workers=2)
    assert (second.read, second.new, second.duplicates, second.revisions) == (len(posts), 0, len(posts), 0)
    with session(db) as s:
        assert s.exec(select(sa.func.count()).select_from(RawInput)).one() == len(posts)
        sources = {row.outlet: row.parser for row in s.exec(select(Source))}
    assert sources["rfi"] == "generic" and sources["bbc"] == "bbc"


def test_jsonl_and_checkout_of_the_same_posts_are_the_same_rows_and_agree_with_parse(db, tmp_path):
    posts = archive_posts()
    imports.import_archives([str(write_jsonl_gz(tmp_path / "posts.jsonl.gz", posts))], engine=db, workers=1)
    again = imports.import_archives([str(write_checkout(tmp_path / "archive", posts))], engine=db, workers=2)
    assert again.new == 0 and again.duplicates == len(posts)
    stored = stored_paragraphs(db)
    for path, text in posts:  # `newsmon parse` prints parse_post's paragraphs
        parsed = parse_post(path, text)
        assert stored[parsed["url"]] == parsed["paragraphs"], path


def test_importing_an_archive_after_live_polling_adds_nothing(db):
    with ReplayServer() as replay:
        for outlet in ("zaobao", "bbc", "voa"):
            ingest_outlet(outlet, replay.base_url)
    manifest = json.loads((SITE / "MANIFEST.json").read_text(encoding="utf-8"))
    served = {  # the extraction_dev posts the replay feeds serve
        item["source"]["extraction_dev"] for outlet in ("zaobao", "bbc", "voa")
        for feed in manifest["outlets"][outlet]["feeds"] for item in feed["items"] if "extraction_dev" in item["source"]
    }
    with session(db) as s:
        before = s.exec(select(sa.func.count()).select_from(Article)).one()
    report = imports.import_archives([str(ARCHIVE)], engine=db, workers=2)
    assert report.read == 45 and report.accounted
    # every archived story the feeds served is already a row; only those they do not serve are new
    assert report.new == 45 - len(served)
    assert report.revisions == 0  # an archived text is older than the polled one, so it never replaces it
    with session(db) as s:
        assert s.exec(select(sa.func.count()).select_from(Article)).one() == before + report.new


def test_bad_input_is_counted_by_reason_with_its_path_and_the_rest_imports(db, tmp_path):
    _, good_text = archive_posts()[-1]
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "good.md").write_text(good_text, encoding="utf-8")
    (folder / "latin1.md").write_bytes(good_text.encode("utf-8") + b"\xff\xfe")
    (folder / "no-link.md").write_text("---\ntitle: 无链接\n---\n<p>只有正文，没有链接。</p>\n", encoding="utf-8")
    (folder / "bad-html.md").write_text(
        "<!--1609459200000-->\n[坏的HTML](https://www.rfi.fr/cn/bad-html)\n------\n\n"
        "<!-- 一个没有结束的注释吞掉了正文 <p>正文</p>",
        encoding="utf-8",
    )
    (folder / "nul.md").write_text(good_text.replace("</p>", "\x00</p>", 1).replace(
        "https://", "https://nul.", 1), encoding="utf-8")
    big = folder / "huge.md"
    with open(big, "wb") as out:  # a 50 MB post
        out.write(good_text.encode("utf-8"))
        out.write(b"<p>" + "很长的正文。".encode() * (50 * 2**20 // 18) + b"</p>")
    truncated = tmp_path / "truncated.jsonl.gz"
    whole = gzip.compress(b"".join(
        json.dumps({"path": f"_posts/x{i}.md", "text": good_text.replace("https://", f"https://t{i}.", 1)},
                   ensure_ascii=False).encode() + b"\n" for i in range(3)
    ))
    truncated.write_bytes(whole[: len(whole) - 40])
    lines = tmp_path / "records.jsonl"
    lines.write_bytes(b'{"path": "_posts/a.md"}\n' + b"not json\n" + b'{"path": "_posts/b.md", "text": "\\ud800"}\n')

    inputs = [str(folder), str(truncated), str(lines), str(tmp_path / "missing")]
    report = imports.import_archives(inputs, engine=db, workers=2)
    assert report.accounted
    assert report.failures == {
        "invalid-utf8": 2, "no-link": 1, "bad-html": 1, "too-large": 1, "truncated-input": 1, "bad-record": 1,
        "bad-json": 1, "not-found": 1,
    }, report.failures
    assert report.failure_paths["too-large"] == [str(big)]
    assert report.failure_paths["truncated-input"] == [str(truncated)]
    assert report.cleaned == {"nul-bytes": 1}  # stored, without the NUL
    assert report.new >= 2  # good.md, nul.md and the records read before the gzip stream broke
    with session(db) as s:
        failures = {f.item_key: f for f in pending_item_failures(s, imports=True)}
        assert {f.reason for f in failures.values()} == set(report.failures)
        assert failures[str(folder / "no-link.md")].raw is not None  # kept for --retry-failed
        assert pending_item_failures(s) == []  # import failures are not the pollers' to retry

    # fix the inputs the user can fix, then retry: the fixed ones resolve, the rest stay open with one more attempt
    (folder / "no-link.md").unlink()
    truncated.write_bytes(whole)
    big.write_text(good_text.replace("https://", "https://big.", 1), encoding="utf-8")
    retried = imports.retry_failed(db)
    assert retried.accounted
    with session(db) as s:
        still = {f.item_key: f.attempts for f in pending_item_failures(s, imports=True)}
    assert str(truncated) not in still and str(big) not in still
    assert all(attempts == 2 for attempts in still.values()), still
    assert str(folder / "no-link.md") in still  # its kept raw still has no link


def test_text_documents_import_and_dedup_by_content(db, tmp_path):
    documents = TESTS / "fixtures" / "documents"
    copy = tmp_path / "copy"
    shutil.copytree(documents, copy)
    first = imports.import_archives([str(documents)], engine=db, fmt="text", workers=1)
    assert (first.new, first.failed) == (3, 0)  # the two documents and SOURCE.txt
    again = imports.import_archives([str(copy)], engine=db, fmt="text", workers=1)
    assert (again.new, again.duplicates) == (0, 3)  # same text from another path: the same row
    with session(db) as s:
        note = s.exec(select(Article).where(Article.title.startswith("2020 年 5 月 5 日"))).one()
        assert note.outlet == "documents" and note.parser == "text.V1" and note.dedup_key.startswith("hash:")
        assert note.paragraphs[-1] == "谢谢主席先生。"


def test_batches_and_worker_counts_do_not_change_the_outcome(db, tmp_path):
    posts = archive_posts()
    posts = posts + [(path + ".copy", text) for path, text in posts[:5]]  # the same articles twice in one input
    source = write_jsonl_gz(tmp_path / "posts.jsonl.gz", posts)
    (whole,) = imports.plan_chunks([str(source)])
    one = imports.import_records(imports.Reader().read(whole), db, workers=1, batch_posts=7)
    assert (one.new, one.duplicates) == (len(posts) - 5, 5)
    with db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE articles RESTART IDENTITY CASCADE")
    two = imports.import_records(imports.Reader().read(whole), db, workers=2, batch_posts=3)
    assert (two.new, two.duplicates, two.revisions) == (one.new, one.duplicates, one.revisions)


def test_bulk_load_rebuilds_the_search_indexes(db, tmp_path):
    source = write_jsonl_gz(tmp_path / "posts.jsonl.gz", archive_posts())
    report = imports.import_archives([str(source)], engine=db, bulk=True)
    assert report.new == len(archive_posts())
    with db.connect() as conn:
        names = set(conn.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'articles'")))
    assert set(SEARCH_INDEXES) <= names
    with session(db) as s:
        title = s.exec(select(Article.title).order_by(Article.id)).first()
    with connect() as connection:
        assert search_articles(connection, title[:4])


@pytest.mark.parametrize("stage_filter", [True, False])
def test_failures_of_imports_and_of_polling_are_kept_apart(db, stage_filter):
    with session(db) as s:
        record_item_failure(s, "rfi", "_posts/x.md", None, Stage.IMPORT, "no link", None, "no-link")
        record_item_failure(s, "bbc", "guid-1", "https://a/1", "page", "timeout", None, "fetch")
        keys = [f.item_key for f in pending_item_failures(s, imports=stage_filter)]
    assert keys == (["_posts/x.md"] if stage_filter else ["guid-1"])
    with session(db) as s:
        assert s.exec(select(ItemFailure.reason).where(ItemFailure.item_key == "guid-1")).one() == "fetch"


def test_two_texts_of_one_article_keep_the_newest_and_a_reimport_changes_nothing(db, tmp_path):
    path, text = archive_posts()[-1]
    epoch = text.split("<!--", 1)[1].split("-->", 1)[0]
    edited = text.replace("</p>", "（更正）</p>", 1)
    later = edited.replace(f"<!--{epoch}-->", f"<!--{int(epoch) + 60_000}-->")
    same_time = text.replace("</p>", "（另一版本）</p>", 1)
    source = write_jsonl_gz(tmp_path / "posts.jsonl.gz", [(path, later), (path, text), (path, same_time)])
    first = imports.import_archives([str(source)], engine=db)
    assert (first.new, first.revisions, first.duplicates, first.older) == (1, 0, 2, 2)  # the later text stays
    again = imports.import_archives([str(source)], engine=db)
    assert (again.new, again.revisions, again.duplicates) == (0, 0, 3)
    with session(db) as s:
        assert "（更正）" in s.exec(select(Article.body)).one()
    # in the other order, the later text arrives last and becomes a revision; the same-time one does not
    with db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE articles RESTART IDENTITY CASCADE")
    source = write_jsonl_gz(tmp_path / "posts.jsonl.gz", [(path, text), (path, same_time), (path, later)])
    ordered = imports.import_archives([str(source)], engine=db)
    assert (ordered.new, ordered.revisions, ordered.duplicates) == (1, 1, 1)


def test_a_retitled_dw_article_under_a_new_url_is_a_revision_and_the_migration_rekeys_stored_ones(db, tmp_path):
    # two archived versions of one DW article (corpus lines 45,014 and 44,995, from 0): retitled an hour later, so its
    # URL slug changed (and a "?" in the new title cut it); DW's id a-54923091 stayed
    posts = [(row["path"], row["text"]) for row in map(json.loads, (TESTS / "fixtures" / "dw_retitled.jsonl").open())]
    source = write_jsonl_gz(tmp_path / "dw.jsonl.gz", posts)
    report = imports.import_archives([str(source)], engine=db)
    assert (report.new, report.revisions) == (1, 1)
    with session(db) as s:
        article = s.exec(select(Article)).one()
    assert (article.dedup_key, article.outlet_article_id, article.revision_count) == ("id:54923091", "54923091", 1)
    assert article.title == "投资协议签不签?欧中峰会难题多"  # the later version, under its URL
    assert article.url.startswith("https://www.dw.com/zh/%E6%8A%95%E8%B5%84") and article.url.endswith("a-54923091=")

    # stored before DW had an id rule: keyed by URL, one row per URL, no outlet id; migration 0013 gives both the
    # outlet id, and the id key to the newer text, so that importing both again changes nothing
    with db.begin() as conn:
        conn.exec_driver_sql("TRUNCATE articles RESTART IDENTITY CASCADE")
    for path, text in posts:
        imports.import_archives([str(write_jsonl_gz(tmp_path / "one.jsonl.gz", [(path, text)]))], engine=db)
        with db.begin() as conn:
            conn.execute(sa.text("UPDATE articles SET dedup_key = 'url:' || url, outlet_article_id = NULL"
                                 " WHERE dedup_key LIKE 'id:%'"))
    with db.begin() as conn:
        command.stamp(alembic_config(conn), "0012")
    upgrade(db)
    with session(db) as s:
        rows = s.exec(sa.select(Article.title, Article.dedup_key, Article.outlet_article_id).order_by(Article.id)).all()
    assert [(key.split(":")[0], outlet_id) for _, key, outlet_id in rows] == [("url", "54923091"), ("id", "54923091")]
    assert rows[1].title == "投资协议签不签?欧中峰会难题多"
    again = imports.import_archives([str(source)], engine=db)
    assert (again.new, again.revisions, again.duplicates) == (0, 0, 2)
