"""The chunk planner and reader of imports: folder chunks read only their own files, JSON-lines chunks are byte
ranges that cover every line exactly once (plain and gzipped), found without parsing, with the right line numbers."""

import gzip
import json
from pathlib import Path

import pytest

from newsmon.imports import read
from newsmon.imports.read import Chunk, Failure, Post, Reader, plan_chunks, source_chunk
from newsmon.model import Reason


def records(path: Path, chunks: list[Chunk]) -> list[Post | Failure]:
    reader = Reader()
    return [record for chunk in chunks for record in reader.read(chunk)]


def summary(items: list[Post | Failure]) -> list[tuple]:
    return [(item.source, item.path, item.data if isinstance(item, Post) else item.reason) for item in items]


def write_folder(root: Path, count: int) -> list[Path]:
    files = []
    for i in range(count):
        file = root / f"{i % 3}" / f"post-{i:02}.md"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(f"post {i}", encoding="utf-8")
        files.append(file)
    (root / "notes.json").write_text("{}")  # not a post file
    return sorted(files)


def test_a_folder_chunk_is_a_slice_of_the_sorted_files_and_reads_only_them(tmp_path, monkeypatch):
    files = write_folder(tmp_path / "posts", 10)
    chunks = plan_chunks([str(tmp_path / "posts")], 4)
    assert [(c.start, c.stop, c.label) for c in chunks] == [
        (0, 4, "posts[0:4]"), (4, 8, "posts[4:8]"), (8, 10, "posts[8:10]"),
    ]
    assert [f for c in chunks for f in c.files] == [str(f) for f in files]
    assert chunks[1].size == sum(f.stat().st_size for f in files[4:8])

    expected = [f.read_bytes() for f in files[4:8]]
    opened = []
    original = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *args: opened.append(str(self)) or original(self, *args))
    for file in files[:4] + files[8:]:  # the other chunks' files are gone: reading chunk 1 never touches them
        file.unlink()
    middle = list(Reader().read(chunks[1]))
    assert [(p.path, p.data) for p in middle] == list(zip(map(str, files[4:8]), expected, strict=True))
    assert opened == [str(f) for f in files[4:8]]


def test_one_chunk_per_input_without_a_chunk_size(tmp_path):
    files = write_folder(tmp_path / "posts", 5)
    lines = tmp_path / "records.jsonl"
    lines.write_text("".join(json.dumps({"path": f"p{i}", "text": "t"}) + "\n" for i in range(3)))
    single = files[0]
    missing, empty = str(tmp_path / "missing"), str(tmp_path / "empty")
    chunks = plan_chunks([str(tmp_path / "posts"), str(lines), str(single), missing, empty])
    assert [(c.label, len(c.files)) for c in chunks] == [
        ("posts[0:5]", 5), ("records.jsonl", 0), (f"{single.name}[0:1]", 1), ("missing[0:1]", 1), ("empty[0:1]", 1),
    ]
    (tmp_path / "empty").mkdir()
    assert plan_chunks([empty], 10) == [Chunk(empty, 0, 1, (empty,))]  # read as one empty-input failure
    read_back = records(tmp_path, chunks[:4])
    assert [r.path for r in read_back] == [*map(str, files), "p0", "p1", "p2", str(single), missing]
    assert read_back[-1].reason == Reason.NOT_FOUND


LINES = [
    {"path": "a.md", "text": "一"},
    {"path": "b.md", "text": "二" * 5000},  # longer than a scan block below
    "",  # an empty line: a bad-record failure, still a line
    "not json",
    {"path": "c.md", "text": "三"},
    {"path": "d.md"},  # no text: bad-record
    {"path": "e.md", "text": "四\n五"},  # a newline inside a JSON string is escaped: still one line
    {"path": "f.md", "text": "六"},
]


def write_lines(path: Path, lines: list, final_newline: bool = True) -> Path:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    data = (text + ("\n" if final_newline else "")).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["records.jsonl", "records.jsonl.gz"])
@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("block", [5, 64, 2**20])
def test_jsonl_chunks_cover_every_line_once_with_its_number(tmp_path, monkeypatch, name, final_newline, block):
    monkeypatch.setattr(read, "SCAN_BLOCK", block)  # several marks in one block, and marks across blocks
    path = write_lines(tmp_path / name, LINES, final_newline)
    whole = summary(records(path, plan_chunks([str(path)])))
    assert [source for source, _, _ in whole] == [f"{path}:{n}" for n in range(1, len(LINES) + 1)]
    reasons = [what for _, _, what in whole if isinstance(what, Reason)]
    assert reasons == [Reason.BAD_RECORD, Reason.BAD_JSON, Reason.BAD_RECORD]
    for size in (1, 2, 3, 7, len(LINES), 100):
        chunks = plan_chunks([str(path)], size)
        assert [(c.start, c.stop) for c in chunks] == [
            (start, min(start + size, len(LINES))) for start in range(0, len(LINES), size)
        ]
        assert summary(records(path, chunks)) == whole, size
        assert sum(c.size for c in chunks) == path.stat().st_size


def test_plain_jsonl_offsets_are_line_starts_and_reading_a_chunk_parses_only_its_lines(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "records.jsonl", LINES)
    data = path.read_bytes()
    parsed = []
    original = json.loads
    monkeypatch.setattr(json, "loads", lambda text, *a, **k: parsed.append(text) or original(text, *a, **k))
    chunks = plan_chunks([str(path)], 3)
    assert parsed == []  # planning splits lines, it parses nothing
    assert [c.offset for c in chunks] == [0] + [len(b"".join(data.splitlines(True)[:c.start])) for c in chunks[1:]]
    assert all(data[c.offset - 1:c.offset] == b"\n" for c in chunks[1:])
    last = list(Reader().read(chunks[-1]))
    assert [r.source for r in last] == [f"{path}:7", f"{path}:8"]
    assert len(parsed) == 2  # lines 1 to 6 were neither parsed nor even split


def test_a_broken_gzip_stream_ends_its_last_chunk_with_one_truncated_input_failure(tmp_path):
    lines = [{"path": f"p{i}.md", "text": f"text {i} " + "x" * (i * 300)} for i in range(40)]
    whole = gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    one = records(path, plan_chunks([str(path)]))
    assert isinstance(one[-1], Failure) and one[-1].reason == Reason.TRUNCATED_INPUT
    assert all(isinstance(r, Post) for r in one[:-1]) and len(one) > 5
    for size in (1, 4, 10):
        chunks = plan_chunks([str(path)], size)
        assert chunks[-1].stop == len(one)  # the lines before the break, and the break
        assert summary(records(path, chunks)) == summary(one), size


def test_a_failure_source_reads_back_its_one_line(tmp_path):
    path = write_lines(tmp_path / "records.jsonl.gz", LINES)
    failures = [r for r in records(path, plan_chunks([str(path)], 3)) if isinstance(r, Failure)]
    assert [f.source for f in failures] == [f"{path}:3", f"{path}:4", f"{path}:6"]
    for failure in failures:
        again = records(path, source_chunk(failure.source))
        assert summary(again) == [(failure.source, failure.path, failure.reason)]
    assert records(path, source_chunk(f"{path}:5"))[0].data == "三"
    assert source_chunk(str(path)) == plan_chunks([str(path)])  # a whole input (a truncated one) is read again whole
