"""Text clean-up shared by every parser."""

import re

# Zero-width characters, soft hyphens, BOM and control characters survive copy-paste from Weibo and CMS editors;
# they are invisible to readers and break dedup hashes and search.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


def clean_text(text: str) -> str:
    """Collapse runs of ASCII/no-break whitespace and drop invisible characters; full-width spaces are text."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


# What no text a feed or page hands us may keep: lone surrogates (unencodable: json, PostgreSQL and UTF-8 reject
# them), NUL (PostgreSQL rejects it) and the other C0 controls but tab and newlines (invisible, break XML and search).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def untrusted_text(text: str) -> str:
    """Text from outside made safe to store and encode: a lone surrogate becomes U+FFFD (something was there),
    control characters and NUL are dropped; everything else, whitespace included, is left for the parser."""
    return _CONTROL.sub("", _LONE_SURROGATE.sub("\ufffd", text))


# Frequent characters whose simplified and traditional forms differ; enough to tell the script of a news text.
_SIMPLIFIED_ONLY = frozenset("们这个说为国会与对时来后经发无关于还从里电开头过动实现进将区问题员应间当报长门见认让东华军")  # noqa: E501
_TRADITIONAL_ONLY = frozenset("們這個說為國會與對時來後經發無關於還從裡電開頭過動實現進將區問題員應間當報長門見認讓東華軍")  # noqa: E501


def script_of(text: str) -> str:
    """zh-Hant when traditional-only characters outnumber simplified-only ones, else zh-Hans."""
    simplified = sum(1 for c in text if c in _SIMPLIFIED_ONLY)
    traditional = sum(1 for c in text if c in _TRADITIONAL_ONLY)
    return "zh-Hant" if traditional > simplified else "zh-Hans"
