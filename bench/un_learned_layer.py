"""Would a learned layer over the UN rules generalise better than the rules? Trained and measured here; as of
2026-12-07 it does not, and newsmon ships the rules alone (README, Measuring).

    python bench/un_learned_layer.py [--folds 5] [--l2 1.0]

The layer is an L2-regularised logistic regression over how an article names the UN, read from the rules' evidence
(FEATURES below): it may turn a rules' `mention` into `none` (an incidental reference), never touching `core`. It
is trained on the posts the rules call `mention` in un_dev.jsonl and the dev split of bench/labels/un_posts.jsonl,
never on the test split, and printed beside the rules alone: the figures on each set (un_dev and dev were trained
on, test was not), and cross-validated figures over the whole labelled set (each fold scored by a layer trained on
the other folds), with each feature's weight.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import un_labels  # noqa: E402
from bench.score import binary_prf  # noqa: E402
from newsmon.relevance.classify import LEAD_PARAGRAPHS, Lexicon, Relevance, classify, load_lexicon  # noqa: E402

FEATURES = {
    "matches": "log(1 + UN matches counted)",
    "paragraphs_with": "log(1 + paragraphs with a match)",
    "coverage": "share of paragraphs with a match",
    "first_at": "where the first match is (0 = title or first paragraph, 1 = last paragraph)",
    "tail_only": "every match in the last quarter of a long text (notes, sources, links)",
    "length": "log10 of the article's characters",
    "lead": "a match in the title or the first three paragraphs",
    "action": "a UN body acts (says, votes, reports...) where it is named",
    "posts_only": "the UN appears only in job titles (驻联合国大使)",
    "generic_only": "only the bare 'United Nations', no specific body",
    "bodies": "log(1 + distinct bodies)",
    "weight": "the surest match's lexicon weight",
}
TRAIN_SETS = ("un_dev", "dev")
THRESHOLD = 0.5  # a rules' mention under this probability of being UN-related becomes none


def features(relevance: Relevance, paragraphs: list[str], lexicon: Lexicon) -> dict[str, float]:
    counted = [e for e in relevance.evidence if e.role != "cv"]
    count = max(1, len(paragraphs))
    places = sorted(max(0, e.paragraph) for e in counted)
    with_match = len({e.paragraph for e in counted if e.paragraph >= 0})
    return {
        "matches": math.log1p(len(counted)),
        "paragraphs_with": math.log1p(with_match),
        "coverage": with_match / count,
        "first_at": places[0] / count,
        "tail_only": float(count >= 8 and places[0] >= 0.75 * count),
        "length": math.log10(1 + sum(map(len, paragraphs))),
        "lead": float(places[0] < LEAD_PARAGRAPHS),
        "action": float(any(e.role in ("action", "lead-action", "lead-data") for e in counted)),
        "posts_only": float(all(e.role == "post" for e in counted)),
        "generic_only": float(all(e.body in lexicon.generic for e in counted)),
        "bodies": math.log1p(len({e.body for e in counted})),
        "weight": max(lexicon.weights.get(e.body, 1.0) for e in counted),
    }


class Layer:
    def __init__(self, mean: np.ndarray, scale: np.ndarray, weights: np.ndarray):
        self.mean, self.scale, self.weights = mean, scale, weights  # weights[0]: the bias

    def probability(self, values: dict[str, float]) -> float:
        x = (np.array([values[name] for name in FEATURES]) - self.mean) / self.scale
        return float(1 / (1 + np.exp(-(self.weights[0] + x @ self.weights[1:]))))


def fit(rows: list[dict], l2: float) -> Layer:
    """L2-regularised logistic regression by Newton's method on the rules' mentions: UN-related (1) or none (0)."""
    mentions = [row for row in rows if row["rules"] == "mention"]
    x = np.array([[row["features"][name] for name in FEATURES] for row in mentions])
    y = np.array([row["level"] != "none" for row in mentions], dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z.T * (p * (1 - p))) @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Layer(mean, scale, w)


def predict(row: dict, layer: Layer) -> str:
    if row["rules"] == "mention" and layer.probability(row["features"]) < THRESHOLD:
        return "none"
    return row["rules"]


def figures(rows: list[dict], guesses: list[str]) -> str:
    precision, recall, f1 = binary_prf([row["level"] != "none" for row in rows], [g != "none" for g in guesses])
    cores = [g == "core" for row, g in zip(rows, guesses, strict=True) if row["level"] == "core"]
    return (f"P {precision:.3f} R {recall:.3f} F1 {f1:.3f}  core recall {sum(cores)}/{len(cores)}"
            f" = {sum(cores) / max(1, len(cores)):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args()
    rules = load_lexicon()
    rows = un_labels.load()
    for row in rows:
        relevance = classify(row["title"], row["paragraphs"], rules)
        row["rules"] = relevance.level
        row["features"] = features(relevance, row["paragraphs"], rules) if relevance.level == "mention" else {}
    print(f"{len(rows)} labelled posts, {sum(r['rules'] == 'mention' for r in rows)} of them mentions by the rules")

    layer = fit([row for row in rows if row["set"] in TRAIN_SETS], args.l2)
    print(f"\nthe layer trained on {' + '.join(TRAIN_SETS)}")
    for name in un_labels.SETS:
        part = [row for row in rows if row["set"] == name]
        trained = " (trained on)" if name in TRAIN_SETS else " (held out)"
        print(f"{name + trained:20} {len(part):4} posts  rules: {figures(part, [r['rules'] for r in part])}")
        print(f"{'':26}  layer: {figures(part, [predict(r, layer) for r in part])}")

    order = list(range(len(rows)))
    random.Random(5).shuffle(order)
    cross = [""] * len(rows)
    for fold in range(args.folds):
        held = set(order[fold :: args.folds])
        fold_layer = fit([row for i, row in enumerate(rows) if i not in held], args.l2)
        for i in held:
            cross[i] = predict(rows[i], fold_layer)
    print(f"\n{args.folds}-fold cross-validated, all {len(rows)} posts")
    print(f"{'':26}  rules: {figures(rows, [r['rules'] for r in rows])}")
    print(f"{'':26}  layer: {figures(rows, cross)}")

    print("\nweights (on standardised features)")
    for name, weight in zip(FEATURES, layer.weights[1:], strict=True):
        print(f"  {name:16} {weight:+.3f}  {FEATURES[name]}")
    print(f"  {'bias':16} {layer.weights[0]:+.3f}")


if __name__ == "__main__":
    main()
