"""Score `newsmon classify` on ../shared/labels/un_dev.jsonl, beside a plain keyword baseline.

    python bench/un_eval.py [--labels PATH] [--show N]

Each labelled post is parsed as `newsmon parse` does (title and body paragraphs), sent to `newsmon classify` as
JSON lines, and compared with its label: precision, recall and F1 for UN-related (core + mention) against none,
recall of core, and the confusion matrix. The baseline flags a post when its title or body holds any UN keyword.
Targets (issue 4): F1 >= 0.96, core recall >= 0.95.
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

from newsmon.parsers.parse import parse_post  # noqa: E402

KEYWORDS = ("联合国", "聯合國", "安理会", "安理會", "世卫", "世衛", "世界卫生组织", "世界衛生組織", "联大", "聯大",
            "United Nations", "Security Council", "WHO", "UNESCO", "UNICEF", "UNHCR", "古特雷斯", "谭德塞", "譚德塞")
LEVELS = ("core", "mention", "none")


def prf(truth: list[bool], guess: list[bool]) -> tuple[float, float, float]:
    tp = sum(t and g for t, g in zip(truth, guess, strict=True))
    precision = tp / max(1, sum(guess))
    recall = tp / max(1, sum(truth))
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(ROOT.parent / "shared/labels/un_dev.jsonl"))
    ap.add_argument("--show", type=int, default=0, help="print N misclassified posts with the evidence")
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    requests = []
    for row in rows:
        parsed = parse_post(row["path"], row["raw"])
        text = "\n\n".join(parsed.get("paragraphs", []))
        requests.append({"id": row["id"], "title": parsed.get("title", ""), "text": text})
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "newsmon.cli", "classify"], cwd=ROOT, capture_output=True, text=True,
                            input="".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests), check=True)
    seconds = time.perf_counter() - started
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == [r["id"] for r in rows], "classify must answer in order"

    truth = [row["level"] for row in rows]
    ours = [a["level"] for a in answers]
    baseline = ["mention" if any(k in r["title"] + r["text"] for k in KEYWORDS) else "none" for r in requests]
    related = [t != "none" for t in truth]
    for name, guess in (("newsmon classify", ours), ("keyword baseline", baseline)):
        p, r, f = prf(related, [g != "none" for g in guess])
        core = [g == "core" for t, g in zip(truth, guess, strict=True) if t == "core"]
        print(f"{name:17} UN-related vs none: P {p:.3f} R {r:.3f} F1 {f:.3f}   core recall {sum(core) / len(core):.3f}")
    print(f"\nconfusion (rows: label, columns: newsmon), {len(rows)} posts, {seconds:.1f} s for `newsmon classify`")
    counts = Counter(zip(truth, ours, strict=True))
    print("          " + "".join(f"{level:>9}" for level in LEVELS))
    for t in LEVELS:
        print(f"{t:>9} " + "".join(f"{counts[(t, g)]:>9}" for g in LEVELS))
    wrong = [(row, answer) for row, answer in zip(rows, answers, strict=True)
             if (row["level"] == "none") != (answer["level"] == "none")
             or (row["level"] == "core") != (answer["level"] == "core")]
    for row, answer in wrong[: args.show]:
        title = next(r["title"] for r in requests if r["id"] == row["id"])
        print(f"\n== {row['id']} label {row['level']} ({row['confidence']}) got {answer['level']}: {title}")
        print(f"   label evidence: {row['evidence']}  bodies {row['bodies']}")
        for e in answer["evidence"][:3]:
            print(f"   ours [{e['role']}] p{e['paragraph']} {e['body']}: {e['sentence']}")


if __name__ == "__main__":
    main()
