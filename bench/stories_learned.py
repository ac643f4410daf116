"""Would a learned pair classifier over overlap features beat newsmon.stories' rules where `same` meets `event`?
Trained and measured here; as of 2026-12-07 it does not, and newsmon keeps the rules (docs/stories.md).

    python bench/stories_learned.py [--l2 1.0] [--dev-only]

Features of a labelled pair of bench/labels/story_pairs.jsonl (FEATURES): the rules' own (5-gram Jaccard and
containment, the shorter text's lead found in the longer one's opening), containment of character 3-grams and
2-grams (light rewording breaks 5-grams first), the share of the shorter text's sentences whose 3-grams are half
found in one sentence of the longer, by characters (sentence by sentence, as the labelling rules read), one title,
one outlet, the log of the size ratio and the days apart. An L2-regularised logistic regression over them is scored
on dev leave-one-out (each pair by a model trained on the other dev pairs), alone and OR-ed with the rules, beside
the rules alone, at each threshold of a grid; the threshold with the best F1 of rules OR model on dev (the highest of
equals) is then used for a model trained on all of dev and scored on test.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.score import binary_prf  # noqa: E402
from bench.stories_eval import read_posts, signature_of  # noqa: E402
from newsmon import search_text  # noqa: E402
from newsmon.stories import Verdict, same_story  # noqa: E402

FEATURES = ("jaccard5", "containment5", "lead_in_opening", "containment3", "containment2", "sentences_found",
            "one_title", "one_outlet", "log_size_ratio", "days_apart")
THRESHOLDS = [round(0.30 + 0.05 * step, 2) for step in range(13)]  # 0.30 to 0.90
UNDATED_DAYS = 2.0  # a post without a time: as far apart as the event level's window
MAX_DAYS = 10.0  # further apart than this, all pairs look the same: a few outliers would otherwise set the scale
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")
_NOT_WORD = re.compile(r"[\W_]+")


def grams(text: str, n: int) -> set[str]:
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def normal(text: str) -> str:
    return _NOT_WORD.sub("", search_text.normalise(text))


def sentences_found(shorter: list[str], longer: list[str]) -> float:
    """The share of the shorter text's characters in sentences half of whose 3-grams are in one longer sentence."""
    longer_grams = [grams(sentence, 3) for sentence in longer]
    found = total = 0
    for sentence in shorter:
        own = grams(sentence, 3)
        if own:
            total += len(sentence)
            if max((len(own & other) / len(own) for other in longer_grams), default=0.0) >= 0.5:
                found += len(sentence)
    return found / total if total else 0.0


def features(post_a: dict, post_b: dict, sig_a, sig_b, verdict: Verdict) -> list[float]:
    smaller, larger = (sig_a, sig_b) if sig_a.size <= sig_b.size else (sig_b, sig_a)
    lead_found = len(np.intersect1d(smaller.lead, larger.opening, assume_unique=True))
    lead_in_opening = lead_found / len(smaller.lead) if len(smaller.lead) else 0.0
    texts = sorted((normal(p["title"] + "\n".join(p["paragraphs"])) for p in (post_a, post_b)), key=len)
    bodies = [[normal(s) for s in _SENTENCE_END.split("\n".join(p["paragraphs"]))] for p in (post_a, post_b)]
    bodies = sorted(([s for s in body if len(s) >= 8] for body in bodies), key=lambda body: sum(map(len, body)))
    c3, c2 = (len(grams(texts[0], n) & grams(texts[1], n)) / max(1, len(grams(texts[0], n))) for n in (3, 2))
    both_dated = sig_a.published_at and sig_b.published_at
    days = abs((sig_a.published_at - sig_b.published_at).total_seconds()) / 86400 if both_dated else UNDATED_DAYS
    return [verdict.jaccard, verdict.containment, lead_in_opening, c3, c2,
            sentences_found(*bodies), float(sig_a.title == sig_b.title), float(sig_a.outlet == sig_b.outlet),
            math.log(larger.size / max(1, smaller.size)), min(days, MAX_DAYS)]


def fit(x: np.ndarray, y: np.ndarray, l2: float):
    """Newton's method on the L2-regularised log loss; returns the probability function and the weights."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9

    def design(values: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones((len(values), 1)), (values - mean) / scale])

    z, w = design(x), np.zeros(x.shape[1] + 1)
    penalty = l2 * np.r_[0.0, np.ones(x.shape[1])]
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + np.diag(penalty + 1e-9)
        w -= np.linalg.solve(hessian, z.T @ (p - y) + penalty * w)
    return (lambda values: 1 / (1 + np.exp(-design(values) @ w))), w


def line(name: str, truth: list[bool], guesses) -> str:
    precision, recall, f1 = binary_prf(truth, [bool(g) for g in guesses])
    return f"  {name:<28} precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz"))
    ap.add_argument("--labels", default=str(ROOT / "bench/labels/story_pairs.jsonl"))
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--dev-only", action="store_true", help="print nothing about test pairs (while tuning)")
    args = ap.parse_args()
    with open(args.labels, encoding="utf-8") as lines:
        rows = [row for row in map(json.loads, lines) if not (args.dev_only and row["split"] == "test")]
    posts = read_posts(Path(args.corpus), {r["a"] for r in rows} | {r["b"] for r in rows}, 0)
    signatures = {number: signature_of(post) for number, post in posts.items()}
    data = {}
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        verdicts = [same_story(signatures[r["a"]], signatures[r["b"]]) for r in chosen]
        x = np.array([features(posts[r["a"]], posts[r["b"]], signatures[r["a"]], signatures[r["b"]], verdict)
                      for r, verdict in zip(chosen, verdicts, strict=True)])
        data[split] = (x, np.array([r["label"] == "same" for r in chosen], dtype=float), [v.same for v in verdicts])

    x, y, rules = data["dev"]
    truth = [bool(v) for v in y]
    left_out = np.empty(len(y))
    for i in range(len(y)):
        others = np.arange(len(y)) != i
        left_out[i] = fit(x[others], y[others], args.l2)[0](x[i:i + 1])[0]
    print(f"dev, {len(y)} pairs, each scored by a model trained on the others; the rules alone:")
    print(line("rules (newsmon.stories)", truth, rules))
    best_f1, threshold = -1.0, THRESHOLDS[0]
    for candidate in THRESHOLDS:
        either = [r or p >= candidate for r, p in zip(rules, left_out, strict=True)]
        print(line(f"model at {candidate:.2f}", truth, left_out >= candidate))
        print(line(f"rules OR model at {candidate:.2f}", truth, either))
        if (f1 := binary_prf(truth, either)[2]) >= best_f1:
            best_f1, threshold = f1, candidate
    print(f"chosen on dev: {threshold:.2f} (rules OR model F1 {best_f1:.3f})")
    model, weights = fit(x, y, args.l2)
    print("weights (standardised features): " + ", ".join(
        f"{name} {weight:+.2f}" for name, weight in zip(("intercept", *FEATURES), weights, strict=True)))
    if args.dev_only:
        return
    x_test, y_test, rules_test = data["test"]
    truth_test, scores = [bool(v) for v in y_test], model(x_test)
    print(f"test, {len(y_test)} pairs, the model trained on all of dev, at {threshold:.2f}:")
    print(line("rules (newsmon.stories)", truth_test, rules_test))
    print(line("model", truth_test, scores >= threshold))
    either = [r or p >= threshold for r, p in zip(rules_test, scores, strict=True)]
    print(line("rules OR model", truth_test, either))


if __name__ == "__main__":
    main()
