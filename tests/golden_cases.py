"""Golden parser cases: real captured input under tests/golden/<outlet>/, described by meta.json."""

import json
from dataclasses import dataclass
from pathlib import Path

from newsmon.parsers import parser_for
from newsmon.parsers.feed import FeedItem, read_feed
from newsmon.parsers.parse import parse_archive_post

GOLDEN = Path(__file__).with_name("golden")


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


def golden_cases() -> list[Case]:
    cases = []
    for meta_path in sorted(GOLDEN.glob("*/meta.json")):
        for name, meta in json.loads(meta_path.read_text(encoding="utf-8")).items():
            cases.append(Case(meta_path.parent.name, meta_path.parent / name, meta))
    return cases


def parse_case(case: Case) -> list[dict]:
    """What the parser makes of the input: one article per archived post or page, one per feed item."""
    content = case.input_path.read_bytes()
    parser = parser_for(case.outlet)
    if case.meta["kind"] == "archive":
        articles = [parse_archive_post(case.meta["path"], content.decode("utf-8"))]
    elif case.meta["kind"] == "feed":
        articles = [parser.from_feed_item(item) for item in read_feed(content)]
    else:
        item = FeedItem(title="", link=case.meta["url"], guid=None, published_raw=None)
        articles = [parser.from_feed_item(item, content.decode("utf-8"))]
    return [_frozen(article.to_json()) for article in articles]


def _frozen(article: dict) -> dict:
    article["images"] = [[image["url"], image["caption"]] for image in article["images"]]
    return article
