"""Give rounds 1-2's pairs (ids 0-205, one reader) the labels of a blind second reading by two more readers, as
round 3's pairs have, and print how the readings agree with each other and with the first.

    python bench/labels/reread_story_pairs.py story_pairs.jsonl story_pairs_rereads.jsonl > story_pairs.new.jsonl

(on its own output too: the first reading is kept, the output is the same)

story_pairs_rereads.jsonl holds every reading (id, reader, label, confidence, note): two readers per pair, blind to
each other, to the detector and to the first label, given story_rules.md and the two parsed texts (written as round
3's were); where they disagreed a third reader, shown both readings but neither the detector nor the first label,
decided (reader "adjudicator"). A re-read line takes the decided label, its note and the kind that follows from them
(merge_story_reads.kind); the first reading is kept under "first_read" (label, kind, note), the two readings under
"reads". Lines of round 3 are passed through as they are.
"""

import json
import sys
from collections import Counter
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.labels.merge_story_reads import CORPUS, agreement, decide, kind, readings  # noqa: E402
from bench.stories_eval import read_posts  # noqa: E402


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    reads = readings(sys.argv[2])
    first_round = [row for row in rows if row.get("round") != 3]
    posts = read_posts(CORPUS, {r["a"] for r in first_round} | {r["b"] for r in first_round}, 0)
    t2s = opencc.OpenCC("t2s")
    blind, against_first = [], Counter()
    for row in rows:
        if row.get("round") == 3:
            print(json.dumps(row, ensure_ascii=False))
            continue
        first, second, decided = decide(reads[row["id"]])
        blind.append((first["label"], second["label"]))
        # the first reading, also when the input is this script's own output
        first_read = row.get("first_read") or {"label": row["label"], "kind": row["kind"], "note": row["note"]}
        against_first[(first_read["label"], decided["label"])] += 1
        reread = {
            "label": decided["label"], "kind": kind(decided["label"], decided["note"], posts[row["a"]],
                                                   posts[row["b"]], t2s),
            "note": decided["note"], "reads": [first["label"], second["label"]], "first_read": first_read,
        }
        print(json.dumps(row | reread, ensure_ascii=False))
    print(agreement(blind, "read twice more"), file=sys.stderr)
    kept = sum(n for (was, now), n in against_first.items() if was == now)
    print(f"decided label = first reading's for {kept} of {len(blind)}; changed: " + ", ".join(
        f"{was} -> {now} {n}" for (was, now), n in sorted(against_first.items()) if was != now), file=sys.stderr)


if __name__ == "__main__":
    main()
