"""newsmon.stories on real pairs of bench/labels/story_pairs.jsonl (their texts in tests/fixtures/story_pairs.jsonl),
and the stability of its band keys."""

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from newsmon.stories import BANDS, SAME_CONTAINMENT, SAME_JACCARD, Signature, bands, normalise, same_story, signature

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "story_pairs.jsonl"


def pairs() -> dict[int, dict]:
    with PAIRS.open(encoding="utf-8") as lines:
        return {row["id"]: row for row in map(json.loads, lines)}


def signed(article: dict) -> Signature:
    return signature(article["title"], article["body"], outlet=article["outlet"], url=article["url"],
                     published_at=datetime.fromisoformat(article["published_at"]))


@pytest.mark.parametrize("pair_id", sorted(pairs()))
def test_each_fixture_pair_gets_its_label(pair_id):
    pair = pairs()[pair_id]
    verdict = same_story(signed(pair["a"]), signed(pair["b"]))
    assert verdict.same == (pair["label"] == "same"), (pair["note"], verdict.why)


def test_a_traditional_and_simplified_twin_is_one_story_by_its_text():
    pair = pairs()[8]  # one AFP translation carried by CNA (traditional) and RFI (simplified)
    assert {pair["a"]["outlet"], pair["b"]["outlet"]} == {"cna", "rfi"}
    verdict = same_story(signed(pair["a"]), signed(pair["b"]))
    assert verdict.same and verdict.jaccard > 0.85 and verdict.why.startswith("same text")


def test_a_teaser_is_one_story_with_its_full_text_by_containment():
    pair = pairs()[127]  # Solidot's condensed copy of the NYT report
    a, b = signed(pair["a"]), signed(pair["b"])
    verdict = same_story(a, b)
    assert verdict.same and verdict.jaccard < SAME_JACCARD < SAME_CONTAINMENT < verdict.containment
    assert "in the opening" in verdict.why
    assert same_story(b, a) == verdict


def test_a_daily_template_of_one_outlet_is_not_one_story_despite_its_shared_text():
    pair = pairs()[104]  # CNA's notice of PLA flights, on consecutive days
    a, b = signed(pair["a"]), signed(pair["b"])
    verdict = same_story(a, b)
    assert not verdict.same and verdict.jaccard > 0.8 and "template" in verdict.why
    # the same texts without their times would be taken for an edit: the time is what tells them apart
    timeless = [signature(p["title"], p["body"], outlet=p["outlet"]) for p in (pair["a"], pair["b"])]
    assert same_story(*timeless).same


def test_a_digest_does_not_join_the_story_of_one_of_its_items():
    pair = pairs()[13]  # CNA's morning digest and one CNA item it summarises
    assert not same_story(signed(pair["a"]), signed(pair["b"])).same


def test_one_url_is_one_article_and_a_short_text_is_nobodys_copy():
    first = signature("标题", "正文" * 50, url="https://example.com/a")
    revised = signature("另一个标题", "完全不同的正文" * 30, url="https://example.com/a")
    assert same_story(first, revised).why == "one URL: revisions of one article"
    title_only = signature("中國外交部回應", "")
    assert not same_story(title_only, signature("中国外交部回应", "")).same


def test_normalise_folds_script_width_case_and_punctuation():
    assert normalise("聯合國 ＵＮ。Security Council！") == "联合国unsecuritycouncil"


def test_the_same_text_gives_the_same_fixed_number_of_int64_keys_in_either_script():
    pair = pairs()[8]
    article = pair["a"] if pair["a"]["outlet"] == "cna" else pair["b"]
    keys = bands(signature(article["title"], article["body"]))
    assert len(keys) == BANDS + 1 and all(-(2**63) <= key < 2**63 for key in keys)  # the bands and the title
    assert len(set(keys)) == BANDS + 1
    assert bands(signature(article["title"], article["body"])) == keys
    simplified = bands(signature(normalise(article["title"]), normalise(article["body"])))
    assert simplified == keys


def test_band_keys_are_the_same_in_another_process():
    """No salted hash() anywhere: a key written to the database by one process is found by every other."""
    pair = pairs()[127]
    text = pair["a"]["title"], pair["a"]["body"]
    code = ("import json, sys; from newsmon.stories import bands, signature; "
            "print(json.dumps(bands(signature(*json.load(sys.stdin)))))")
    run = subprocess.run([sys.executable, "-c", code], input=json.dumps(text), capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert json.loads(run.stdout) == bands(signature(*text))


def test_near_copies_share_a_band_key_and_different_stories_do_not():
    twin, event = pairs()[8], pairs()[7]
    twin_keys = [set(bands(signed(twin[side]))) for side in "ab"]
    event_keys = [set(bands(signed(event[side]))) for side in "ab"]
    assert twin_keys[0] & twin_keys[1]
    assert not event_keys[0] & event_keys[1]
