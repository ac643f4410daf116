"""Character-bigram precision/recall/F1: the extraction score for Chinese, where word tokenizers fail."""

import re
from collections import Counter

_SPACE = re.compile(r"\s+")


def bigrams(text: str) -> Counter:
    text = _SPACE.sub("", text)
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def bigram_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1); two empty texts agree perfectly."""
    p, g = bigrams(predicted), bigrams(gold)
    if not p and not g:
        return 1.0, 1.0, 1.0
    overlap = sum((p & g).values())
    precision = overlap / sum(p.values()) if p else 0.0
    recall = overlap / sum(g.values()) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def binary_prf(truth: list[bool], guess: list[bool]) -> tuple[float, float, float]:
    """(precision, recall, F1) of yes/no calls against the labels: the pair and relevance scores."""
    tp = sum(t and g for t, g in zip(truth, guess, strict=True))
    precision = tp / max(1, sum(guess))
    recall = tp / max(1, sum(truth))
    return precision, recall, 2 * precision * recall / max(1e-9, precision + recall)
