"""Outlets without a dedicated parser: every text block of the item, minus scripts and related-link lists."""

import re
from zoneinfo import ZoneInfo

from .base import Layout, OutletParser


class Generic(OutletParser):
    key = "generic"
    name = "generic"
    zone = ZoneInfo("UTC")
    article_id_pattern = re.compile(r"(?!x)x")  # no outlet id: dedup falls back to the canonical URL
    layouts = (Layout("V1", drop=("figure", "figcaption", "img", "video", "aside", "nav", "footer")),)
    page_layouts = (Layout("V1_page", container=("article", "main", "body"), drop=layouts[0].drop),)

    def __init__(self, outlet: str = "generic"):
        self.outlet = outlet

    def article(self, **fields):
        article = super().article(**fields)
        article.outlet = self.outlet
        return article
