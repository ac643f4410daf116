"""Canonical URLs: tracking parameters and fragments removed, so the same article has one URL."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "mc_")
_TRACKING_NAMES = frozenset({"ref", "fbclid", "gclid", "ocid", "cmpid", "xtor", "spm", "from", "share"})


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_NAMES and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
