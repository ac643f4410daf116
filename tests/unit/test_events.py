"""newsmon.events on real pairs of bench/labels/story_pairs.jsonl (their texts in tests/fixtures/event_pairs.jsonl),
weighed with the document frequencies bench/events_eval.py counts over the corpus's first 20,000 posts
(tests/fixtures/event_frequencies.json keeps the counts of the fixture texts' terms only, so the vectors are the
bench's); and the stability of the key hashes."""

import json
import math
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsmon import events

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def pairs() -> dict[int, dict]:
    with (FIXTURES / "event_pairs.jsonl").open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def corpus_frequencies() -> events.DocumentFrequencies:
    table = json.loads((FIXTURES / "event_frequencies.json").read_text(encoding="utf-8"))
    return events.DocumentFrequencies(table["documents"], table["counts"])


def vector(article: dict) -> events.EventVector:
    return events.event_vector(events.terms(article["title"], article["body"]), corpus_frequencies(),
                               datetime.fromisoformat(article["published_at"]))


def test_one_event_in_two_scripts_and_own_words_is_joined():
    pair = pairs()[157]  # Taobao leaves Taiwan: Zaobao (simplified) and CNA (traditional), each in its own words
    a, b = vector(pair["a"]), vector(pair["b"])
    verdict = events.same_event(a, b)
    assert verdict.same and verdict.shared_keys >= events.SHARED_KEYS, verdict.why
    assert "淘宝" in a.keys and "淘宝" in b.keys  # the traditional 淘寶 is read as the simplified
    assert events.same_event(b, a) == verdict


def test_two_items_of_one_day_on_one_subject_are_not_one_event():
    pair = pairs()[65]  # two Reuters items on China's markets, published minutes apart
    verdict = events.same_event(vector(pair["a"]), vector(pair["b"]))
    assert not verdict.same and pair["label"] == "different", verdict.why


def test_articles_further_apart_than_the_window_are_not_candidates():
    pair = pairs()[1]  # two global pandemic round-ups, months apart
    a, b = vector(pair["a"]), vector(pair["b"])
    assert not events.within_window(a, b)
    assert "outside the window" in events.same_event(a, b).why
    timeless = events.EventVector(a.weights, a.keys)
    assert events.within_window(timeless, b)


def test_english_words_are_weighed_among_english_articles():
    pair = pairs()[203]  # two Economist articles on Joe Biden, the same day
    a, b = vector(pair["a"]), vector(pair["b"])
    assert events.script(events.terms(pair["a"]["title"], pair["a"]["body"])) == "other"
    assert not {"the", "of", "and", "to"} & set(a.keys)
    assert not events.same_event(a, b).same


def test_script_follows_most_of_the_terms():
    assert events.script(events.terms("聯合國安理會", "UN Security Council 會議")) == "wide"
    assert events.script(events.terms("The UN Security Council", "met on 聯合國 day")) == "other"


def test_weights_are_tf_idf_scaled_to_length_one():
    frequencies = events.document_frequencies([Counter({"a": 1, "b": 1}), Counter({"a": 1}), Counter({"c": 1})])
    assert frequencies.documents == {"other": 3}
    assert frequencies.counts["other"] == {"a": 2, "b": 1, "c": 1}
    made = events.event_vector(Counter({"a": 1, "b": 4, "z": 1}), frequencies)
    assert sum(weight * weight for weight in made.weights.values()) == pytest.approx(1)
    # b: more often and rarer than a; z: in no article, weighed as a term of one
    assert made.keys == ("b", "z", "a")
    assert made.weights["z"] / made.weights["a"] == pytest.approx(math.log(4 / 1) / math.log(4 / 3))
    assert made.weights["b"] / made.weights["a"] == pytest.approx((1 + math.log(4)) * math.log(4 / 2) / math.log(4 / 3))
    assert events.cosine(made, made) == pytest.approx(1)


def test_keys_are_the_heaviest_terms_ties_broken_by_the_term():
    frequencies = events.DocumentFrequencies({"wide": 10}, {"wide": {}})
    many = Counter({f"{chr(0x4E00 + i)}字": 1 for i in range(events.KEY_TERMS + 5)})
    backwards = Counter(dict(reversed(list(many.items()))))
    assert events.event_vector(many, frequencies).keys == events.event_vector(backwards, frequencies).keys
    assert len(events.event_vector(many, frequencies).keys) == events.KEY_TERMS


def test_an_empty_text_has_no_keys_and_joins_nothing():
    empty = events.event_vector(events.terms("", ""), corpus_frequencies())
    assert empty.keys == () and events.cosine(empty, empty) == 0
    assert not events.same_event(empty, empty).same


def test_the_window_is_inclusive_of_its_edge():
    start = datetime(2020, 11, 3, 12)
    weights = {"大选": 1.0}
    a = events.EventVector(weights, ("大选",), start)
    assert events.within_window(a, events.EventVector(weights, ("大选",), start + events.WINDOW))
    assert not events.within_window(a, events.EventVector(weights, ("大选",), start + events.WINDOW
                                                           + timedelta(seconds=1)))


def test_key_hashes_are_the_same_in_another_process():
    keys = events.key_hashes(vector(pairs()[157]["a"]))
    assert len(keys) == events.KEY_TERMS and all(-(2**63) <= key < 2**63 for key in keys)
    code = ("import json; from newsmon import events; "
            f"print(json.dumps([events.key_hash(term) for term in {list(vector(pairs()[157]['a']).keys)!r}]))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert json.loads(other.stdout) == keys
