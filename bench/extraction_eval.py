"""Score `newsmon parse` against hand-cut gold bodies (character-bigram F1).

    python bench/extraction_eval.py [--labels PATH] [--trafilatura] [--show N]

--labels: ../shared/labels/extraction_dev.jsonl (Zaobao, VOA, BBC; the default) or
tests/generic_gold/generic_dev.jsonl (20 posts of 15 other outlets, read by the generic parser).
Prints per-outlet mean/min F1 for newsmon's parsers (and trafilatura's `extract` on the same HTML, if asked).
"""

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.score import bigram_prf  # noqa: E402
from newsmon.parsers.archive import read_post  # noqa: E402
from newsmon.parsers.parse import parse_post  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(ROOT.parent / "shared/labels/extraction_dev.jsonl"))
    ap.add_argument("--trafilatura", action="store_true")
    ap.add_argument("--show", type=int, default=0, help="print the diff of the N worst posts")
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    scores = defaultdict(lambda: defaultdict(list))
    worst = []
    elapsed = defaultdict(float)
    for row in rows:
        gold = "\n".join(row["paragraphs"])
        started = time.perf_counter()
        result = parse_post(row["path"], row["raw"])
        elapsed["newsmon"] += time.perf_counter() - started
        predicted = "\n".join(result.get("paragraphs", []))
        f1 = bigram_prf(predicted, gold)[2]
        outlet = row.get("outlet") or result.get("outlet", "?")
        scores[outlet]["newsmon"].append(f1)
        worst.append((f1, row, result))
        if args.trafilatura:
            import trafilatura

            post = read_post(row["path"], row["raw"])
            started = time.perf_counter()
            text = trafilatura.extract(post.html, url=post.url) or ""
            elapsed["trafilatura"] += time.perf_counter() - started
            scores[outlet]["trafilatura"].append(bigram_prf(text, gold)[2])
    for outlet, by_tool in scores.items():
        for tool, values in by_tool.items():
            print(
                f"{outlet:12} {tool:12} mean F1 {statistics.mean(values):.4f}  min {min(values):.4f}  n={len(values)}"
            )
    for tool in ("newsmon", "trafilatura"):
        values = [f1 for by_tool in scores.values() for f1 in by_tool.get(tool, [])]
        if values:
            print(f"{'all':12} {tool:12} mean F1 {statistics.mean(values):.4f}  min {min(values):.4f}  n={len(values)}")
    for tool, seconds in elapsed.items():
        print(f"{tool:12} {seconds / len(rows) * 1000:.2f} ms/post")
    for f1, row, result in sorted(worst, key=lambda w: w[0])[: args.show]:
        print(f"\n== {f1:.4f} {result.get('outlet')} {row['path']} {result.get('error', '')}")
        got, want = result.get("paragraphs", []), row["paragraphs"]
        for p in got:
            if p not in want:
                print("  + " + p[:120])
        for p in want:
            if p not in got:
                print("  - " + p[:120])


if __name__ == "__main__":
    main()
