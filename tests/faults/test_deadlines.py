"""Deadlines: a request ends within its deadline however slowly the server answers (headers included), and an
outlet's requests end within its time budget, so a hanging server delays the run by that budget at most and the
other outlets are polled as ever. Bounds, not durations: this machine is loaded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsmon.fetch import Fetcher, Politeness
from newsmon.ingest import ingest_all

LOOPBACK = ["127.0.0.0/8"]


def fetcher(**options) -> Fetcher:
    settings = {"user_agent": "newsmon-tests", "retries": 0, "politeness": Politeness(2, 0.0),
                "allow_private": LOOPBACK}
    return Fetcher(**(settings | options))


@pytest.mark.fault(
    "a server sending one header line every half second",
    "the whole-request deadline cuts the request",
)
def test_headers_trickling_in_are_cut_at_the_deadline(server):
    deadline = 1.0  # the server sends a header line every 0.5 s: each read is quick, the whole never ends
    with fetcher(timeout=deadline) as f:
        started = time.monotonic()
        result = f.get(f"http://127.0.0.1:{server.port}/trickle")
        took = time.monotonic() - started
    assert result.error == f"timed out after {deadline} s"
    assert took < 3 * deadline


@pytest.mark.fault(
    "an outlet's requests exceeding its time budget",
    "requests end at the budget; later ones are refused and recorded",
)
def test_a_fetcher_s_budget_bounds_its_requests_and_then_refuses_more(server):
    url = f"http://127.0.0.1:{server.port}/hang"
    with fetcher(timeout=30.0, retries=3, backoff_base=0.01, budget_seconds=0.5) as f:
        started = time.monotonic()
        hung = f.get(url)
        took = time.monotonic() - started
        after = f.get(url)
    assert hung.error and hung.error.startswith("timed out")
    assert took < 5.0  # the timeout alone would allow 4 x 30 s
    assert after.error == "the time budget of 0.5 s is spent: not requested"
    assert server.paths == ["/hang"]


REGISTRY = """
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[sources.stuck]
parser = "zaobao"
feeds = ["https://stuck.test/feeds/hang"]
time_budget_seconds = 0.5
[sources.calm]
parser = "zaobao"
feeds = ["https://calm.test/feeds/news"]
"""

CALM = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>平静新闻</title><link>https://calm.test/news/china/story20261130-0000001</link>"
    "<pubDate>Mon, 30 Nov 2026 08:00:00 +0800</pubDate>"
    "<description><![CDATA[<p>第一段：平静。</p><p>第二段，完。</p>]]></description></item>"
    "</channel></rss>"
).encode()


@pytest.mark.fault(
    "an outlet whose server never answers",
    "the outlet spends its budget, its items are recorded as failures, the next outlet is polled",
)
def test_an_outlet_whose_server_hangs_spends_its_budget_and_the_next_is_polled(server, db, tmp_path: Path,
                                                                                use_settings):
    server.routes["/calm.test/feeds/news"] = CALM
    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    use_settings(sources_path=registry, trial=True)
    report = ingest_all(None, f"http://127.0.0.1:{server.port}")
    reports = {r.outlet: r for r in report.outlets}
    stuck, calm = reports["stuck"], reports["calm"]
    assert stuck.feeds_failed == 1 and "timed out" in stuck.errors[0]
    assert stuck.seconds < 3.0  # without the budget: two attempts of the replay fetcher's 2 s deadline, at least 4 s
    assert (calm.feeds_fetched, calm.new, calm.errors) == (1, 1, [])
    assert server.paths.index("/calm.test/feeds/news") > server.paths.index("/stuck.test/feeds/hang")
