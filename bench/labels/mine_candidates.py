"""Candidate pairs for bench/labels/story_pairs.jsonl, by cheap signals that are not the detector's own.

    python bench/labels/mine_candidates.py ../shared/corpus/archive-2020h2.jsonl.gz > candidates.jsonl

Each post is parsed as `newsmon parse` does (title and body paragraphs); a and b are line numbers of the corpus, from
0. Signals:
- title: the same title after t2s and stripping punctuation, in two posts (copies, twins, edits, templates);
- rare8: sampled character 8-grams of the body (those whose CRC32 is 0 mod 8) found in 2 to 6 posts, shared by two
  posts at least 3 times (copies, teasers, and texts quoting one source);
- prefix: two posts of one outlet on one day whose titles share their first 6 characters but not the rest
  (look-alikes: series, templates, running stories).
Each candidate line carries the signals, the share of the shorter body's sampled 8-grams found in the other
(`overlap8`), so that the pairs read can be drawn across all levels of overlap, not only the easy ends, and what
bench/labels/draw_pairs.py draws by: outlets, body lengths, whether each title is in traditional script.
"""

import gzip
import json
import re
import sys
import zlib
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import opencc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from newsmon.parsers.parse import parse_post

T2S = opencc.OpenCC("t2s")
NOT_WORD = re.compile(r"[\W_]+")


def norm(text: str) -> str:
    return NOT_WORD.sub("", T2S.convert(text)).lower()


def sampled_grams(text: str) -> set[str]:
    return {text[i:i + 8] for i in range(len(text) - 7) if zlib.crc32(text[i:i + 8].encode()) % 8 == 0}


def read_corpus(path: str) -> list[dict]:
    posts = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            record = json.loads(line)
            parsed = parse_post(record["path"], record["text"])
            if "error" not in parsed:
                posts.append({"n": number, "outlet": parsed["outlet"], "title": parsed["title"],
                              "body": "\n".join(parsed["paragraphs"]), "published": parsed["published_at"]})
    return posts


def main() -> None:
    posts = read_corpus(sys.argv[1])
    grams = [sampled_grams(norm(p["body"])) for p in posts]
    pairs: dict[tuple[int, int], set[str]] = defaultdict(set)
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, post in enumerate(posts):
        title = norm(post["title"])
        if len(title) >= 6:
            by_title[title].append(i)
    for members in by_title.values():
        for pair in combinations(members[:6], 2):
            pairs[pair].add("title")
    postings: dict[str, list[int]] = defaultdict(list)
    for i, gram_set in enumerate(grams):
        for gram in gram_set:
            postings[gram].append(i)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for members in postings.values():
        if 2 <= len(members) <= 6:
            for pair in combinations(members, 2):
                shared[pair] += 1
    for pair, count in shared.items():
        if count >= 3:
            pairs[pair].add("rare8")
    by_day: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, post in enumerate(posts):
        title = norm(post["title"])
        if len(title) >= 10:
            by_day[(post["outlet"], (post["published"] or "")[:10], title[:6])].append(i)
    for members in by_day.values():
        for a, b in combinations(members[:6], 2):
            if norm(posts[a]["title"]) != norm(posts[b]["title"]):
                pairs[(a, b)].add("prefix")
    for (a, b), signals in sorted(pairs.items()):  # in line order: set iteration order varies by process
        smaller = min(len(grams[a]), len(grams[b]))
        overlap = len(grams[a] & grams[b]) / smaller if smaller else 0.0
        described = {f"{key}_{field}": value for key, i in (("a", a), ("b", b)) for field, value in (
            ("outlet", posts[i]["outlet"]), ("chars", len(posts[i]["body"])),
            ("traditional", T2S.convert(posts[i]["title"]) != posts[i]["title"]))}
        print(json.dumps({"a": posts[a]["n"], "b": posts[b]["n"], "signals": sorted(signals),
                          "overlap8": round(overlap, 3), **described}))


if __name__ == "__main__":
    main()
