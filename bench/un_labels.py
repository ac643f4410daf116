"""The UN relevance labels as rows to score: `../shared/labels/un_dev.jsonl` (200 posts, the rules were written
reading them) and `bench/labels/un_posts.jsonl` (440 posts of issue 12, split into dev and test before any rule or
weight changed). Each row: `key`, `set` (`un_dev`, `dev` or `test`), `outlet`, `level`, `title`, `paragraphs`, parsed
as `newsmon parse` does. un_posts.jsonl keeps no text: its posts are read again from the corpus by line number.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsmon.parsers.parse import parse_post  # noqa: E402

SHARED = ROOT.parent / "shared"
UN_DEV = SHARED / "labels/un_dev.jsonl"
UN_POSTS = ROOT / "bench/labels/un_posts.jsonl"
CORPUS = SHARED / "corpus/archive-2020h2.jsonl.gz"
SETS = ("un_dev", "dev", "test")


def load(sets: tuple[str, ...] = SETS) -> list[dict]:
    rows = []
    if "un_dev" in sets:
        with open(UN_DEV, encoding="utf-8") as lines:
            for line in lines:
                label = json.loads(line)
                rows.append(_row(label["id"], "un_dev", label, parse_post(label["path"], label["raw"])))
    with open(UN_POSTS, encoding="utf-8") as lines:
        wanted = {label["line"]: label for label in map(json.loads, lines) if label["split"] in sets}
    if wanted:
        with gzip.open(CORPUS, "rt", encoding="utf-8") as posts:
            for number, line in enumerate(posts):
                if number in wanted:
                    label, post = wanted[number], json.loads(line)
                    assert post["path"] == label["path"], f"corpus line {number} is not {label['path']}"
                    rows.append(_row(f"line-{number}", label["split"], label, parse_post(post["path"], post["text"])))
    return rows


def _row(key: str, labelled_set: str, label: dict, parsed: dict) -> dict:
    return {"key": key, "set": labelled_set, "outlet": label["outlet"], "level": label["level"],
            "confidence": label["confidence"], "title": parsed.get("title", ""),
            "paragraphs": parsed.get("paragraphs", [])}
