"""Bad bytes are data, not crashes: hostile feeds served from 127.0.0.1 through a real ingestion run into the test
database. Each item ends stored (cleaned) or recorded as a failure; the run goes on to the next outlet; items that
share a GUID but not a link are two articles."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlmodel import select

from newsmon.ingest import ingest_all
from newsmon.storage import models
from newsmon.storage.engine import session

REGISTRY = """
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[sources.hostile]
parser = "zaobao"
feeds = ["https://hostile.test/feeds/hostile"]
[sources.calm]
parser = "zaobao"
feeds = ["https://calm.test/feeds/news"]
"""

BODY = "<![CDATA[<p>第一段：{title}。</p><p>第二段，完。</p>]]>"


def item(n: int, title: bytes, *, guid: str | None = None, body: bytes | None = None, host="hostile.test") -> bytes:
    link = f"https://{host}/news/china/story20261130-{n:07d}"
    return (
        b"<item><title>" + title + b"</title><link>" + link.encode() + b"</link>"
        + (f"<guid isPermaLink=\"false\">{guid}</guid>".encode() if guid else b"")
        + b"<pubDate>Mon, 30 Nov 2026 08:00:00 +0800</pubDate><description>"
        + (body or BODY.format(title=n).encode()) + b"</description></item>"
    )


def feed(*items: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            + b"".join(items) + b"</channel></rss>")


CALM = feed(item(1, "平静新闻".encode(), host="calm.test"))


class _Site(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}

    def do_GET(self):
        body = self.routes.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def serve(db, tmp_path: Path, use_settings) -> Iterator:
    """serve(feed bytes) runs hostile, then calm, against a site serving them: (reports by outlet, articles)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def run(hostile: bytes):
        _Site.routes = {"/hostile.test/feeds/hostile": hostile, "/calm.test/feeds/news": CALM}
        registry = tmp_path / "sources.toml"
        registry.write_text(REGISTRY, encoding="utf-8")
        use_settings(sources_path=registry, trial=True)
        report = ingest_all(None, f"http://127.0.0.1:{server.server_port}")
        reports = {r.outlet: r for r in report.outlets}
        assert all(r.accounted for r in reports.values())
        assert (reports["calm"].new, reports["calm"].errors) == (1, [])  # the next outlet is polled as ever
        with session(db) as s:
            articles = s.exec(select(models.Article).where(models.Article.outlet == "hostile")).all()
            failures = s.exec(select(models.ItemFailure)).all()
        return reports["hostile"], sorted(articles, key=lambda a: a.url), failures

    yield run
    server.shutdown()


@pytest.mark.fault(
    "a lone-surrogate character reference (&#55296;) in a feed title",
    "stored with U+FFFD in its place; the next outlet is polled",
)
def test_a_lone_surrogate_reference_is_stored_as_a_replacement_character(serve):
    report, articles, failures = serve(feed(item(1, "坏字符 &#55296; 标题".encode()), item(2, "好标题".encode())))
    assert (report.new, report.failed, report.feeds_failed, report.errors) == (2, 0, 0, [])
    assert [a.title for a in articles] == ["坏字符 \ufffd 标题", "好标题"]
    assert failures == []


@pytest.mark.fault(
    "invalid UTF-8 bytes inside a UTF-8 feed",
    "repaired to U+FFFD; the rest of the feed is read as UTF-8, not mojibake",
)
def test_invalid_utf8_in_a_utf8_feed_is_repaired_not_mojibake(serve):
    report, articles, _ = serve(feed(item(1, "中".encode() + b"\xff" + "文".encode()), item(2, "好标题".encode())))
    assert (report.new, report.failed, report.errors) == (2, 0, [])
    assert [a.title for a in articles] == ["中\ufffd文", "好标题"]  # the rest of the feed read as UTF-8, not cp1252


@pytest.mark.fault(
    "NUL and control characters, raw and as references, in titles and bodies",
    "removed in one place (parsers/text.py) before storage",
)
def test_control_characters_and_nul_leave_titles_and_bodies(serve):
    body = b"<![CDATA[<p>\x00" + "第\x01一段".encode() + b"</p><p>\x1b" + "第二段".encode() + b"</p>]]>"
    report, articles, _ = serve(feed(item(1, "标\x00题\x07&#0;&#x1b;一".encode(), body=body)))
    assert (report.new, report.failed, report.errors) == (1, 0, [])
    assert [(a.title, a.paragraphs) for a in articles] == [("标题一", ["第一段", "第二段"])]


@pytest.mark.fault(
    "two items sharing a GUID with different links and texts",
    "two articles; the repeated item once; the run's accounting adds up",
)
def test_items_sharing_a_guid_with_different_links_are_two_articles(serve):
    same = feed(item(1, "第一条".encode(), guid="shared"), item(2, "第二条".encode(), guid="shared"),
                item(1, "第一条重复".encode(), guid="shared"))  # the same item again: one article
    report, articles, _ = serve(same)
    assert (report.items_seen, report.new, report.failed) == (2, 2, 0)
    assert [(a.title, a.guid) for a in articles] == [("第一条", "shared"), ("第二条", None)]
