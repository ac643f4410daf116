"""Turn fetched HTML bytes into text, trusting declarations only while they decode cleanly."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Chinese sites routinely declare the narrow legacy charset but use characters from its
# superset (e.g. 镕 is GBK, not GB2312; 嘅 is HKSCS, not Big5). The supersets decode every
# byte sequence the narrow charsets do, so always decode with the superset.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
}

# Only the byte-order marks HTML recognises (WHATWG "BOM sniff").
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Covers <meta charset="..."> and <meta http-equiv="Content-Type" content="...; charset=...">,
# plus an XML declaration, for feed items decoded through the same path.
_DOCUMENT_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)
_SNIFF_BYTES = 4096


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Return (text, encoding used).

    Order: BOM, Content-Type charset, <meta>/XML declaration in the first 4 KB, detection,
    then UTF-8 with replacement characters. A declared charset that does not decode
    strictly is skipped: a wrong declaration is common and would otherwise give mojibake.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace"), encoding

    for label in (_header_charset(content_type), _document_charset(content[:_SNIFF_BYTES])):
        codec = _python_codec(label) if label else None
        if codec:
            try:
                return content.decode(codec), codec
            except (UnicodeDecodeError, LookupError):
                pass

    return _detect(content)


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _document_charset(head: bytes) -> str | None:
    match = _DOCUMENT_CHARSET.search(head)
    if not match:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _python_codec(label: str) -> str | None:
    """The Python codec for a charset label, widened to its superset; None if unknown."""
    label = label.strip().lower()
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _detect(content: bytes) -> tuple[str, str]:
    # Valid UTF-8 with non-ASCII bytes is almost never anything else, and checking it is
    # much cheaper and surer than statistical detection (which struggles on short text).
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(content).best()
    encoding = _python_codec(best.encoding) if best else None
    if encoding:
        return content.decode(encoding, errors="replace"), encoding
    return content.decode("utf-8", errors="replace"), "utf-8"
