"""HTTP fetching for newsmon: polite retrying GETs and charset-aware HTML decoding."""

from newsmon.fetch.charset import decode_html
from newsmon.fetch.client import Fetcher, FetchResult, Politeness, Reach

__all__ = ["FetchResult", "Fetcher", "Politeness", "Reach", "decode_html"]
