"""Score newsmon.events' event level on bench/labels/story_pairs.jsonl, and what it costs an article in a stream.

    python bench/events_eval.py [--corpus PATH] [--labels PATH] [--idf-posts N] [--stream-from N] [--stream-posts N]
                                [--stream-days N] [--show N] [--sample N]

Posts of ../shared/corpus/archive-2020h2.jsonl.gz (newest first) are parsed as `newsmon parse` does. The document
frequencies are counted over the first --idf-posts posts (by default 20,000: 25 November 2020 to 22 January 2021).

1. The labelled pairs: `same` and `event` are one event, `different` is not. Precision, recall and F1 on dev and on
   test (the settings were tuned on dev only), and the share of the `event` pairs joined; then the same with the
   story level in front (a pair is one event when newsmon.stories calls it one story or newsmon.events one event), as
   a deployment would chain them. Then the dev grid the settings were chosen from.
2. The stream: --stream-posts posts from line --stream-from (by default 10,000 from line 20,000: 27 October to 25
   November 2020, the US election; those published in the --stream-days before the newest), taken in the order
   published, each looked up in an in-memory index of the key
   terms of the articles of the last WINDOW as a database index would be (a posting list per key, nothing compared
   pairwise), its candidates judged, then added. Milliseconds per article (terms and vector; lookup and judging),
   candidates and matches per article, and the events that joining every match would make. --sample N prints N
   matches drawn at random, to read.
"""

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections import Counter, deque
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.score import binary_prf  # noqa: E402
from bench.stories_eval import store_identity  # noqa: E402
from newsmon import events  # noqa: E402
from newsmon.parsers.parse import parse_post  # noqa: E402
from newsmon.search_text import normalise  # noqa: E402
from newsmon.stories import same_story, signature  # noqa: E402

GRID_KEY_TERMS = (10, 20, 30)
GRID_SHARED_KEYS = (1, 2, 3)
GRID_COSINES = [round(0.10 + 0.01 * step, 2) for step in range(31)]


def read_posts(corpus: Path, wanted: set[int], first: int, stream: range) -> dict[int, dict]:
    """`newsmon parse`'s JSON of the wanted lines, the first `first` lines and the stream's, those that parse."""
    posts: dict[int, dict] = {}
    last = max(max(wanted), first - 1, stream.stop - 1)
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number > last:
                break
            if number in wanted or number < first or number in stream:
                record = json.loads(line)
                parsed = parse_post(record["path"], record["text"])
                if "error" not in parsed:
                    parsed["body"] = "\n".join(parsed["paragraphs"])
                    parsed["time"] = datetime.fromisoformat(parsed["published_at"]) if parsed["published_at"] else None
                    posts[number] = parsed
    return posts


