"""Feed faults against real ingestion: what a hostile outlet's feed document holds (HTML instead of a feed, no items,
10,000 items, items missing their link, title or date, dates in the future or without a zone, legacy Chinese
charsets declared rightly, wrongly or not at all). Each item ends as a stored article or a recorded item failure with
its reason, a document that is no feed as a recorded feed failure; the run's accounting adds up and the calm outlet
polled after it is unaffected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon.model import Reason
from tests.faults.ingestion import rss, rss_item
from tests.faults.server import HostileServer, served

FEED = "https://hostile.test/feeds/news"
FEED_PATH = "/hostile.test/feeds/news"
SOURCE = f'feeds = ["{FEED}"]\ntime_budget_seconds = 10'
SINGAPORE = ZoneInfo("Asia/Singapore")  # the zaobao parser's zone, which the hostile outlet uses


def serve_feed(server: HostileServer, document: str | bytes, content_type: str = "application/rss+xml") -> None:
    body = document.encode() if isinstance(document, str) else document
    server.answers[FEED_PATH] = served(body, content_type)


@pytest.mark.fault(
    "an HTML page served as the feed",
    "a feed failure (not an RSS or Atom feed), logged with the 200 it came with, polled again at the next run",
)
def test_html_served_as_a_feed_is_a_feed_failure(ingestion, server):
    serve_feed(server, "<!doctype html><html><head><title>维护中</title></head><body><p>网站维护中</p></body></html>",
               "text/html; charset=utf-8")
    outcome = ingestion.run(SOURCE)
    feed = outcome.feeds[FEED]
    assert (outcome.hostile.feeds_failed, outcome.hostile.items_seen, outcome.articles) == (1, 0, [])
    assert (feed.last_error or "").startswith("not an RSS or Atom feed")
    assert outcome.hostile.errors == [f"feed {FEED}: {feed.last_error}"]
    assert feed.consecutive_errors == 1 and feed.next_poll_at is not None
    assert [(f.ok, f.status_code, f.error) for f in outcome.fetches] == [(False, 200, feed.last_error)]


@pytest.mark.fault(
    "an empty feed (valid RSS without items)",
    "not an error: the feed is healthy with no items seen, the fetch logged as a success with its size",
)
def test_an_empty_feed_is_healthy_and_logged(ingestion, server):
    serve_feed(server, rss())
    outcome = ingestion.run(SOURCE)
    feed = outcome.feeds[FEED]
    assert (outcome.hostile.feeds_fetched, outcome.hostile.items_seen, outcome.hostile.errors) == (1, 0, [])
    assert (feed.consecutive_errors, feed.last_error, feed.items_seen_total) == (0, None, 0)
    assert feed.last_success_at is not None and feed.last_status == 200
    assert [(f.ok, f.status_code, f.bytes) for f in outcome.fetches] == [(True, 200, len(rss().encode()))]


@pytest.mark.slow  # about 10 ms of database round trips per stored item: some 100 s on 2 cores
@pytest.mark.fault(
    "10,000 items in one feed (2.5 MB, the text of each in the feed)",
    "every item stored and accounted for in one run",
)
def test_ten_thousand_items_are_all_accounted_for(ingestion, server, tally):
    many = 10_000
    serve_feed(server, rss(*(rss_item(n, f"第{n}条") for n in range(1, many + 1))))
    outcome = ingestion.run(SOURCE)
    hostile = outcome.hostile
    assert (hostile.items_seen, hostile.new, hostile.failed, hostile.errors) == (many, many, 0, [])
    assert len(outcome.articles) == many and outcome.feeds[FEED].items_seen_total == many
    tally(lost=many - len(outcome.articles), note="10,000 items in one feed, each stored")


@pytest.mark.fault(
    "items without a link, without a title, without a date",
    "no link: an item failure (no-link) kept with its item, retried, given up after the policy's attempts; no "
    "title: stored with an empty title and its body; no date: stored with an unknown date",
    bad_inputs=3,
)
def test_items_without_link_title_or_date(ingestion, server, tally):
    serve_feed(server, rss(rss_item(1, "没有链接的新闻", link=False), rss_item(2),
                           rss_item(3, "没有日期的新闻", published=None)))
    outcome = ingestion.run(SOURCE)
    hostile = outcome.hostile
    assert (hostile.items_seen, hostile.new, hostile.failed) == (3, 2, 1)
    [no_link] = outcome.failures
    assert (no_link.item_key, no_link.reason, no_link.stage, no_link.url) == ("title:没有链接的新闻", Reason.NO_LINK,
                                                                             "parse", None)
    assert no_link.next_attempt_at is not None and no_link.given_up_at is None
    assert hostile.errors == ["item title:没有链接的新闻: parse: feed item has no link"]
    untitled, undated = outcome.articles
    assert (untitled.title, untitled.paragraphs) == ("", ["第一段：2。", "第二段，完。"])
    assert (undated.title, undated.published_at, undated.published_raw) == ("没有日期的新闻", None, None)
    tally(lost=3 - len(outcome.articles) - len(outcome.failures), note="link-less item recorded, the others stored")


@pytest.mark.fault(
    "dates without a zone, and dates in the future",
    "a zone-less date is read in the outlet's zone, its raw string kept; a date more than a day ahead is not "
    "trusted (stored as unknown, the raw string kept); one a few hours ahead is kept",
    bad_inputs=5,
)
def test_zone_less_and_future_dates(ingestion, server):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    dates = {
        1: "Mon, 30 Nov 2026 08:00:00",  # RFC 822 without its zone
        2: "2026-11-30T08:00:00",  # ISO 8601 without an offset
        3: "2026年11月30日 08:00",
        4: "Fri, 01 Jan 2100 08:00:00 +0800",  # far ahead: not a publication date
        5: format_datetime(soon),  # a few hours ahead: a clock a little off, kept
    }
    serve_feed(server, rss(*(rss_item(n, f"日期{n}", published=raw) for n, raw in dates.items())))
    outcome = ingestion.run(SOURCE)
    assert (outcome.hostile.new, outcome.hostile.errors) == (5, [])
    stored = {a.title: (a.published_at, a.published_raw) for a in outcome.articles}
    eight_in_singapore = datetime(2026, 11, 30, 8, tzinfo=SINGAPORE)
    assert stored == {
        "日期1": (eight_in_singapore, dates[1]), "日期2": (eight_in_singapore, dates[2]),
        "日期3": (eight_in_singapore, dates[3]), "日期4": (None, dates[4]), "日期5": (soon, dates[5]),
    }


SIMPLIFIED = "联合国秘书长呼吁加沙停火，安理会将举行紧急会议"
TRADITIONAL = "聯合國秘書長呼籲加沙停火，安理會將舉行緊急會議"


@pytest.mark.fault(
    "GBK and Big5 feeds: declared in the header or the XML declaration, undeclared, declared wrongly",
    "decoded as pages are: a declaration that does not decode is skipped, GBK and Big5 weighed against each "
    "other, an undeclared feed detected; every title stored as written",
    bad_inputs=8,
)
@pytest.mark.parametrize(("text", "encoding", "declaration", "content_type"), [
    (SIMPLIFIED, "gbk", "", "application/rss+xml; charset=gbk"),
    (SIMPLIFIED, "gbk", ' encoding="gb2312"', "application/rss+xml"),
    (SIMPLIFIED, "gbk", "", "application/rss+xml"),
    (SIMPLIFIED, "gbk", ' encoding="utf-8"', "application/rss+xml; charset=utf-8"),
    (TRADITIONAL, "big5", "", "text/xml; charset=big5"),
    (TRADITIONAL, "big5", ' encoding="big5"', "text/xml"),
    (TRADITIONAL, "big5", "", "text/xml"),
    (TRADITIONAL, "big5", ' encoding="gb2312"', "text/xml"),
], ids=["gbk-in-header", "gbk-declared-gb2312", "gbk-undeclared", "gbk-declared-utf8",
        "big5-in-header", "big5-declared", "big5-undeclared", "big5-declared-gb2312"])
def test_legacy_chinese_feeds_are_read_in_their_charset(ingestion, server, text, encoding, declaration,
                                                        content_type):
    document = rss(rss_item(1, text, body=f"<p>{text}。</p><p>第二段。</p>".replace("第二段", text[:4])),
                   declaration=f'<?xml version="1.0"{declaration}?>')
    serve_feed(server, document.encode(encoding), content_type)
    outcome = ingestion.run(SOURCE)
    assert (outcome.hostile.new, outcome.hostile.errors) == (1, [])
    [article] = outcome.articles
    assert (article.title, article.paragraphs) == (text, [f"{text}。", f"{text[:4]}。"])
    assert "\ufffd" not in article.body
