"""docs/adding-an-outlet.md, step by step, with a throwaway outlet: its parser module (step 1) and its sources
(step 3) are all it takes to poll it; the golden coverage test (step 2) names the layouts still lacking a case.

The module is loaded as newsmon.parsers.example in a separate process, as if it sat in parsers/, so the
registration it triggers does not outlive the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parents[2]

PARSER_MODULE = '''
import re
from zoneinfo import ZoneInfo

from .base import Layout, OutletParser


class Example(OutletParser):
    key = "example"
    name = "示例新闻 Example News"
    archive_names = ("示例新闻",)
    hosts = ("www.example.com",)
    zone = ZoneInfo("Asia/Shanghai")
    article_id_pattern = re.compile(r"/news/(?P<id>\\d{8})\\.html")
    layouts = (Layout("V2026_feed"),)
    page_layouts = (Layout("V2026_page", container=("article .body",), drop=("figure", "aside")),)
'''

SOURCES = """
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[sources.example]
feeds = ["https://www.example.com/rss/china.xml"]
politeness = { concurrency = 1, delay_seconds = 0.0 }
[sources.example_intl]
parser = "example"
feeds = ["https://www.example.com/rss/world.xml"]
"""

FEED = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>示例</title>{items}</channel></rss>'
ITEM = """<item><title>{title}</title><link>https://www.example.com/news/{id}.html</link>
<pubDate>2026-11-30 08:00</pubDate><description>摘要</description></item>"""
PAGE = """<html><body><nav>首页</nav><article><h1>{title}</h1><figure><figcaption>图片说明</figcaption></figure>
<div class="body"><p>第一段：{title}。</p><aside>相关新闻</aside><p>第二段，完。</p></div></article></body></html>"""

ROUTES = {
    "/www.example.com/rss/china.xml": FEED.format(items=ITEM.format(title="中国新闻一", id="20261130")
                                                 + ITEM.format(title="中国新闻二", id="20261131")),
    "/www.example.com/rss/world.xml": FEED.format(items=ITEM.format(title="国际新闻", id="20261132")),
    **{f"/www.example.com/news/{id}.html": PAGE.format(title=title)
       for id, title in (("20261130", "中国新闻一"), ("20261131", "中国新闻二"), ("20261132", "国际新闻"))},
}

RUN = """
import importlib.util, json, sys
import newsmon.parsers
spec = importlib.util.spec_from_file_location("newsmon.parsers.example", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)

from dataclasses import replace
from newsmon import ingest, settings
from tests.golden_cases import cases_by_layout, declared_layouts

with settings.use(replace(settings.current(), trial=True)):  # a trial in the test's own database and registry
    report = ingest.ingest_all(None, replay_base=sys.argv[2])
missing = sorted(layout for layout in declared_layouts() - set(cases_by_layout()) if layout[1].startswith("example."))
print(json.dumps({"outlets": [r.row() for r in report.outlets], "missing": missing}, ensure_ascii=False))
"""


class _Site(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ROUTES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8" if "rss" in self.path else "text/html")
        self.end_headers()
        self.wfile.write((body or "").encode("utf-8"))

    def log_message(self, *args):
        pass


def test_a_new_outlet_is_its_parser_module_and_its_sources(db, tmp_path):
    module = tmp_path / "example.py"
    module.write_text(PARSER_MODULE, encoding="utf-8")
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            [sys.executable, "-c", RUN, str(module), f"http://127.0.0.1:{server.server_port}"],
            cwd=REPO_ROOT, env=os.environ | {"NEWSMON_SOURCES": str(sources)}, capture_output=True, text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout.strip().splitlines()[-1])
    assert {r["outlet"]: (r["new"], r["failed"]) for r in run["outlets"]} == {"example": (2, 0), "example_intl": (1, 0)}
    # step 2 is not done: the coverage test names both layouts
    assert run["missing"] == [["layouts", "example.V2026_feed"], ["page_layouts", "example.V2026_page"]]

    with db.connect() as connection:
        articles = connection.execute(sa.text(
            "SELECT outlet, title, paragraphs, parser, published_at FROM articles ORDER BY title")).all()
        sources_rows = connection.execute(sa.text("SELECT outlet, name, parser, time_zone FROM sources")).all()
        feeds = connection.execute(sa.text("SELECT outlet, url FROM feeds ORDER BY url")).all()
    # stored under the source's key, whichever parser read it; the page's figure and aside cut away
    assert [(a.outlet, a.title, a.paragraphs, a.parser) for a in articles] == [
        ("example", "中国新闻一", ["第一段：中国新闻一。", "第二段，完。"], "example.V2026_page"),
        ("example", "中国新闻二", ["第一段：中国新闻二。", "第二段，完。"], "example.V2026_page"),
        ("example_intl", "国际新闻", ["第一段：国际新闻。", "第二段，完。"], "example.V2026_page"),
    ]
    assert articles[0].published_at.isoformat() == "2026-11-30T00:00:00+00:00"  # read in the declared zone
    assert sorted(sources_rows) == [("example", "示例新闻 Example News", "example", "Asia/Shanghai"),
                                    ("example_intl", "示例新闻 Example News", "example", "Asia/Shanghai")]
    assert [f.outlet for f in feeds] == ["example", "example_intl"]
