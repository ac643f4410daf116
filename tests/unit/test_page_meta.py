"""A page's own date (and title) are read before the layout drops the elements that hold them (<time>, <h1>): a
feed item without a date still gets the page's. On the real BBC <main> capture of 2023-03-22 (it kept no <h1>)."""

from pathlib import Path

from newsmon.parsers import parser_for
from newsmon.parsers.feed import FeedItem

PAGE = Path(__file__).parents[1] / "golden" / "bbc" / "page_main_1042906.html"


def test_an_undated_item_gets_the_date_of_its_page():
    item = FeedItem(title="标题", link="https://www.bbc.com/zhongwen/simp/chinese-news-65035579", guid=None,
                    published_raw=None)
    article = parser_for("bbc").from_feed_item(item, PAGE.read_text(encoding="utf-8"))
    assert article.parser == "bbc.V2022_main"  # the layout drops <time> from the body
    assert article.published_at is not None and article.published_at.date().isoformat() == "2023-03-22"
    assert article.published_raw and article.published_raw.startswith("2023-03-22")


def test_a_page_title_survives_a_layout_that_drops_h1():
    page = ('<html><body><main><h1>页面标题</h1><div><div><p>第一段。</p><p>第二段。</p></div></div></main>'
            '</body></html>')
    item = FeedItem(title="", link="https://www.bbc.com/zhongwen/simp/world-12345678", guid=None, published_raw=None)
    article = parser_for("bbc").from_feed_item(item, page)
    assert article.parser == "bbc.V2020_simorgh"  # its drops include <h1>
    assert article.title == "页面标题" and article.paragraphs == ["第一段。", "第二段。"]


def test_icons_inside_buttons_are_not_article_images():
    html = ('<div><figure><img src="https://img.example/photo.jpg" alt="照片"><button><img src="/expand.svg" '
            'alt="expand icon"></button></figure><p>第一段。</p><p>第二段。</p></div>')
    item = FeedItem(title="标题", link="https://www.zaobao.com.sg/news/china/story20260101-0000001", guid=None,
                    published_raw="2026-01-01T08:00:00+08:00", content_html=html)
    article = parser_for("zaobao").from_feed_item(item)
    assert [image.url for image in article.images] == ["https://img.example/photo.jpg"]
