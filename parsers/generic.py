"""Outlets without a dedicated parser: body text found by structure and density instead of selectors.

Steps, each cheap enough for a whole archive:
1. drop what is never prose: embeds, figures and captions, nav/aside/footer, and elements whose class or id names
   noise (share, related, promo, ad, newsletter, comment, caption...);
2. on a whole page, keep the element with the densest prose (the GNE / Readability idea: many long, punctuated,
   unlinked text blocks under one parent); a feed item is already just the article;
3. walk the text blocks and drop the ones that are boilerplate by their form: mostly link text, a bare date,
   credits and copyright lines, feed-mirror footers;
4. cut junk tails: a "最近更新 / 相关新闻 / Related" heading followed by a list of headlines, and the contact and
   credit lines that trail an article.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from lxml import html

from . import html as h
from .base import Extract, Layout, OutletParser, drop_link_lists
from .outlets import Outlet
from .text import clean_text

NOISE_TAGS = ("nav", "aside", "footer", "header", "figure", "figcaption", "form", "iframe", "video", "audio",
              "object", "embed", "svg", "noscript", "button", "select", "img")
# class/id words that mark non-prose containers; matched against whole words of the attribute
NOISE_WORDS = frozenset(
    """share sharing social related recommend recommended promo advert advertisement ads ad adsbygoogle
    newsletter subscribe subscription comment comments footer breadcrumb breadcrumbs sidebar widget nav navbar
    menu caption picinfo credit byline tags toolbar print popup cookie morearticle readmore copyright
    disclaimer donate donation banner outbrain taboola attribution""".split()
)
_WORD_SPLIT = re.compile(r"[\s_-]+")

_DATE_IN_META = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_BARE_DATE = re.compile(r"^[\d\s:/.\-TZ+,年月日时時分秒()（）|]{6,40}$")
_BOILERPLATE = tuple(
    re.compile(p)
    for p in (
        r"获取更多RSS|feedx\.(?:net|xyz|top)",
        r"^(?:责任编辑|責任編輯|编辑|編輯|文字整理|整理|译者|譯者|翻译|翻譯|审校|審校|核稿|发稿|發稿|校对|校對|撰稿|"
        r"图片来源|圖片來源|图源|圖源|摄影|攝影|来源|來源)\s*[:：/]",
        r"版权所有|版權所有|版权声明|版權聲明|^©|Copyright ©|All rights reserved",
        r"^(?:点击|點擊|点此|點此).{0,30}(?:查看|阅读|閱讀|订阅|訂閱|下载|下載|英文版)",
        r"^(?:\.{3}|…)\s*more$",
        r"^https?://\S+$",
        r"^The post .{1,300} (?:first appeared|appeared first) on .{1,80}\.?$",
        r"^This article appeared in the .{1,80} section of the print edition",
        r"对本文有报道贡献|對本文有報導貢獻|对本文亦有贡献|^我们的标准[:：]",
        r"^(?:延伸阅读|延伸閱讀|相关阅读|相關閱讀|推荐阅读|推薦閱讀)[:：]",
    )
)
_PROMO = re.compile(
    r"请输入|請輸入|订阅|訂閱|下载.{0,10}App|下載.{0,10}App|关注我们|關注我們|支持大纪元|为真相护航|"
    r"加入.{0,10}(?:频道|頻道)"
)
_CREDIT_WORDS = re.compile(r"记者|記者|责编|責編|网编|網編|编辑|編輯|审校|審校|发稿|發稿|撰稿|翻译|翻譯|摄影|攝影")
# what trails the last sentence: an editor credit with a date code "（編輯：趙蔚蘭）1100118", the wire's "（完）",
# an end mark, a truncated teaser's "...more" link
_TRAILING_MARK = re.compile(
    r"\s*(?:[（(](?:编辑|編輯|责任编辑|責任編輯|核稿|审校|審校)[:：][^（）()]{1,20}[)）]\s*\d{0,8}|[（(]完[)）]|■|(?:\.{3}|…)more)$"
)
_BYLINE_TAIL = re.compile(r"^[^。！？.!?]{1,24}$")
JUNK_HEADING = re.compile(
    r"^(?:最近更新|最新更新|相关新闻|相關新聞|相关阅读|相關閱讀|延伸阅读|延伸閱讀|推荐阅读|推薦閱讀|相关文章|相關文章|"
    r"相关报道|相關報導|热门文章|熱門文章|热门新闻|熱門新聞|热点新闻|更多新闻|更多新聞|更多文章|更多阅读|猜你喜欢|"
    r"Related(?: stories| articles| news| content)?|Read more|More on this story|Most read|Latest news)\s*[:：]?$",
    re.IGNORECASE,
)
_CONTACT_LINE = re.compile(
    r"(?:报料|爆料|投稿|联系|聯繫|聯絡|举报|舉報)\S{0,6}(?:热线|熱線|电话|電話|邮箱|郵箱|信箱|微信)|[\w.-]+@[\w-]+\.(?:com|cn|net|org)"
)
_LIST_LINE_MAX = 80
_NO_ID = re.compile(r"(?!x)x")  # an outlet that declares no article id: dedup falls back to the canonical URL


class Generic(OutletParser, register=False):
    key = "generic"
    name = "generic"
    zone = ZoneInfo("UTC")
    article_id_pattern = _NO_ID
    # V2: a related gallery (相关图集) is dropped; the maintenance re-parses what V1 cut
    layouts = (Layout("V2"),)
    page_layouts = (Layout("V2_page"),)

    def __init__(self, outlet: Outlet):
        self.outlet = outlet
        self.zone = ZoneInfo(outlet.zone)
        if outlet.article_id:
            self.article_id_pattern = re.compile(outlet.article_id)

    def extract(self, markup: str | bytes, when=None, *, page: bool = False, meta: bool = False) -> Extract:
        root = h.parse_html(markup)
        page_meta = self.page_meta(root) if meta else None
        is_page = page or root.tag == "html" or root.find(".//article") is not None or root.find(".//main") is not None
        images = h.images(root)
        drop_noise(root)
        body = densest_element(root) if is_page else root
        paragraphs = cut_junk_tail([block.text for block in h.blocks(body) if not is_boilerplate(block)])
        if not paragraphs and not is_page:
            paragraphs = headline_list(markup)
        return Extract(paragraphs, images, [], self.page_layouts[0] if is_page else self.layouts[0], page_meta)

    def article(self, **fields):
        article = super().article(**fields)
        article.outlet = self.outlet.key
        return article


def headline_list(markup: str | bytes) -> list[str]:
    """A feed item that is nothing but a list of links (a bulletin's running order, 新闻联播 文字版) has its
    headlines as its text."""
    root = h.parse_html(markup)
    return [text for li in root.iter("li") if (text := h.text_of(li))]


_GALLERY_HEADING = re.compile(r"\s*(相关图集|相關圖集)")


def drop_noise(root: html.HtmlElement) -> None:
    for element in list(root.iter(*NOISE_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    for element in list(root.iter()):
        parent = element.getparent()
        if not isinstance(element.tag, str) or parent is None:
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''}".strip()
        if names and _names_noise(names.lower()):
            element.drop_tree()
        elif element.tag == "small" and _sole_text(element):
            parent.drop_tree()  # <div><small>caption</small></div>, how feed mirrors caption images
        elif element.tag in ("i", "em") and _sole_text(element) and _DATE_IN_META.search(element.text_content()):
            parent.drop_tree()  # <div><i>BYLINE<br>2020-11-11 12:36:21</i></div>, a mirror's meta line
    for heading in list(root.iter("h2", "h3", "h4")):
        # 相关图集：... and the gallery after it (DW): another post's captions, which made two articles one story
        if heading.getparent() is not None and _GALLERY_HEADING.match(h.text_of(heading)):
            while (picture := heading.getnext()) is not None and picture.tag == "div":  # a div a picture
                picture.drop_tree()
            heading.drop_tree()
    drop_link_lists(root)


def _names_noise(names: str) -> bool:
    return any(word in NOISE_WORDS for word in _WORD_SPLIT.split(names))


def _sole_text(element: html.HtmlElement) -> bool:
    parent = element.getparent()
    return parent is not None and parent.getparent() is not None and (
        clean_text(parent.text_content()) == clean_text(element.text_content())
    )


_PUNCTUATION = re.compile(r"[，。！？；、,.!?;]")


def densest_element(root: html.HtmlElement) -> html.HtmlElement:
    """The element that holds the article's prose: each paragraph votes for its parent (fully) and grandparent
    (half) with its length and punctuation, link text not counted; the highest total wins."""
    scores: dict[html.HtmlElement, float] = {}
    for block in root.iter("p", "pre", "blockquote", "h2", "h3", "li", "td"):
        text = clean_text(block.text_content())
        linked = sum(len(clean_text(a.text_content())) for a in block.iter("a"))
        if len(text) - linked < 20:
            continue
        vote = 1 + len(_PUNCTUATION.findall(text)) + min(len(text) / 100, 3)
        parent = block.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + vote
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0) + vote / 2
    if not scores:
        return root
    return max(scores, key=scores.__getitem__)


def is_boilerplate(block: h.Block) -> bool:
    return block.link_chars >= 0.7 * len(block.text) or is_boilerplate_text(block.text)


def is_boilerplate_text(text: str) -> bool:
    """A line that is never article text by its form: a bare date or URL, a credit, a copyright, a promo."""
    if len(text) <= 40 and _BARE_DATE.match(text) and any(c.isdigit() for c in text):
        return True
    if any(pattern.search(text) for pattern in _BOILERPLATE):
        return True
    # "记者：高锋 责编：胡力汉 网编：瑞哲", "发稿 黄斌；审校 杨淑祯"
    return len(text) < 60 and (bool(_PROMO.search(text)) or len(_CREDIT_WORDS.findall(text)) >= 2)


def cut_junk_tail(paragraphs: list[str]) -> list[str]:
    """Drop a trailing "最近更新"-style heading with the headline list under it, then trailing contact and credit
    lines; a credit glued to the end of the last paragraph ("（編輯：趙蔚蘭）1100118") is cut off it."""
    for i, text in enumerate(paragraphs):
        if i and JUNK_HEADING.match(text) and all(len(rest) <= _LIST_LINE_MAX for rest in paragraphs[i + 1 :]):
            paragraphs = paragraphs[:i]
            break
    while paragraphs and len(paragraphs[-1]) <= _LIST_LINE_MAX and _CONTACT_LINE.search(paragraphs[-1]):
        paragraphs = paragraphs[:-1]
    # a reporter's name or "张平/达扬(法新社、美联社)" closing a story that ended with a full sentence
    if len(paragraphs) >= 2 and _BYLINE_TAIL.match(paragraphs[-1]) and paragraphs[-2][-1:] in "。！？」”.!?\"":
        paragraphs = paragraphs[:-1]
    if paragraphs:
        last = _TRAILING_MARK.sub("", paragraphs[-1])
        paragraphs = paragraphs[:-1] + ([last] if last else [])
    return paragraphs