def score_labels(rows: list[dict], posts: dict[int, dict], frequencies: events.DocumentFrequencies,
                 show: int) -> None:
    numbers = {r["a"] for r in rows} | {r["b"] for r in rows}
    vectors = {n: events.event_vector(events.terms(posts[n]["title"], posts[n]["body"]), frequencies,
                                      posts[n]["time"]) for n in numbers}
    signatures = {n: signature(posts[n]["title"], posts[n]["body"], outlet=posts[n]["outlet"],
                               url=store_identity(posts[n]), published_at=posts[n]["time"]) for n in numbers}
    verdicts = {r["id"]: events.same_event(vectors[r["a"]], vectors[r["b"]]) for r in rows}
    story = {r["id"]: same_story(signatures[r["a"]], signatures[r["b"]]).same for r in rows}
    print(f"{len(rows)} labelled pairs: " + ", ".join(f"{n} {k}" for k, n in sorted(Counter(
        r["label"] for r in rows).items())) + "; one event = same or event")
    print(f"settings: window {events.WINDOW}, {events.KEY_TERMS} key terms, at least {events.SHARED_KEYS} shared, "
          f"cosine at least {events.SAME_EVENT_COSINE}")
    print(f"{'split':<6} {'pairs':>5} {'events':>6} {'precision':>9} {'recall':>7} {'F1':>6} {'event-only recall':>18}"
          f"   {'with stories: precision':>23} {'recall':>7} {'F1':>6} {'event-only recall':>18}")
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        truth = [r["label"] != "different" for r in chosen]
        alone = [verdicts[r["id"]].same for r in chosen]
        chained = [verdicts[r["id"]].same or story[r["id"]] for r in chosen]
        event_rows = [i for i, r in enumerate(chosen) if r["label"] == "event"]
        cells = []
        for guess in (alone, chained):
            p, r_, f = binary_prf(truth, guess)
            joined = sum(guess[i] for i in event_rows)
            cells.append(f"{p:>9.3f} {r_:>7.3f} {f:>6.3f} {joined:>9} of {len(event_rows):<2} "
                         f"{joined / len(event_rows):.2f}")
        print(f"{split:<6} {len(chosen):>5} {sum(truth):>6} {cells[0]}   {'':>14}{cells[1]}")
    wrong = [r for r in rows if verdicts[r["id"]].same != (r["label"] != "different")]
    for row in wrong[:show]:
        print(f"\n#{row['id']} [{row['split']}] labelled {row['label']} ({row['kind']}): {row['note']}\n"
              f"  {row['a_outlet']}: {row['a_title']}\n  {row['b_outlet']}: {row['b_title']}\n"
              f"  event level: {verdicts[row['id']].why}")

    # the dev grid: the rule of same_event with other settings
    dev = [r for r in rows if r["split"] == "dev"]
    truth = [r["label"] != "different" for r in dev]
    in_window = {r["id"]: events.within_window(vectors[r["a"]], vectors[r["b"]]) for r in dev}
    cosines = {r["id"]: verdicts[r["id"]].cosine for r in dev}
    results = []
    for key_terms in GRID_KEY_TERMS:
        keys = {n: set(sorted(v.weights, key=lambda t, w=v.weights: (-w[t], t))[:key_terms])
                for n, v in vectors.items()}
        shared = {r["id"]: len(keys[r["a"]] & keys[r["b"]]) for r in dev}
        for shared_keys in GRID_SHARED_KEYS:
            for threshold in GRID_COSINES:
                guess = [in_window[r["id"]] and shared[r["id"]] >= shared_keys and cosines[r["id"]] >= threshold
                         for r in dev]
                results.append((binary_prf(truth, guess), key_terms, shared_keys, threshold))
    results.sort(key=lambda result: (-result[0][2], -result[0][0]))
    print("\nthe dev grid, best F1 first (key terms, shared, cosine: precision recall F1):")
    for (p, r_, f), key_terms, shared_keys, threshold in results[:8]:
        print(f"  {key_terms:>3} {shared_keys:>2} {threshold:.2f}: {p:.3f} {r_:.3f} {f:.3f}")


