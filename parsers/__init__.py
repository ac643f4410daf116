"""Feed items, pages and archived posts -> Article: one parser per outlet, the generic parser for the rest.

Every module of this package is imported here, so an outlet module's parser class registers itself (OutletParser's
__init_subclass__): adding an outlet is adding its module (docs/adding-an-outlet.md).
"""

import importlib
import pkgutil

from .archive import ArchivePost
from .base import PARSERS, OutletParser
from .generic import Generic
from .outlets import OUTLETS, Outlet


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


# last: parse.py uses the functions above
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
