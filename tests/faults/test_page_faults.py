"""Page faults against real ingestion: the hostile outlet's feed items carry one line, so each article page is fetched
(zaobao's page layout: the body in .articleBody) and what the page holds is the fault: legacy Chinese charsets
declared rightly, wrongly or not at all, characters beyond the BMP, a layout the parser does not know. Each item ends
stored as written or recorded as an item failure with its reason; the calm outlet polled after it is unaffected."""

from __future__ import annotations

import pytest

from newsmon.model import Reason
from tests.faults.ingestion import rss, rss_item
from tests.faults.server import HostileServer, served

FEED = "https://hostile.test/feeds/news"
SOURCE = f'feeds = ["{FEED}"]\ntime_budget_seconds = 10'
ONE_LINE = "<p>摘要一行</p>"  # too little for an article: the page is fetched


def page_path(n: int) -> str:
    return f"/hostile.test/news/china/story20261130-{n:07d}"


def article_page(paragraphs: list[str], head: str = "", container: str = '<div class="articleBody">') -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head>{head}</head><body>{container}{body}</div></body></html>"


def serve_items(server: HostileServer, titles: dict[int, str]) -> None:
    server.answers["/hostile.test/feeds/news"] = served(
        rss(*(rss_item(n, title, body=ONE_LINE) for n, title in titles.items())).encode())


SIMPLIFIED = ["联合国秘书长呼吁加沙停火", "安理会将于周五举行紧急会议，讨论人道主义援助问题。"]
TRADITIONAL = ["聯合國秘書長呼籲加沙停火", "安理會將於週五舉行緊急會議，討論人道主義援助問題。"]
# n: (paragraphs, encoding, <head>, Content-Type)
CHARSET_PAGES = {
    1: (SIMPLIFIED, "gbk", "", "text/html; charset=gbk"),
    2: (SIMPLIFIED, "gbk", '<meta charset="gb2312">', "text/html"),
    3: (SIMPLIFIED, "gbk", "", "text/html"),
    4: (SIMPLIFIED, "gbk", '<meta charset="utf-8">', "text/html; charset=utf-8"),  # wrong: not UTF-8 at all
    5: (SIMPLIFIED, "gbk", "", "text/html; charset=big5"),  # wrong: the other legacy charset
    6: (TRADITIONAL, "big5", "", "text/html; charset=big5"),
    7: (TRADITIONAL, "big5", '<meta http-equiv="Content-Type" content="text/html; charset=big5">', "text/html"),
    8: (TRADITIONAL, "big5", "", "text/html"),
    9: (TRADITIONAL, "big5", '<meta charset="gb2312">', "text/html"),  # wrong, and decodes without an error
}


@pytest.mark.fault(
    "GBK and Big5 pages: declared in the header or a <meta>, undeclared, declared wrongly (as UTF-8, as the other)",
    "decode_html: a declaration that does not decode is skipped, GBK and Big5 weighed against each other, an "
    "undeclared page detected (GBK and Big5 first); every article stored as written",
    bad_inputs=len(CHARSET_PAGES),
)
def test_legacy_chinese_pages_are_read_in_their_charset(ingestion, server, tally):
    serve_items(server, {n: f"第{n}篇" for n in CHARSET_PAGES})
    for n, (paragraphs, encoding, head, content_type) in CHARSET_PAGES.items():
        server.answers[page_path(n)] = served(article_page(paragraphs, head).encode(encoding), content_type)
    outcome = ingestion.run(SOURCE)
    assert (outcome.hostile.new, outcome.hostile.errors, outcome.failures) == (len(CHARSET_PAGES), [], [])
    assert {a.title: a.paragraphs for a in outcome.articles} == {
        f"第{n}篇": paragraphs for n, (paragraphs, *_) in CHARSET_PAGES.items()
    }
    assert [f.kind for f in outcome.fetches].count("page") == len(CHARSET_PAGES)
    tally(lost=len(CHARSET_PAGES) - len(outcome.articles), note="every legacy-charset page stored as written")


FOUR_BYTES = "表情😀与扩展B区𠀀𪚥"  # an emoji and two CJK Extension B characters: four bytes each in UTF-8


@pytest.mark.fault(
    "4-byte characters (emoji, CJK Extension B) in titles and bodies, in the feed and on the page",
    "stored intact, in the title and in the body",
    bad_inputs=2,
)
def test_four_byte_characters_are_stored_intact(ingestion, server):
    in_feed = rss_item(1, FOUR_BYTES, body=f"<p>{FOUR_BYTES}第一段。</p><p>第二段{FOUR_BYTES}。</p>")
    server.answers["/hostile.test/feeds/news"] = served(rss(in_feed, rss_item(2, FOUR_BYTES + "网页", body=ONE_LINE))
                                                        .encode())
    server.answers[page_path(2)] = served(article_page([f"网页{FOUR_BYTES}。", "第二段。"]).encode(),
                                          "text/html; charset=utf-8")
    outcome = ingestion.run(SOURCE)
    assert (outcome.hostile.new, outcome.hostile.errors) == (2, [])
    assert [(a.title, a.paragraphs) for a in outcome.articles] == [
        (FOUR_BYTES, [f"{FOUR_BYTES}第一段。", f"第二段{FOUR_BYTES}。"]),
        (FOUR_BYTES + "网页", [f"网页{FOUR_BYTES}。", "第二段。"]),
    ]
    assert all(FOUR_BYTES in a.body for a in outcome.articles)


@pytest.mark.fault(
    "a layout change: the article page no longer has the body where the parser looks",
    "an item failure (no-body) with the page kept, not an article; tried again each run; stored once the page "
    "(or the parser) matches again",
)
def test_a_page_in_an_unknown_layout_is_a_failure_retried_until_it_parses(ingestion, server, tally):
    serve_items(server, {1: "改版后的新闻"})
    paragraphs = ["新版面第一段。", "新版面第二段。"]
    server.answers[page_path(1)] = served(
        article_page(paragraphs, container='<div class="story-v3">').encode(), "text/html; charset=utf-8")
    first = ingestion.run(SOURCE)
    assert (first.hostile.failed, first.articles) == (1, [])
    [failure] = first.failures
    assert (failure.stage, failure.reason, failure.raw_kind) == ("parse", Reason.NO_BODY, "feed_item")
    assert "no article body" in failure.error and failure.next_attempt_at is not None
    assert [(f.kind, f.ok) for f in first.fetches] == [("feed", True), ("page", True)]  # the fetch was fine

    second = ingestion.run(SOURCE)
    assert (second.hostile.failed, second.hostile.still_failing, second.articles) == (0, 1, [])
    assert [f.attempts for f in second.failures] == [2]

    server.answers[page_path(1)] = served(article_page(paragraphs).encode(), "text/html; charset=utf-8")
    third = ingestion.run(SOURCE)
    assert (third.hostile.new, third.failures) == (1, [])
    assert [(a.title, a.paragraphs) for a in third.articles] == [("改版后的新闻", paragraphs)]
    tally(lost=1 - len(third.articles), note="failed twice on the unknown layout, stored once it parses")
