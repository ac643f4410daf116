"""Text clean-up shared by every parser."""

import re

# Zero-width characters, soft hyphens, BOM and control characters survive copy-paste from Weibo and CMS editors;
# they are invisible to readers and break dedup hashes and search.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


def clean_text(text: str) -> str:
    """Collapse runs of ASCII/no-break whitespace and drop invisible characters; full-width spaces are text."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


# Frequent characters whose simplified and traditional forms differ; enough to tell the script of a news text.
_SIMPLIFIED_ONLY = frozenset("们这个说为国会与对时来后经发无关于还从里电开头过动实现进将区问题员应间当报长门见认让东华军")  # noqa: E501
_TRADITIONAL_ONLY = frozenset("們這個說為國會與對時來後經發無關於還從裡電開頭過動實現進將區問題員應間當報長門見認讓東華軍")  # noqa: E501


def script_of(text: str) -> str:
    """zh-Hant when traditional-only characters outnumber simplified-only ones, else zh-Hans."""
    simplified = sum(1 for c in text if c in _SIMPLIFIED_ONLY)
    traditional = sum(1 for c in text if c in _TRADITIONAL_ONLY)
    return "zh-Hant" if traditional > simplified else "zh-Hans"
