"""HTTP fetching for newsmon: polite retrying GETs and charset-aware HTML decoding."""

from fetch.charset import decode_html
from fetch.client import Fetcher, FetchResult

__all__ = ["FetchResult", "Fetcher", "decode_html"]
