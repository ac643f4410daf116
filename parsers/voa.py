"""美国之音 VOA 中文 (Pangea CMS): the feed carries a summary; bodies come from pages or full-text mirrors."""

import re
from zoneinfo import ZoneInfo

from lxml import html

from . import html as h
from .archive import ArchivePost
from .base import Layout, OutletParser
from .feed import FeedItem

_DATELINE = r"^\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$"
_MIRROR_PROMO = r"^获取更多RSS"
_DATELINE_IN_BODY = re.compile(r"<i>(\w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|[+-]\d{4}))</i>")


class VOA(OutletParser):
    key = "voa"
    name = "美国之音 VOA 中文"
    archive_names = ("美国之音", "VOA", "voa")
    hosts = ("www.voachinese.com", "m.voachinese.com", "voachinese.com")
    zone = ZoneInfo("US/Eastern")  # Pangea writes Eastern offsets; a zone-less VOA date is Washington time
    article_id_pattern = re.compile(r"/(?P<id>\d{5,})\.html")
    layouts = (
        # feedx mirror (2020-): a GMT dateline, the lead image and its <small> caption, then the page's <p>s.
        Layout(
            "V2020_feedx",
            drop=("img", "small", "video", "audio", "iframe", ".contentImage", "hr ~ *", "hr"),
            drop_text=(_DATELINE, _MIRROR_PROMO),
            captions=("small",),
        ),
    )
    page_layouts = (
        # voachinese.com article pages: #article-content > div.wsw; cover image and embeds outside the prose.
        Layout(
            "V2016_page",
            container=("#article-content .wsw", "#article-content", "div.wsw", "div.articleContent .zoomMe"),
            drop=(".wsw__embed", ".contentImage", "span.dateline", ".c-lightbox__caption", "figure", "figcaption",
                  "img", "video", ".media-block", "#ymla-section", ".article-share", "script", "style"),
            drop_text=(_DATELINE,),
            captions=("figcaption", ".c-lightbox__caption", ".contentImage small"),
        ),
    )

    def archive_published(self, post: ArchivePost):
        # The mirror's own pubDate (the epoch header) is when it polled; VOA's time is its dateline.
        dateline = _DATELINE_IN_BODY.search(post.html[:300])
        if dateline:
            return self.published(dateline.group(1)), dateline.group(1)
        return super().archive_published(post)

    def needs_page(self, item: FeedItem) -> bool:
        return item.content_html.count("<p") < 2

    def page_authors(self, root: html.HtmlElement) -> list[str]:
        byline = [h.text_of(a) for a in h.select(root, ".links__item-link, .authors a")]
        return [name for name in byline if name] or super().page_authors(root)
