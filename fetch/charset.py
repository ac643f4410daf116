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
# GBK and Big5 bytes mostly decode in each other's charset without an error (as other, rarer characters), so a
# declaration of one is weighed against the other, and detection considers these two before any other charset.
_CHINESE_LEGACY = ("gb18030", "big5hkscs")


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Return (text, encoding used).

    Order: BOM, Content-Type charset, <meta>/XML declaration in the first 4 KB, detection,
    then UTF-8 with replacement characters. A declared charset that does not decode
    strictly is skipped: a wrong declaration is common and would otherwise give mojibake.
    A declared GBK or Big5 is weighed against the other when the bytes decode in both.
    Detection reads mostly-UTF-8 bytes (a few invalid sequences among many valid ones) as
    UTF-8 with U+FFFD for the invalid ones, and tries GBK and Big5 before other charsets.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, errors="replace"), encoding

    for label in (_header_charset(content_type), _document_charset(content[:_SNIFF_BYTES])):
        codec = _python_codec(label) if label else None
        if codec:
            try:
                text = content.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
            if codec in _CHINESE_LEGACY and not content.isascii():
                return _likelier_chinese(content, text, codec)
            return text, codec

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


def _likelier_chinese(content: bytes, declared_text: str, declared: str) -> tuple[str, str]:
    """The declared Chinese charset, unless the bytes decode in the other one too and read as less of a mess there
    (a Big5 page labelled gb2312 decodes without an error, as nonsense). A tie keeps the declaration: a few
    characters read as plausibly in either."""
    other = next(codec for codec in _CHINESE_LEGACY if codec != declared)
    try:
        other_text = content.decode(other)
    except UnicodeDecodeError:
        return declared_text, declared
    # charset_normalizer leaves out a reading it finds too messy: as messy as can be
    chaos = {_python_codec(match.encoding): match.chaos
             for match in charset_normalizer.from_bytes(content, cp_isolation=list(_CHINESE_LEGACY))}
    if chaos.get(other, 1.0) < chaos.get(declared, 1.0):
        return other_text, other
    return declared_text, declared


def _detect(content: bytes) -> tuple[str, str]:
    # Valid UTF-8 with non-ASCII bytes is almost never anything else, and checking it is
    # much cheaper and surer than statistical detection (which struggles on short text).
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        repaired = content.decode("utf-8", errors="replace")
    if _mostly_utf8(content, repaired):
        return repaired, "utf-8"
    # Unrestricted detection takes short GBK text for Korean (cp949): the Chinese charsets are asked first.
    for candidates in (list(_CHINESE_LEGACY), None):
        best = charset_normalizer.from_bytes(content, cp_isolation=candidates).best()
        encoding = _python_codec(best.encoding) if best else None
        if encoding:
            return content.decode(encoding, errors="replace"), encoding
    return repaired, "utf-8"


def _mostly_utf8(content: bytes, repaired: str) -> bool:
    """Whether bytes that are not valid UTF-8 are UTF-8 with a few bad sequences: more valid non-ASCII characters
    than invalid sequences. Text in a legacy charset read as UTF-8 is nearly all invalid sequences (GBK's 中文,
    D6 D0 CE C4, is four), a damaged UTF-8 document nearly all valid characters."""
    invalid = repaired.count("\ufffd") - content.count("\ufffd".encode())
    valid_non_ascii = len(repaired) - len(repaired.encode("ascii", errors="ignore")) - repaired.count("\ufffd")
    return valid_non_ascii > invalid
