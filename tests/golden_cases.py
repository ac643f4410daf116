"""Golden parser cases: captured input under tests/golden/<outlet>/, described by meta.json.

meta.json maps an input file name to {"kind": "archive" | "feed" | "page", "source": where the input comes from, ...}:
"archive" needs the post's archive "path", "page" the page's "url" (and optionally "item", the feed item the page was
fetched for: {"title", "published_raw"}). An input that is not a capture as the outlet served it says
"synthetic": true and, in "why", what it is modelled on. The expected output is "<input>.json".
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from newsmon.parsers import parser_for
from newsmon.parsers.base import OutletParser
from newsmon.parsers.feed import FeedItem, read_feed
from newsmon.parsers.parse import parse_archive_post

GOLDEN = Path(__file__).with_name("golden")

# Which of a parser's layout lists reads which kind of input: feed bodies and archived posts go through `layouts`,
# full article pages through `page_layouts`.
LAYOUT_LISTS = {"archive": "layouts", "feed": "layouts", "page": "page_layouts"}


@dataclass
class Case:
    outlet: str
    input_path: Path
    meta: dict

    @property
    def expected_path(self) -> Path:
        return self.input_path.with_name(self.input_path.name + ".json")

    @property
    def id(self) -> str:
        return f"{self.outlet}/{self.input_path.name}"

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))


def golden_cases() -> list[Case]:
    cases = []
    for meta_path in sorted(GOLDEN.glob("*/meta.json")):
        for name, meta in json.loads(meta_path.read_text(encoding="utf-8")).items():
            cases.append(Case(meta_path.parent.name, meta_path.parent / name, meta))
    return cases


def parse_case(case: Case) -> list[dict]:
    """What the parser makes of the input: one article per archived post or page, one per feed item."""
    meta = case.meta
    content = case.input_path.read_bytes()
    parser = parser_for(case.outlet)
    if meta["kind"] == "archive":
        articles = [parse_archive_post(meta["path"], content.decode("utf-8"))]
    elif meta["kind"] == "feed":
        articles = [parser.from_feed_item(item) for item in read_feed(content)]
    else:
        given = meta.get("item", {})
        item = FeedItem(
            title=given.get("title", ""), link=meta["url"], guid=None, published_raw=given.get("published_raw")
        )
        articles = [parser.from_feed_item(item, content.decode("utf-8"))]
    return [_frozen(article.to_json()) for article in articles]


def _frozen(article: dict) -> dict:
    article["images"] = [[image["url"], image["caption"]] for image in article["images"]]
    return article


# coverage ---------------------------------------------------------------------------------------------------


def dedicated_parsers() -> dict[str, OutletParser]:
    """Every dedicated outlet parser, by key: what the coverage tests walk. The one place that knows how
    newsmon.parsers lists them (adapt it here if the registry changes). The generic parser is not among them:
    its gold set is tests/generic_gold/ (tests/unit/test_generic.py)."""
    from newsmon.parsers import PARSERS

    return dict(PARSERS)


def declared_layouts() -> set[tuple[str, str]]:
    """(layout list, parser name) of every layout of every dedicated parser, e.g. ("page_layouts", "bbc.V2022_main")."""
    return {
        (listing, f"{key}.{layout.name}")
        for key, parser in dedicated_parsers().items()
        for listing in ("layouts", "page_layouts")
        for layout in getattr(parser, listing)
    }


@cache
def cases_by_layout() -> dict[tuple[str, str], tuple[Case, ...]]:
    """(layout list, parser name) -> the golden cases whose input comes out with that parser name."""
    found = defaultdict(list)
    for case in golden_cases():
        for article in parse_case(case):
            key = (LAYOUT_LISTS[case.meta["kind"]], article["parser"])
            if case not in found[key]:
                found[key].append(case)
    return {key: tuple(cases) for key, cases in found.items()}
