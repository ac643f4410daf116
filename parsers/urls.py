"""Canonical URLs: tracking parameters and fragments removed, so the same article has one URL."""

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "mc_")
_TRACKING_NAMES = frozenset({"ref", "fbclid", "gclid", "ocid", "cmpid", "xtor", "spm", "from", "share"})


_SLASHES = re.compile(r"/{2,}")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def canonical_url(url: str) -> str:
    """One spelling per address, so an archived copy and a polled one match: https (archives and mirrors often kept
    http), lower-case host without the default port, single slashes, one percent-encoding of the path (archives
    keep %E4%B8%AD, pages link 中), no tracking parameters, no fragment."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_NAMES and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port and parts.port not in (80, 443) else "")
    path = quote(unquote(_SLASHES.sub("/", parts.path or "/")), safe=_PATH_SAFE)
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
