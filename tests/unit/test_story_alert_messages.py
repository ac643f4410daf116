"""The "Also reported by" lines of an alert without a database: the story's other articles in every format, their
outlet names inert like titles, only http(s) links, and the list in the Prefect event's payload."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from newsmon.alerts.message import AlertFacts, StoryMention, inert, render
from newsmon.alerts.settings import FORMATS
from tests.integration.test_alerts import Markup

SINGAPORE = ZoneInfo("Asia/Singapore")
ARTICLE = "https://www.bbc.com/zhongwen/simp/a-1"
HOSTILE_NAME = "*Outlet* <b>x</b> [y](https://phish.example) @everyone"
COPY = "https://www.voachinese.com/a/7000001.html"


def facts(*mentions: StoryMention) -> AlertFacts:
    return AlertFacts(title="安理会开会", outlet="bbc", outlet_name="BBC News 中文",
                      published_at=datetime(2026, 11, 22, 6, 30, tzinfo=UTC), level="core",
                      bodies=["Security Council"], evidence="", url=ARTICLE, article_id=1, alert_id=7,
                      also_reported_by=mentions)


HOSTILE = StoryMention(2, "hostile", HOSTILE_NAME, "标题", COPY, datetime(2026, 11, 22, 7, 15, tzinfo=UTC))
NO_LINK = StoryMention(3, "zaobao", "联合早报 Lianhe Zaobao", "标题", "javascript:alert(1)", None)


def test_other_outlets_read_as_text_with_their_time_and_only_http_links():
    for fmt in FORMATS:
        body = render(facts(HOSTILE, NO_LINK), fmt, SINGAPORE)[1]
        hostile_line = f"{inert(HOSTILE_NAME, fmt)} · 2026-11-22 15:15 Singapore time (UTC+8) · "
        assert hostile_line in body and "联合早报 Lianhe Zaobao · time unknown" in body
        assert "javascript:" not in body
    markdown = MarkdownIt("commonmark").render(render(facts(HOSTILE, NO_LINK), "markdown", SINGAPORE)[1])
    shown = Markup(markdown)
    assert shown.links() == [ARTICLE, COPY] and shown.count("li") == 2
    assert shown.count("strong") == 1 and shown.count("b") + shown.count("em") == 0  # the headline alone is bold
    assert HOSTILE_NAME.replace("@", "@\u200b") in shown.text
    html = Markup(render(facts(HOSTILE, NO_LINK), "html", SINGAPORE)[1])
    assert html.links() == [ARTICLE, COPY] and html.count("b") == 1
    assert HOSTILE_NAME.replace("@", "@\u200b") in html.text


def test_a_story_told_by_one_outlet_adds_nothing():
    for fmt in FORMATS:
        assert "Also reported by" not in render(facts(), fmt, SINGAPORE)[1]


def test_the_prefect_event_lists_the_other_articles_first_teller_first():
    payload = facts(HOSTILE, NO_LINK).event_payload()
    assert payload["alert_key"] == "newsmon-alert-7"
    assert payload["also_reported_by"] == [
        {"article_id": 2, "outlet": "hostile", "outlet_name": HOSTILE_NAME, "title": "标题", "url": COPY,
         "published_at": "2026-11-22T07:15:00+00:00"},
        {"article_id": 3, "outlet": "zaobao", "outlet_name": "联合早报 Lianhe Zaobao", "title": "标题",
         "url": "javascript:alert(1)", "published_at": None},
    ]
