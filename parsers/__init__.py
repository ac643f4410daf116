"""Feed items, pages and archived posts -> Article: one parser per outlet, the generic parser for the rest."""

from . import bbc, un_news, voa, zaobao
from .archive import ArchivePost
from .base import OutletParser
from .generic import Generic
from .outlets import GENERIC_OUTLETS, Outlet, OutletIndex

PARSERS: dict[str, OutletParser] = {p.key: p for p in (zaobao.PARSER, bbc.PARSER, voa.PARSER, un_news.PARSER)}
OUTLETS = OutletIndex(
    [Outlet(p.key, p.name, p.archive_names, p.hosts, p.zone.key) for p in PARSERS.values()] + list(GENERIC_OUTLETS)
)


def parser_for(key: str) -> OutletParser:
    """The outlet's dedicated parser, else the generic parser speaking for that outlet."""
    if key in PARSERS:
        return PARSERS[key]
    return Generic(OUTLETS.outlets.get(key) or Outlet(key, key))


def outlet_of(name: str = "", url: str = "") -> str | None:
    """The key of a known outlet, by an archive's outlet name or by an article URL; None when unknown."""
    return OUTLETS.by_name(name) or OUTLETS.by_host(url)


def outlet_of_post(post: ArchivePost) -> str:
    """An archived post's outlet: front-matter author, URL host, tags and categories, folder, in that order."""
    labels = tuple(
        label for field in ("tags", "categories") for label in post.front_matter.get(field, "").split(",")
    )
    return OUTLETS.detect(author=post.front_matter.get("author", ""), url=post.url, labels=labels, folder=post.folder)
