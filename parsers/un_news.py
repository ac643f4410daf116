"""联合国新闻 UN News 中文: the news.un.org/zh RSS feed (title, link, pubDate, a one-paragraph description) and the
Drupal story pages it links to, which hold the text.

No real capture of a UN News page exists here; the selectors follow the structure public scrapers document
(research notes): the lead in `div.views-field-field-news-story-lead`, the body in
`div.field--name-field-text-column` (older pages `div.field--name-body`) as <p> and <h4>, the date in
`.field--name-field-news-date time`, related stories in <aside>, and empty `article .node__content` shells.
"""

import re
from zoneinfo import ZoneInfo

from lxml import html

from . import html as h
from .base import Layout, OutletParser

_BODY = ("div.field--name-field-text-column", "div.field--name-body")
_NOISE = ("aside", "nav", "figure", "figcaption", "img", "video", "iframe", "script", "style", ".social-media-links",
          ".field--name-field-tags", ".views-field-field-audio", ".story-related", ".node--type-story .node__links")


class UNNews(OutletParser):
    key = "un_news"
    name = "联合国新闻 UN News 中文"
    archive_names = ("联合国新闻", "聯合國新聞", "UN News", "UN News 中文")
    hosts = ("news.un.org",)
    zone = ZoneInfo("America/New_York")  # UN Headquarters; feed dates carry their own offset
    article_id_pattern = re.compile(r"/story/\d{4}/\d{2}/(?P<id>\d{6,7})")
    layouts = (Layout("V2019_feed"),)  # the feed's description: the lead only, so the page is always fetched
    page_layouts = (
        Layout(
            "V2019_page",
            drop=_NOISE,
            # the lead and the body columns, in page order; sub-headings are <h4>
            paragraphs=", ".join(
                ["div.views-field-field-news-story-lead p"]
                + [f"{body} {tag}" for body in _BODY for tag in ("p", "h4")]
            ),
        ),
    )

    def page_title(self, root: html.HtmlElement) -> str:
        return h.text_of(h.select_first(root, "h1.node__title", "h1")) or super().page_title(root)

    def page_published_raw(self, root: html.HtmlElement) -> str | None:
        element = h.select_first(root, ".field--name-field-news-date time[datetime]", "time[datetime]")
        return element.get("datetime") if element is not None else super().page_published_raw(root)
