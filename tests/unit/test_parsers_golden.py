"""Each outlet parser's output, pinned on real captured input (re-freeze with scripts/freeze_golden.py)."""

import json

import pytest

from tests.golden_cases import golden_cases, parse_case


@pytest.mark.parametrize("case", golden_cases(), ids=lambda case: case.id)
def test_parser_output_matches_golden_file(case):
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert parse_case(case) == expected
