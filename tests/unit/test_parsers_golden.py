"""Each outlet parser's output, pinned on captured input (re-freeze with scripts/freeze_golden.py), and the rules
that keep the golden set honest: every layout has a golden case, and the layouts that only synthetic input covers
are the ones listed here.

The generic parser (parsers/generic.py, `generic.V2`) is not covered here: it has no layouts to select among, and its
gold set is tests/generic_gold/ (tests/unit/test_generic.py).
"""

import json

import pytest

from newsmon.replay import SITE_DIR
from tests.golden_cases import cases_by_layout, declared_layouts, golden_cases, parse_case

# The layouts whose every golden input is synthetic (meta.json says "synthetic": true), with what the input is.
# A layout added here needs a reason; one that leaves (a real capture was found) is good news.
SYNTHETIC_ONLY = {
    # the replay site's zaobao.com.sg page: real paragraphs (a bot's extract of .articleBody) in a made-up page
    ("page_layouts", "zaobao.V2024_page"),
    # the replay site's BBC page: a real 2020 body (RSSHub's copy) wrapped in <main role="main"> and a made-up page;
    # every real <main> capture has main > div > p and selects V2022_main
    ("page_layouts", "bbc.V2020_simorgh"),
    # UN News: no real feed or page exists anywhere; text written for the tests, laid out with the parser's classes
    ("layouts", "un_news.V2019_feed"),
    ("page_layouts", "un_news.V2019_page"),
}


@pytest.mark.parametrize("case", golden_cases(), ids=lambda case: case.id)
def test_parser_output_matches_golden_file(case):
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert parse_case(case) == expected


def test_every_layout_of_every_outlet_parser_has_a_golden_case():
    """fundus-style: a layout (feed body / archived post in `layouts`, full page in `page_layouts`) that no golden
    input comes out with is a layout nobody has seen work."""
    missing = declared_layouts() - set(cases_by_layout())
    assert not missing, "layouts without a golden case (add input under tests/golden/<outlet>/): " + ", ".join(
        f"{name} ({listing})" for listing, name in sorted(missing)
    )


def test_golden_cases_come_out_with_declared_layouts_only():
    unknown = set(cases_by_layout()) - declared_layouts()
    assert not unknown, {key: [case.id for case in cases_by_layout()[key]] for key in unknown}


def test_layouts_covered_only_by_synthetic_input_are_the_listed_ones():
    synthetic_only = {key for key, cases in cases_by_layout().items() if all(case.synthetic for case in cases)}
    assert synthetic_only == SYNTHETIC_ONLY


@pytest.mark.parametrize("case", golden_cases(), ids=lambda case: case.id)
def test_golden_case_says_where_its_input_comes_from(case):
    assert case.meta.get("source"), "every meta.json entry names its source"
    assert case.meta["kind"] in ("archive", "feed", "page")
    if case.synthetic:
        assert case.meta.get("why"), "a synthetic input says what it is modelled on and why no real capture is used"


def test_input_copied_from_the_replay_site_is_declared_synthetic():
    """The replay site (newsmon/replay/site/) is built by scripts/build_replay.py: none of its files is a capture as
    the outlet served it, whatever real text it carries."""
    site = {path.read_bytes() for path in SITE_DIR.rglob("*") if path.is_file()}
    undeclared = [case.id for case in golden_cases() if case.input_path.read_bytes() in site and not case.synthetic]
    assert not undeclared