def simulate_stream(posts: list[dict], frequencies: events.DocumentFrequencies, sample: int) -> None:
    """Each post in the order published: its vector, its candidates from the posting lists of its key terms within
    the window, judged; then it joins the index."""
    postings: dict[str, deque[int]] = {}  # key term -> indexes into `seen`, oldest first
    seen: list[events.EventVector] = []
    normalise_ms, vector_ms, lookup_ms, candidates_per, matches_per = [], [], [], [], []
    matches: list[tuple[int, int, float]] = []
    parent = list(range(len(posts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for index, post in enumerate(posts):
        started = time.perf_counter()
        title, body = normalise(post["title"]), normalise(post["body"])
        normalised = time.perf_counter()
        vector = events.event_vector(events.search_normal_terms(title, body), frequencies, post["time"])
        vectorised = time.perf_counter()
        oldest = post["time"] - events.WINDOW
        shared: Counter[int] = Counter()
        for key in vector.keys:
            posting = postings.setdefault(key, deque())
            while posting and seen[posting[0]].published_at < oldest:  # type: ignore[operator]
                posting.popleft()
            shared.update(posting)
        candidates = [other for other, count in shared.items() if count >= events.SHARED_KEYS]
        found = [(other, events.same_event(vector, seen[other])) for other in candidates]
        for key in vector.keys:
            postings[key].append(index)
        seen.append(vector)
        finished = time.perf_counter()
        normalise_ms.append(1000 * (normalised - started))
        vector_ms.append(1000 * (vectorised - normalised))
        lookup_ms.append(1000 * (finished - vectorised))
        candidates_per.append(len(candidates))
        joined = [(other, verdict.cosine) for other, verdict in found if verdict.same]
        matches_per.append(len(joined))
        for other, similarity in joined:
            matches.append((other, index, similarity))
            parent[root(other)] = root(index)

    def spread(values: list, unit: str = "") -> str:
        ordered = sorted(values)
        return (f"mean {statistics.fmean(ordered):.2f}{unit}, p50 {ordered[len(ordered) // 2]:.2f}{unit}, "
                f"p95 {ordered[int(0.95 * len(ordered))]:.2f}{unit}, max {ordered[-1]:.2f}{unit}")

    sizes = Counter(root(i) for i in range(len(posts)))
    grouped = sorted((size for size in sizes.values() if size > 1), reverse=True)
    days = (posts[-1]["time"] - posts[0]["time"]).total_seconds() / 86400
    print(f"  {len(posts)} posts over {days:.0f} days ({len(posts) / days:.0f} a day), "
          f"{posts[0]['time']:%Y-%m-%d} to {posts[-1]['time']:%Y-%m-%d}, in the order published")
    print(f"  normalise:         {spread(normalise_ms, ' ms')} (the import does it once for search and stories)")
    print(f"  terms and vector:  {spread(vector_ms, ' ms')}")
    print(f"  lookup and judge:  {spread(lookup_ms, ' ms')}")
    print(f"  candidates:        {spread(candidates_per)}")
    print(f"  matches:           {spread(matches_per)}")
    print(f"  {len(matches)} matches; joined into events: {sum(grouped)} articles in {len(grouped)} events of 2 or "
          f"more, the largest {grouped[:5]}")
    for a, b, similarity in random.Random(20201231).sample(matches, min(sample, len(matches))):
        print(f"\n  cosine {similarity:.2f}, {abs(posts[a]['time'] - posts[b]['time']).total_seconds() / 3600:.0f} h"
              f"\n    {posts[a]['outlet']}: {posts[a]['title']}\n    {posts[b]['outlet']}: {posts[b]['title']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"))
    ap.add_argument("--labels", default=str(ROOT / "bench/labels/story_pairs.jsonl"))
    ap.add_argument("--idf-posts", type=int, default=20_000)
    ap.add_argument("--stream-from", type=int, default=20_000)
    ap.add_argument("--stream-posts", type=int, default=10_000)
    ap.add_argument("--stream-days", type=int, default=28)
    ap.add_argument("--show", type=int, default=0, help="print N wrongly judged labelled pairs with the reason")
    ap.add_argument("--sample", type=int, default=0, help="print N of the stream's matches drawn at random")
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    stream = range(args.stream_from, args.stream_from + args.stream_posts)
    posts = read_posts(Path(args.corpus), {r["a"] for r in rows} | {r["b"] for r in rows}, args.idf_posts, stream)
    missing = [r["id"] for r in rows if r["a"] not in posts or r["b"] not in posts]
    assert not missing, f"pairs whose posts do not parse: {missing}"
    frequencies = events.document_frequencies(
        events.terms(post["title"], post["body"]) for number, post in posts.items() if number < args.idf_posts)
    print("document frequencies: " + ", ".join(f"{documents} {of_script} posts ({len(frequencies.counts[of_script])} "
                                               f"terms)" for of_script, documents in frequencies.documents.items()))
    score_labels(rows, posts, frequencies, args.show)
    timed = [posts[n] for n in stream if n in posts and posts[n]["time"]]
    if not timed:
        return
    newest = max(post["time"] for post in timed)
    # a few posts carry a date years old (an archive page re-fed): they would stretch the stream, not load it
    recent = sorted((post for post in timed if post["time"] >= newest - timedelta(days=args.stream_days)),
                    key=lambda post: post["time"])
    print(f"\nstream: of posts {stream.start} to {stream.stop - 1}, the {len(recent)} published in the "
          f"{args.stream_days} days before the newest ({len(timed) - len(recent)} older ones left out)")
    simulate_stream(recent, frequencies, args.sample)


if __name__ == "__main__":
    main()
