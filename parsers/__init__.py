"""Feed items, pages and archived posts -> Article: one parser per outlet, chosen by key, name or host."""

from . import bbc, voa, zaobao
from .base import OutletParser
from .urls import host_of

PARSERS: dict[str, OutletParser] = {p.key: p for p in (zaobao.PARSER, bbc.PARSER, voa.PARSER)}


def parser_for(key: str) -> OutletParser:
    return PARSERS[key]


def outlet_of(name: str = "", url: str = "") -> str | None:
    """The outlet key for an archive's outlet name or an article URL; None when no parser knows it."""
    for parser in PARSERS.values():
        if name and name in parser.archive_names:
            return parser.key
    host = host_of(url)
    for parser in PARSERS.values():
        if host and any(host == h or host.endswith("." + h) for h in parser.hosts):
            return parser.key
    return None
