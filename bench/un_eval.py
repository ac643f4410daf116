"""Score `newsmon classify` on the UN relevance labels, beside a plain keyword baseline.

    python bench/un_eval.py [--sets un_dev,dev,test] [--show N]

The labels (bench/un_labels.py): ../shared/labels/un_dev.jsonl (200 posts: the rules were first written reading
them) and bench/labels/un_posts.jsonl (440 posts of issue 12; `dev`, read while the rules changed, and `test`, held
out: scored, never read). Each post is parsed as `newsmon parse` does (title and body paragraphs), sent to `newsmon
classify` as JSON lines, as a user's data would be, and compared with its label: precision, recall and F1 of
UN-related (core + mention) against none, recall of core, per set and over all; the confusion matrix per set; and
classify's time per article, in this process. The baseline flags a post when its title or body holds any UN keyword.
Targets (issue 12), on the test split: F1 >= 0.97, core recall >= 0.95; under 1 ms per article. `--show N` prints
N misclassified posts of the sets read while tuning (never of test).
"""

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import un_labels  # noqa: E402
from bench.score import binary_prf  # noqa: E402
from newsmon.relevance.classify import classify, load_lexicon  # noqa: E402

KEYWORDS = ("联合国", "聯合國", "安理会", "安理會", "世卫", "世衛", "世界卫生组织", "世界衛生組織", "联大", "聯大",
            "United Nations", "Security Council", "WHO", "UNESCO", "UNICEF", "UNHCR", "古特雷斯", "谭德塞", "譚德塞")
LEVELS = ("core", "mention", "none")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(un_labels.SETS))
    ap.add_argument("--show", type=int, default=0, help="print N misclassified posts of un_dev and dev")
    args = ap.parse_args()
    rows = un_labels.load(tuple(args.sets.split(",")))
    requests = [{"id": row["key"], "title": row["title"], "text": "\n\n".join(row["paragraphs"])} for row in rows]
    result = subprocess.run([sys.executable, "-m", "newsmon.cli", "classify"], cwd=ROOT, capture_output=True, text=True,
                            input="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests), check=True)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == [r["key"] for r in rows], "classify must answer in order"
    lexicon = load_lexicon()
    started = time.process_time()
    for _ in range(3):
        for row in rows:
            classify(row["title"], row["paragraphs"], lexicon)
    per_article = (time.process_time() - started) / (3 * len(rows)) * 1000
    baseline = ["mention" if any(k in r["title"] + r["text"] for k in KEYWORDS) else "none" for r in requests]

    print(f"{len(rows)} posts; newsmon classify {per_article:.2f} ms per article (CPU, in-process, mean of 3 passes)")
    for name in [*args.sets.split(","), "all"]:
        part = [i for i, row in enumerate(rows) if name in ("all", row["set"])]
        truth = [rows[i]["level"] for i in part]
        related = [t != "none" for t in truth]
        print(f"\n{name}: {len(part)} posts, {sum(related)} UN-related, {truth.count('core')} core")
        for who, guesses in (("newsmon classify", [answers[i]["level"] for i in part]),
                             ("keyword baseline", [baseline[i] for i in part])):
            p, r, f = binary_prf(related, [g != "none" for g in guesses])
            core = [g == "core" for t, g in zip(truth, guesses, strict=True) if t == "core"]
            recall = f"core recall {sum(core)}/{len(core)} = {sum(core) / max(1, len(core)):.3f}"
            print(f"  {who:17} UN-related vs none: P {p:.3f} R {r:.3f} F1 {f:.3f}   "
                  + (recall if who.startswith("newsmon") else "(no core level)"))
        if name != "all":
            counts = Counter(zip(truth, [answers[i]["level"] for i in part], strict=True))
            print("  confusion (rows: label, columns: newsmon)" + "".join(f"{level:>9}" for level in LEVELS))
            for t in LEVELS:
                print(f"  {t:>40} " + "".join(f"{counts[(t, g)]:>9}" for g in LEVELS))
    wrong = [(row, answer, request) for row, answer, request in zip(rows, answers, requests, strict=True)
             if row["set"] != "test" and ((row["level"] == "none") != (answer["level"] == "none")
                                          or (row["level"] == "core") != (answer["level"] == "core"))]
    for row, answer, request in wrong[: args.show]:
        print(f"\n== {row['key']} ({row['set']}) label {row['level']} ({row['confidence']}) got {answer['level']}:"
              f" {request['title']}")
        for e in answer["evidence"][:3]:
            print(f"   ours [{e['role']}] p{e['paragraph']} {e['body']}: {e['sentence']}")


if __name__ == "__main__":
    main()
