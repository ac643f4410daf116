"""Events: the same happening told in different words, the level above near-duplicate stories (newsmon.stories).

Two outlets reporting one press conference in their own sentences share few character 5-grams but many distinctive
words: the names, places, numbers and the subject of the happening. An article's text (title and body, normalised
and cut into Han character pairs and other words by newsmon.search_text, so script and full-width forms do not tell
texts apart) becomes a TF-IDF vector: each term weighted by 1 + log of its count times the log inverse of the share of
articles containing it, the vector scaled to length one. The document frequencies are an input: a table counted once
over a corpus of articles (`document_frequencies`).

Candidates come from an index, not from comparing pairs: each article's KEY_TERMS heaviest terms are its keys
(`key_hashes` gives them as int64 for a database index); a new article's candidates are the articles of the last
WINDOW sharing at least SHARED_KEYS of its keys. A candidate is the same event when the cosine similarity of the two
vectors is at least SAME_EVENT_COSINE. The settings were tuned on the dev split of bench/labels/story_pairs.jsonl
(bench/events_eval.py scores them; docs/stories.md, "The event level", has the figures).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import heapq
import json
import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from newsmon import search_text

WINDOW = timedelta(hours=48)  # of the labelled pairs, every event pair is within 48 hours, most within 12
KEY_TERMS = 20
SHARED_KEYS = 2
SAME_EVENT_COSINE = 0.2
# The document frequencies the database's event level weighs with, counted once over the corpus
# (bench/make_event_frequencies.py): rarer terms are left out to keep the file small, and weigh as unseen ones.
FROZEN_FREQUENCIES = Path(__file__).with_name("data") / "event_frequencies.json.gz"


def terms(title: str, body: str) -> Counter[str]:
    """How often each search token (a Han character pair or another word) occurs in the title and the body."""
    return search_normal_terms(search_text.normalise(title), search_text.normalise(body))


def search_normal_terms(title: str, body: str) -> Counter[str]:
    """terms of a title and body already normalised (search_text.normalise), for a caller that needs them for more:
    the import normalises them once for the search vector, the story signature and these."""
    counts: Counter[str] = Counter()
    for text in (title, body):
        counts.update(token for token, _ in search_text.tokens(text))
    return counts


def script(counts: Counter[str]) -> str:
    """"wide" when most of the terms are of East Asian wide characters (Han character pairs), else "other" (an
    English article)."""
    wide = sum(count for term, count in counts.items() if unicodedata.east_asian_width(term[0]) == "W")
    return "wide" if 2 * wide >= sum(counts.values()) else "other"


@dataclass(frozen=True)
class DocumentFrequencies:
    """In how many articles of each script each term occurs. An English article's words are weighed among English
    articles: among mostly Chinese ones, "the" and "of" would be rare words."""

    documents: Mapping[str, int]  # script -> articles
    counts: Mapping[str, Mapping[str, int]]  # script -> term -> articles

    def idf(self, of_script: str, term: str) -> float:
        """Smoothed inverse document frequency: a term no article had weighs what a term of one article would."""
        return math.log((self.documents.get(of_script, 0) + 1) / (self.counts.get(of_script, {}).get(term, 0) + 1))


def document_frequencies(articles: Iterable[Counter[str]]) -> DocumentFrequencies:
    """The document frequencies of articles' terms (each article's `terms`)."""
    counts: dict[str, Counter[str]] = {}
    documents: Counter[str] = Counter()
    for article in articles:
        of_script = script(article)
        counts.setdefault(of_script, Counter()).update(article.keys())
        documents[of_script] += 1
    return DocumentFrequencies(documents, counts)


def write_frequencies(frequencies: DocumentFrequencies, path: Path, least_articles: int) -> None:
    """Save the document frequencies of the terms in at least least_articles articles, as gzipped JSON
    ({"documents": {script: articles}, "counts": {script: {term: articles}}}, terms sorted: the same counts make the
    same file)."""
    counts = {of_script: {term: count for term, count in sorted(found.items()) if count >= least_articles}
              for of_script, found in sorted(frequencies.counts.items())}
    text = json.dumps({"documents": dict(sorted(frequencies.documents.items())), "counts": counts},
                      ensure_ascii=False, separators=(",", ":"))
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write(text.encode("utf-8"))


def read_frequencies(path: Path) -> DocumentFrequencies:
    with gzip.open(path, "rt", encoding="utf-8") as text:
        table = json.load(text)
    return DocumentFrequencies(table["documents"], table["counts"])


@functools.cache
def frozen_frequencies() -> DocumentFrequencies:
    """The corpus's document frequencies shipped with newsmon (FROZEN_FREQUENCIES), read once per process."""
    return read_frequencies(FROZEN_FREQUENCIES)


