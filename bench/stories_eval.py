"""Score newsmon.stories' near-duplicate detector on bench/labels/story_pairs.jsonl, and time its signatures.

    python bench/stories_eval.py [--corpus PATH] [--labels PATH] [--show N] [--speed-posts N] [--dev-only]
                                 [--first-reading]

Each labelled pair names two posts of ../shared/corpus/archive-2020h2.jsonl.gz by line (from 0); both are parsed as
`newsmon parse` does (title and body paragraphs) and compared with `same_story`. Precision, recall and F1 of `same`
against everything else, on the dev and the test split (the thresholds were tuned on dev only); then how the detector
answers the `event` pairs (the same event in other words, which it is not meant to join), and speed: signatures and
band keys per second over the first N posts of the corpus, in one process.
Targets (issue 11): precision and recall of `same` at least 0.95 on both splits.
"""

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.score import binary_prf  # noqa: E402
from newsmon.parsers.parse import parse_post  # noqa: E402
from newsmon.stories import Signature, bands, same_story, signature  # noqa: E402


def read_posts(corpus: Path, wanted: set[int], first: int) -> dict[int, dict]:
    """`newsmon parse`'s JSON of the wanted lines and of the first `first` lines, those that parse."""
    posts: dict[int, dict] = {}
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= first and number > max(wanted):
                break
            if number in wanted or number < first:
                record = json.loads(line)
                parsed = parse_post(record["path"], record["text"])
                if "error" not in parsed:
                    posts[number] = parsed
    return posts


def store_identity(post: dict) -> str:
    """What a post's signature carries where its URL goes: two posts with one outlet's own article id are one stored
    article (one dedup key, the later text a revision), whatever their URLs."""
    return f"{post['outlet']}:id:{post['article_id']}" if post["article_id"] else post["url"]


def signature_of(post: dict) -> Signature:
    published = datetime.fromisoformat(post["published_at"]) if post["published_at"] else None
    return signature(post["title"], "\n".join(post["paragraphs"]), outlet=post["outlet"], url=store_identity(post),
                     published_at=published)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"))
    ap.add_argument("--labels", default=str(ROOT / "bench/labels/story_pairs.jsonl"))
    ap.add_argument("--show", type=int, default=0,
                    help="print N wrongly judged dev pairs with the detector's reason (test pairs: never)")
    ap.add_argument("--speed-posts", type=int, default=2000)
    ap.add_argument("--dev-only", action="store_true", help="print nothing about test pairs (while tuning)")
    ap.add_argument("--first-reading", action="store_true",
                    help="rounds 1-2's pairs by their first reader's labels, not the two later readers' (first_read)")
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [row | row["first_read"] if args.first_reading and "first_read" in row else row
                for row in map(json.loads, lines) if not (args.dev_only and row["split"] == "test")]
    posts = read_posts(Path(args.corpus), {r["a"] for r in rows} | {r["b"] for r in rows}, args.speed_posts)
    missing = [r["id"] for r in rows if r["a"] not in posts or r["b"] not in posts]
    assert not missing, f"pairs whose posts do not parse: {missing}"

    signatures = {number: signature_of(post) for number, post in posts.items()}
    verdicts = {r["id"]: same_story(signatures[r["a"]], signatures[r["b"]]) for r in rows}
    keys = {number: set(bands(sig)) for number, sig in signatures.items()}
    candidates = {r["id"]: bool(keys[r["a"]] & keys[r["b"]]) for r in rows}
    print(f"{len(rows)} labelled pairs: " + ", ".join(f"{n} {k}" for k, n in sorted(Counter(
        r["label"] for r in rows).items())))
    print("same_story judging each labelled pair; then as the index would, judging only pairs sharing a key"
          " (a band's or the title's):")
    print(f"{'split':<16} {'pairs':>5} {'same':>5} {'precision':>9} {'recall':>7} {'F1':>6}   "
          f"{'keys shared (same pairs)':>29} {'precision':>9} {'recall':>7}")
    # (name, split, round): round None is every round; round 3's lines say so, those of rounds 1-2 have no round
    groups = [("dev", "dev", None), ("test", "test", None), ("dev rounds 1-2", "dev", False),
              ("dev round 3", "dev", True), ("test rounds 1-2", "test", False), ("test round 3", "test", True)]
    for name, split, third_round in groups:
        chosen = [r for r in rows if r["split"] == split and third_round in (None, r.get("round") == 3)]
        if not chosen:
            continue
        truth = [r["label"] == "same" for r in chosen]
        p, r_, f = binary_prf(truth, [verdicts[r["id"]].same for r in chosen])
        indexed = binary_prf(truth, [verdicts[r["id"]].same and candidates[r["id"]] for r in chosen])
        same = sum(truth)
        found = sum(candidates[r["id"]] for r in chosen if r["label"] == "same")
        print(f"{name:<16} {len(chosen):>5} {same:>5} {p:>9.3f} {r_:>7.3f} {f:>6.3f}   {found:>22} of {same:<4} "
              f"{indexed[0]:>9.3f} {indexed[1]:>7.3f}")
    print(f"\nthe detector's answer by kind of pair ({'dev' if args.dev_only else 'both splits'}):")
    by_kind: Counter = Counter()
    for row in rows:
        by_kind[(row["label"], row["kind"], verdicts[row["id"]].same)] += 1
    for label, kind in sorted({(label, kind) for label, kind, _ in by_kind}):
        joined, apart = by_kind[(label, kind, True)], by_kind[(label, kind, False)]
        print(f"  {label:<9} {kind:<12} {joined + apart:>4} pairs: {joined:>3} judged same, {apart:>3} not")
    wrong = [r for r in rows if r["split"] == "dev" and verdicts[r["id"]].same != (r["label"] == "same")]
    for row in wrong[: args.show]:
        print(f"\n#{row['id']} [{row['split']}] labelled {row['label']} ({row['kind']}): {row['note']}\n"
              f"  {row['a_outlet']}: {row['a_title']}\n  {row['b_outlet']}: {row['b_title']}\n"
              f"  detector: {verdicts[row['id']].why}")

    speed_posts = [(post["title"], "\n".join(post["paragraphs"])) for n, post in sorted(posts.items())
                   if n < args.speed_posts]
    if not speed_posts:
        return
    characters = sum(len(title) + len(body) for title, body in speed_posts)
    started = time.perf_counter()
    for title, body in speed_posts:
        bands(signature(title, body))
    seconds = time.perf_counter() - started
    print(f"\nspeed: {len(speed_posts)} posts ({characters / len(speed_posts):.0f} characters on average): "
          f"{len(speed_posts) / seconds:.0f} signatures with band keys per second in one process ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
