"""import_archives, the one composition behind `newsmon import --no-prefect` and the import-archives flow: chunks
through a chunk runner, the report added up, progress after every chunk (and batch), a failed chunk reported."""

import gzip
import json

from newsmon import imports
from newsmon.imports import Chunk, ImportReport, Progress
from tests.integration.test_import import archive_posts, write_checkout, write_jsonl_gz


def test_chunks_add_up_to_the_whole_and_progress_follows_them(db, tmp_path):
    posts = archive_posts()
    lines = write_jsonl_gz(tmp_path / "posts.jsonl.gz", posts)
    checkout = write_checkout(tmp_path / "archive", posts[:9])  # the same posts again: duplicates
    seen: list[Progress] = []
    report = imports.import_archives([str(lines), str(checkout)], engine=db, chunk_posts=7, workers=2,
                                     on_progress=seen.append)
    assert (report.read, report.new, report.duplicates) == (len(posts) + 9, len(posts), 9)
    assert report.accounted and not report.failed_chunks
    finished = [p for p in seen if p.chunk_done]
    labels = [f"posts.jsonl.gz[{start}:{min(start + 7, len(posts))}]" for start in range(0, len(posts), 7)]
    assert [p.chunk.label for p in finished] == [*labels, "archive[0:7]", "archive[7:9]"]
    assert [p.chunks_done for p in finished] == list(range(1, len(labels) + 3))
    assert finished[-1].percent == 100.0 and finished[-1].posts == report.read
    assert finished[-1].bytes_done == finished[-1].bytes_total
    assert [p.posts for p in seen] == sorted(p.posts for p in seen)
    assert finished[0].lines() == [f"chunk 1/{len(finished)} posts.jsonl.gz[0:7]: 7 posts, 7 new, "
                                   f"{finished[0].rate:,.0f} posts/s, ETA {finished[0].eta:,.0f} s"]
    assert report.message() == f"{report.read} posts: {len(posts)} new, 9 duplicates, 0 revisions, 0 failed"

    again = imports.import_archives([str(lines), str(checkout)], engine=db, chunk_posts=5)
    whole = imports.import_archives([str(lines), str(checkout)], engine=db)  # one chunk per input
    assert (again.read, again.duplicates) == (whole.read, whole.duplicates) == (report.read, report.read)


def test_a_chunk_that_fails_as_a_whole_is_named_and_the_rest_imports(db, tmp_path):
    lines = tmp_path / "posts.jsonl.gz"
    with gzip.open(lines, "wt", encoding="utf-8") as out:
        for path, text in archive_posts()[:10]:
            out.write(json.dumps({"path": path, "text": text}, ensure_ascii=False) + "\n")

    def run_chunk(chunk: Chunk, fmt: str, outlet: str | None, workers: int, max_post_bytes: int):
        if chunk.start == 4:
            return RuntimeError("the task crashed")  # what a failed Prefect task gives back
        return imports.import_chunk(chunk, fmt, outlet, workers, max_post_bytes, engine=db)

    report = imports.import_archives([str(lines)], engine=db, chunk_posts=4, run_chunk=run_chunk)
    assert (report.read, report.new) == (6, 6) and report.accounted
    assert report.failed_chunks == ["posts.jsonl.gz[4:8]: RuntimeError: the task crashed"]
    assert report.message().endswith("; chunks failed: posts.jsonl.gz[4:8]: RuntimeError: the task crashed")


def test_the_report_merges_and_tabulates(tmp_path):
    one, two = ImportReport(read=2, new=1, failed=1), ImportReport(read=3, duplicates=3)
    one.failures["no-link"] += 1
    one.failure_paths["no-link"] = ["a.md"]
    two.chunk_failed(Chunk(str(tmp_path / "x.jsonl"), 0, 5), ValueError("bad"))
    one.add(two)
    assert (one.read, one.new, one.duplicates, one.failed) == (5, 1, 3, 1) and one.accounted
    assert one.failed_chunks == ["x.jsonl[0:5]: ValueError: bad"]
    assert one.table()[-1] == {"outcome": "failed: no-link", "posts": 1}
    assert [row["outcome"] for row in one.table()[:5]] == ["read", "new", "duplicates", "revisions", "failed"]
