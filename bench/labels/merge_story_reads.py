"""Merge round 3's independent readings into story_pairs.jsonl lines, and print the readers' agreement.

    python bench/labels/merge_story_reads.py drawn.jsonl story_pairs_reads.jsonl > round3.jsonl

drawn.jsonl is draw_pairs.py --more's output, in its order: pair ids go on from 206 in that order. Each pair was read
by two readers blind to each other, to the detector and to the earlier labels (story_pairs_reads.jsonl: id, reader,
label, confidence, note); where they disagreed a third reader, shown both readings but not the detector, decided
(reader "adjudicator"). The kind is assigned from the data as for rounds 1 and 2 (bench/labels/README.md), the split
by CRC32 of "a-b" (test when 0 or 1 mod 5), fixed before any pair was read.
"""

import json
import re
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.stories_eval import read_posts  # noqa: E402

CORPUS = ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"
FIRST_ID = 206
# what the deciding reader's note says the two texts are, templates first: a tally or a series is a template even
# when the note calls its content a list
LOOK_ALIKE_NOTE = re.compile(r"\b(templates?|series|editions?|boilerplate|recurring|tally|same topic|"
                             r"(other|different) days?)\b")
DIGEST_NOTE = re.compile(r"\b(digests?|round-?ups?|round ups?|compilations?|briefings?|lists?)\b")


def kappa(pairs: list[tuple]) -> float:
    """Cohen's kappa of two readers' labels."""
    agreed = sum(a == b for a, b in pairs) / len(pairs)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[label] * second[label] for label in first) / len(pairs) ** 2
    return (agreed - chance) / (1 - chance)


def kind(label: str, note: str, a: dict, b: dict, t2s: opencc.OpenCC) -> str:
    if label == "event":
        return "event"
    note = note.lower()
    if label == "different":
        if LOOK_ALIKE_NOTE.search(note):
            return "look-alike"
        if DIGEST_NOTE.search(note):
            return "digest"
        return "look-alike" if a["outlet"] == b["outlet"] else "other"
    traditional = [t2s.convert(p["title"]) != p["title"] for p in (a, b)]
    sizes = sorted(len("".join(p["paragraphs"])) for p in (a, b))
    if sizes[1] > 2.5 * max(1, sizes[0]):
        return "teaser"
    if a["outlet"] == b["outlet"]:
        return "edit"
    return "script-twin" if traditional[0] != traditional[1] else "copy"


def readings(path: str) -> dict[int, list[dict]]:
    """Every reading of a reads file (id, reader, label, confidence, note), by pair id."""
    reads: dict[int, list[dict]] = defaultdict(list)
    with open(path, encoding="utf-8") as lines:
        for read in map(json.loads, lines):
            reads[read["id"]].append(read)
    return reads


def decide(pair_reads: list[dict]) -> tuple[dict, dict, dict]:
    """A pair's two blind readings and the reading that decides it: theirs when they agree, else the adjudicator's."""
    first, second = [r for r in pair_reads if r["reader"] != "adjudicator"]
    decided = first if first["label"] == second["label"] else next(
        r for r in pair_reads if r["reader"] == "adjudicator")
    return first, second, decided


def agreement(blind: list[tuple[str, str]], read: str) -> str:
    """How two readers' labels agree: on the label, and on the call of same or not, with Cohen's kappa."""
    agreed = sum(x == y for x, y in blind)
    same_or_not = [(x == "same", y == "same") for x, y in blind]
    binary = sum(x == y for x, y in same_or_not)
    return (f"{len(blind)} pairs {read}: the same label {agreed} ({agreed / len(blind):.0%}, kappa "
            f"{kappa(blind):.2f}); the same call of same or not {binary} ({binary / len(blind):.0%}, kappa "
            f"{kappa(same_or_not):.2f})")


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as lines:
        drawn = [json.loads(line) for line in lines]
    reads = readings(sys.argv[2])
    wanted = {c["a"] for c in drawn} | {c["b"] for c in drawn}
    posts = read_posts(CORPUS, wanted, 0)
    t2s = opencc.OpenCC("t2s")
    blind = []
    for offset, c in enumerate(drawn):
        pair_id = FIRST_ID + offset
        first, second, decided = decide(reads[pair_id])
        blind.append((first["label"], second["label"]))
        a, b = posts[c["a"]], posts[c["b"]]
        split = "test" if zlib.crc32(f"{c['a']}-{c['b']}".encode()) % 5 in (0, 1) else "dev"
        print(json.dumps({
            "id": pair_id, "a": c["a"], "b": c["b"], "label": decided["label"],
            "kind": kind(decided["label"], decided["note"], a, b, t2s), "split": split, "found_by": c["signals"],
            "a_outlet": a["outlet"], "b_outlet": b["outlet"], "a_title": a["title"], "b_title": b["title"],
            "a_path": a["path"], "b_path": b["path"], "note": decided["note"], "round": 3,
            "reads": [first["label"], second["label"]]}, ensure_ascii=False))
    print(agreement(blind, "read twice"), file=sys.stderr)


if __name__ == "__main__":
    main()