@dataclass(frozen=True, eq=False)
class EventVector:
    """What the event level keeps of an article: its TF-IDF weights (length one), its key terms, its time."""

    weights: Mapping[str, float]
    keys: tuple[str, ...]  # the KEY_TERMS heaviest terms, heaviest first
    published_at: datetime | None = None


def event_vector(counts: Counter[str], frequencies: DocumentFrequencies,
                 published_at: datetime | None = None) -> EventVector:
    """The vector of an article's `terms`."""
    of_script = script(counts)
    documents = math.log(frequencies.documents.get(of_script, 0) + 1)
    found = frequencies.counts.get(of_script, {})
    # idf inlined (log of documents + 1 less log of count + 1): this runs for every term of every article stored
    weights = {term: (1 + math.log(count)) * (documents - math.log(found.get(term, 0) + 1))
               for term, count in counts.items()}
    length = math.sqrt(sum(weight * weight for weight in weights.values()))
    if length:
        weights = {term: weight / length for term, weight in weights.items()}
    # ties broken by the term, so the keys do not depend on the order the text was read in
    keys = tuple(heapq.nsmallest(KEY_TERMS, weights, key=lambda term: (-weights[term], term)))
    return EventVector(weights, keys, published_at)


def key_hash(term: str) -> int:
    """A key term as an int64 for a database index: the same in every process (no salted hash())."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


def key_hashes(vector: EventVector) -> list[int]:
    return [key_hash(term) for term in vector.keys]


def cosine(a: EventVector, b: EventVector) -> float:
    smaller, larger = (a.weights, b.weights) if len(a.weights) <= len(b.weights) else (b.weights, a.weights)
    return sum(weight * larger.get(term, 0.0) for term, weight in smaller.items())


def within_window(a: EventVector, b: EventVector) -> bool:
    """Whether two articles are close enough in time to be candidates (yes when a time is unknown)."""
    return not (a.published_at and b.published_at and abs(a.published_at - b.published_at) > WINDOW)


@dataclass(frozen=True)
class EventVerdict:
    same: bool
    why: str
    cosine: float
    shared_keys: int


def same_event(a: EventVector, b: EventVector) -> EventVerdict:
    """Whether two articles tell one event, as the index and the judge together decide: within WINDOW of each other
    (when both times are known), sharing at least SHARED_KEYS key terms, and of cosine at least SAME_EVENT_COSINE."""
    similarity = cosine(a, b)
    shared = len(set(a.keys) & set(b.keys))

    def verdict(same: bool, why: str) -> EventVerdict:
        return EventVerdict(same, why, similarity, shared)

    if not within_window(a, b):
        hours = abs(a.published_at - b.published_at).total_seconds() / 3600  # type: ignore[operator]
        return verdict(False, f"{hours:.0f} hours apart, outside the window")
    if shared < SHARED_KEYS:
        return verdict(False, f"{shared} key terms shared: not a candidate")
    if similarity < SAME_EVENT_COSINE:
        return verdict(False, f"different words (cosine {similarity:.2f})")
    return verdict(True, f"same event (cosine {similarity:.2f}, {shared} key terms shared)")
