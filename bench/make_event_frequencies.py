"""Make newsmon/data/event_frequencies.json.gz, the document frequencies the database's event level weighs with, and
score the labelled pairs with it and with the whole table it was pruned from.

    python bench/make_event_frequencies.py [--corpus PATH] [--labels PATH] [--idf-posts N] [--least N] [--output PATH]

The frequencies are counted as bench/events_eval.py counts them: over the first --idf-posts posts of the corpus (by
default 20,000: 25 November 2020 to 22 January 2021), parsed as `newsmon parse` does, per script. Terms in fewer
than --least articles are left out of the file (they weigh as terms no article had), which keeps it small. The
labels are then scored both ways (bench/events_eval.py's table), so what the pruning changes is seen.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.events_eval import read_posts, score_labels  # noqa: E402
from newsmon import events  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"))
    ap.add_argument("--labels", default=str(ROOT / "bench/labels/story_pairs.jsonl"))
    ap.add_argument("--idf-posts", type=int, default=20_000)
    ap.add_argument("--least", type=int, default=2, help="keep the terms of at least this many articles")
    ap.add_argument("--output", type=Path, default=events.FROZEN_FREQUENCIES)
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    posts = read_posts(Path(args.corpus), {r["a"] for r in rows} | {r["b"] for r in rows}, args.idf_posts, range(0))
    whole = events.document_frequencies(
        events.terms(post["title"], post["body"]) for number, post in posts.items() if number < args.idf_posts)
    events.write_frequencies(whole, args.output, args.least)
    frozen = events.read_frequencies(args.output)
    for of_script, documents in whole.documents.items():
        print(f"{of_script}: {documents} posts, {len(whole.counts[of_script]):,} terms, "
              f"{len(frozen.counts[of_script]):,} of them in at least {args.least}")
    print(f"{args.output}: {args.output.stat().st_size / 2**20:.2f} MB")
    for name, frequencies in (("the whole table", whole), (f"the file (terms of at least {args.least})", frozen)):
        print(f"\nweighed with {name}:")
        score_labels(rows, posts, frequencies, show=0)


if __name__ == "__main__":
    main()
