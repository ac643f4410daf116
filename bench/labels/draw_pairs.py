"""Draw the pairs to read from bench/labels/mine_candidates.py's candidates, as bench/labels/story_pairs.jsonl was.

    python bench/labels/draw_pairs.py candidates.jsonl > drawn.jsonl

Two rounds, both seeded. Round 1 (seed 11): the candidates are put in strata by kind (script: one title traditional,
the other simplified; teaser: one body over 3 times the other; same-outlet; cross-outlet) and by overlap8 (hi >= 0.8,
mid >= 0.3, lo); 8 hi, 10 mid, 8 lo are drawn from each, 6 more from the script and teaser strata. Round 2 (seed 12),
aimed at the kinds round 1 drew few of: 18 pairs with one title in both scripts, 14 of one outlet with one title,
8 across outlets with one title, 16 teasers (one body over 3 times the other, overlap8 >= 0.3) and 10 pairs found by
the title prefix alone (look-alikes). Bodies under 30 characters are left out.

    python bench/labels/draw_pairs.py candidates.jsonl --more bench/labels/story_pairs.jsonl > more.jsonl

Round 3 (seed 21, issue 11's second set), drawn from the candidates not in the given labels file: in each stratum of
round 1, 5 hi, 12 mid and 8 lo (more of the middle, where a rewrite and a report of one event meet), then 20 pairs
across outlets under one title, in one script or two (where the one-title rule acts; round 2's `cross-title`
was one script only).
"""

import argparse
import json
import random
from collections import defaultdict


def kind(c: dict) -> str:
    if c["a_traditional"] != c["b_traditional"]:
        return "script"
    if max(c["a_chars"], c["b_chars"]) > 3 * max(1, min(c["a_chars"], c["b_chars"])):
        return "teaser"
    return "same-outlet" if c["a_outlet"] == c["b_outlet"] else "cross-outlet"


def level(overlap: float) -> str:
    return "hi" if overlap >= 0.8 else "mid" if overlap >= 0.3 else "lo"


def strata_of(candidates: list[dict]) -> dict[tuple[str, str], list[dict]]:
    strata = defaultdict(list)
    for c in candidates:
        strata[(kind(c), level(c["overlap8"]))].append(c)
    return strata


def round3(candidates: list[dict], labelled: set[tuple[int, int]]) -> list[dict]:
    fresh = [c for c in candidates if (c["a"], c["b"]) not in labelled]
    random.seed(21)
    quota = {"hi": 5, "mid": 12, "lo": 8}
    drawn = []
    for (k, o), members in sorted(strata_of(fresh).items()):
        drawn += [c | {"group": f"{k}-{o}"} for c in random.sample(members, min(quota[o], len(members)))]
    taken = {(c["a"], c["b"]) for c in drawn}
    cross_title = [c for c in fresh if "title" in c["signals"] and c["a_outlet"] != c["b_outlet"]
                   and (c["a"], c["b"]) not in taken]
    drawn += [c | {"group": "cross-title"} for c in random.sample(cross_title, min(20, len(cross_title)))]
    random.shuffle(drawn)
    return drawn


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("candidates")
    ap.add_argument("--more", metavar="LABELS", help="draw round 3, leaving out the pairs of this labels file")
    args = ap.parse_args()
    with open(args.candidates, encoding="utf-8") as lines:
        candidates = [c for c in map(json.loads, lines) if min(c["a_chars"], c["b_chars"]) >= 30]
    if args.more:
        with open(args.more, encoding="utf-8") as lines:
            labelled = {(row["a"], row["b"]) for row in map(json.loads, lines)}  # a < b, as mined
        for c in round3(candidates, labelled):
            print(json.dumps(c))
        return
    strata = strata_of(candidates)
    random.seed(11)
    quota = {"hi": 8, "mid": 10, "lo": 8}
    drawn = []
    for (k, o), members in sorted(strata.items()):
        drawn += random.sample(members, min(quota[o] + (6 if k in ("script", "teaser") else 0), len(members)))
    random.shuffle(drawn)
    taken = {(c["a"], c["b"]) for c in drawn}
    groups = defaultdict(list)
    for c in candidates:
        if (c["a"], c["b"]) in taken:
            continue
        if "title" in c["signals"]:
            if c["a_traditional"] != c["b_traditional"]:
                groups["twin-title"].append(c)
            elif c["a_outlet"] == c["b_outlet"]:
                groups["same-outlet-title"].append(c)
            else:
                groups["cross-title"].append(c)
        if max(c["a_chars"], c["b_chars"]) > 3 * min(c["a_chars"], c["b_chars"]) and c["overlap8"] >= 0.3:
            groups["teaser"].append(c)
        if c["signals"] == ["prefix"]:
            groups["prefix-only"].append(c)
    random.seed(12)
    for group, wanted in (("twin-title", 18), ("same-outlet-title", 14), ("cross-title", 8), ("teaser", 16),
                          ("prefix-only", 10)):
        chosen = 0
        for c in random.sample(groups[group], len(groups[group])):
            if chosen == wanted:
                break
            if (c["a"], c["b"]) not in taken:
                taken.add((c["a"], c["b"]))
                drawn.append(c | {"group": group})
                chosen += 1
    for c in drawn:
        print(json.dumps(c))


if __name__ == "__main__":
    main()
