"""UN News 中文: feed item -> page -> Article, on the replay site's pages (laid out as public scrapers document
news.un.org; no real capture exists, see scripts/replay_un_news.json)."""

import pytest

from newsmon.parsers import parser_for
from newsmon.parsers.feed import read_feed
from newsmon.replay import SITE_DIR, load_manifest, site_path_of

FEED = load_manifest()["outlets"]["un_news"]["feeds"][0]


@pytest.mark.parametrize("item", FEED["items"], ids=lambda item: item["url"].rsplit("/", 1)[1])
def test_page_gives_lead_and_body_without_related_stories_captions_or_share_links(item):
    parser = parser_for("un_news")
    feed_items = {i.link: i for i in read_feed((SITE_DIR / FEED["path"]).read_bytes())}
    feed_item = feed_items[item["url"]]
    assert parser.needs_page(feed_item)  # the feed has the lead only
    page = (SITE_DIR / site_path_of(item["url"])).read_text(encoding="utf-8")
    article = parser.from_feed_item(feed_item, page)
    assert article.paragraphs == item["paragraphs"]
    assert (article.outlet, article.article_id, article.title) == ("un_news", item["url"][-7:], item["title"])
    assert article.published_at.isoformat().replace("+00:00", "Z") == item["published_at"]
    assert article.summary == item["paragraphs"][0]
    text = "".join(article.paragraphs)
    assert "相关新闻" not in text and "联合国图片" not in text and "分享" not in text
