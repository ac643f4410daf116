"""Title and text as `newsmon classify` receives them -> the paragraphs the classifier reads."""

import re

from newsmon.parsers.generic import Generic
from newsmon.parsers.outlets import Outlet
from newsmon.parsers.text import clean_text

_MARKUP = re.compile(r"<(?:p|div|br|span|a|li|ul|h[1-6]|article|section|table|img|figure)[\s>/]", re.IGNORECASE)
_HTML_READER = Generic(Outlet("classify", "classify"))


def paragraphs_of(text: str) -> list[str]:
    """HTML goes through the generic extractor (link lists, captions and credits go); plain text splits at lines."""
    if _MARKUP.search(text):
        return _HTML_READER.extract(text).paragraphs
    return [line for line in (clean_text(line) for line in text.splitlines()) if line]
