"""HTTP faults against real ingestion: a hostile outlet's server misbehaves at the HTTP or connection level, the
run records what happened (a feed failure or an item failure with its reason, a fetch_log row), tries again at the
next run, and the calm outlet polled after it is unaffected. Bounds, not durations: this machine is loaded."""

from __future__ import annotations

import socket
import tracemalloc
from datetime import timedelta

import pytest

from newsmon.fetch import Fetcher, Politeness
from newsmon.model import Reason
from newsmon.storage.engine import session
from tests.faults.ingestion import Ingestion, Outcome, rss, rss_item
from tests.faults.server import (
    HostileServer,
    cut_off,
    endless,
    gzip_bomb,
    in_turn,
    redirect,
    served,
)

FEED = "https://hostile.test/feeds/news"
FEED_PATH = "/hostile.test/feeds/news"
GOOD_FEED = rss(rss_item(1, "正常新闻"), rss_item(2, "另一条新闻")).encode()
MAX_BYTES = 5_000_000  # the replay fetcher's cap on a body


def source(*feeds: str, budget: float = 5.0) -> str:
    return f"feeds = {list(feeds)!r}\ntime_budget_seconds = {budget}".replace("'", '"')


def assert_feed_failed(outcome: Outcome, error: str) -> None:
    """The feed failed this run with this error (its start): counted, logged, on its back-off to be polled again,
    nothing stored from it."""
    hostile = outcome.hostile
    assert (hostile.feeds_fetched, hostile.feeds_failed, hostile.items_seen) == (0, 1, 0)
    assert hostile.errors == [f"feed {FEED}: {outcome.feeds[FEED].last_error}"]
    assert (outcome.feeds[FEED].last_error or "").startswith(error)
    assert outcome.feeds[FEED].consecutive_errors == 1 and outcome.feeds[FEED].next_poll_at is not None
    assert [(f.kind, f.ok, f.error) for f in outcome.fetches] == [("feed", False, outcome.feeds[FEED].last_error)]
    assert outcome.articles == []


def assert_retried_and_stored(ingestion: Ingestion, server: HostileServer, *feeds: str,
                              more_titles: tuple[str, ...] = ()) -> Outcome:
    """With the server mended, the next run polls the feeds again and stores every item: nothing lost, no failure
    left open."""
    server.answers[FEED_PATH] = served(GOOD_FEED)
    again = ingestion.run(source(FEED, *feeds))
    titles = ["正常新闻", "另一条新闻", *more_titles]
    assert (again.hostile.feeds_fetched, again.hostile.new, again.hostile.errors) == (1 + len(feeds), len(titles), [])
    assert again.failures == [] and again.feeds[FEED].consecutive_errors == 0
    assert sorted(a.title for a in again.articles) == sorted(titles)
    return again


@pytest.mark.fault(
    "429 and 503 with a Retry-After the outlet's time budget can hold",
    "waits as asked (Retry-After, up to the fetcher's back-off cap of 30 s), then fetches the feed",
    bad_inputs=2,
)
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_within_the_budget_is_honoured(ingestion, server, tally, status):
    server.answers[FEED_PATH] = in_turn(served(b"busy", "text/plain", status=status, headers={"Retry-After": "1"}),
                                        served(GOOD_FEED))
    outcome = ingestion.run(source(FEED, budget=10.0))
    assert (outcome.hostile.feeds_fetched, outcome.hostile.new, outcome.hostile.errors) == (1, 2, [])
    assert server.paths.count(FEED_PATH) == 2
    assert [(f.ok, f.status_code) for f in outcome.fetches] == [(True, 200)]
    assert (outcome.fetches[0].elapsed_ms or 0) >= 1000  # the wait asked for, not the back-off's jitter
    tally(lost=2 - len(outcome.articles), note=f"{status} then 200: both items stored")


@pytest.mark.fault(
    "429 and 503 with a Retry-After beyond what the fetcher waits (its back-off cap, 30 s)",
    "not waited for and not asked again sooner: the feed fails at once with the reason, its next poll is not "
    "before the time asked; then it is polled and stored",
    bad_inputs=2,
)
@pytest.mark.parametrize("status", [429, 503])
def test_a_long_retry_after_is_not_waited_for_and_the_feed_waits_that_long(ingestion, server, db, tally, status):
    server.answers[FEED_PATH] = served(b"busy", "text/plain", status=status, headers={"Retry-After": "3600"})
    outcome = ingestion.run(source(FEED, budget=2.0))
    assert_feed_failed(outcome, f"HTTP {status} ")
    feed = outcome.feeds[FEED]
    assert "not tried again: the server asks for a wait of 3600 s (Retry-After)" in (feed.last_error or "")
    assert server.paths.count(FEED_PATH) == 1
    assert feed.next_poll_at is not None and feed.next_poll_at - feed.last_fetched_at >= timedelta(hours=1)
    server.answers[FEED_PATH] = served(GOOD_FEED)
    deferred = ingestion.run(source(FEED))
    assert (deferred.hostile.feeds_deferred, server.paths.count(FEED_PATH)) == (1, 1)  # the hour is not over
    with session(db) as s:  # the hour is over
        s.connection().exec_driver_sql("UPDATE feeds SET next_poll_at = now()")
    again = assert_retried_and_stored(ingestion, server)
    tally(lost=2 - len(again.articles), note=f"{status} with Retry-After: 3600: not polled for an hour, then stored")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.fault(
    "connection refused",
    "the feed fails with 'connection refused' after its retry, recorded and polled again at the next run",
)
def test_connection_refused_is_a_feed_failure_polled_again(ingestion, server, tally):
    outcome = ingestion.run(source(FEED), hostile_replay_base=f"http://127.0.0.1:{closed_port()}")
    assert_feed_failed(outcome, "connection refused")
    assert outcome.fetches[0].status_code is None
    again = assert_retried_and_stored(ingestion, server)
    tally(lost=2 - len(again.articles), note="refused, then stored at the next run")


@pytest.mark.fault(
    "DNS failure: a feed host that does not resolve",
    "the feed fails with 'could not resolve host', within the outlet's budget; polled again at the next run",
)
def test_a_host_that_does_not_resolve_is_a_feed_failure(ingestion):
    unresolvable = "https://feeds.hostile.invalid/rss"  # .invalid never resolves (RFC 6761)
    outcome = ingestion.run(source(unresolvable, budget=2.0), hostile_replay_base=None)  # the live fetcher
    feed = outcome.feeds[unresolvable]
    assert (outcome.hostile.feeds_failed, outcome.hostile.items_seen) == (1, 0)
    assert (feed.last_error or "").startswith("could not resolve host")
    assert feed.consecutive_errors == 1 and feed.next_poll_at is not None
    assert [(f.url, f.ok, f.status_code) for f in outcome.fetches] == [(unresolvable, False, None)]
    assert outcome.hostile.seconds < 10  # the live fetcher's retries and back-off, held to the 2 s budget


@pytest.mark.fault(
    "a body cut off mid-stream (Content-Length larger than what is sent, then the connection closed)",
    "a feed cut off fails and is polled again; a page cut off is an item failure (fetch) retried at the next run",
    bad_inputs=2,
)
def test_a_body_cut_off_mid_stream_fails_and_is_fetched_again(ingestion, server, tally):
    page_item = rss_item(3, "要取网页的新闻", body="<p>一行</p>")
    second = "https://hostile.test/feeds/pages"
    server.answers[FEED_PATH] = cut_off(GOOD_FEED[: len(GOOD_FEED) // 2], missing=len(GOOD_FEED))
    server.answers["/hostile.test/feeds/pages"] = served(rss(page_item).encode())
    page = ('<html><body><div class="articleBody"><p>网页第一段。</p><p>网页第二段。</p></div></body></html>').encode()
    page_path = "/hostile.test/news/china/story20261130-0000003"
    server.answers[page_path] = cut_off(page[:40], missing=100)
    outcome = ingestion.run(source(FEED, second))
    hostile = outcome.hostile
    assert (hostile.feeds_fetched, hostile.feeds_failed, hostile.items_seen, hostile.failed) == (1, 1, 1, 1)
    assert (outcome.feeds[FEED].last_error or "").startswith("network error: peer closed connection")
    [failure] = outcome.failures
    assert (failure.stage, failure.reason, failure.url) == ("page", Reason.FETCH, "https://hostile.test"
                                                            + page_path.removeprefix("/hostile.test"))
    assert "peer closed connection" in failure.error and failure.next_attempt_at is not None
    assert server.paths.count(page_path) == 2  # the replay fetcher's one retry

    server.answers[page_path] = served(page, "text/html; charset=utf-8")
    again = assert_retried_and_stored(ingestion, server, second, more_titles=("要取网页的新闻",))
    tally(lost=3 - len(again.articles), note="feed and page cut off, both stored at the next run")


@pytest.mark.fault(
    "an endless body",
    "cut at the size cap (5 MB): the feed fails as too large, not retried in the run, polled again at the next",
)
def test_an_endless_body_is_cut_at_the_size_cap(ingestion, server):
    server.answers[FEED_PATH] = endless()
    outcome = ingestion.run(source(FEED))
    assert_feed_failed(outcome, f"response larger than {MAX_BYTES} bytes")
    assert server.paths.count(FEED_PATH) == 1


@pytest.mark.fault(
    "a gzip bomb (Content-Encoding: gzip, 100 KB expanding to 100 MB)",
    "decompressed 64 KB at a time up to the size cap (5 MB): the feed fails as too large, the fetch never holds "
    "much more than the cap",
)
def test_a_gzip_bomb_is_capped_while_it_is_decompressed(ingestion, server):
    server.answers[FEED_PATH] = gzip_bomb(expands_to=100_000_000)
    outcome = ingestion.run(source(FEED))
    assert_feed_failed(outcome, f"response larger than {MAX_BYTES} bytes")
    assert server.paths.count(FEED_PATH) == 1

    with Fetcher(user_agent="newsmon-tests", retries=0, max_bytes=MAX_BYTES, politeness=Politeness(2, 0.0),
                 allow_private=["127.0.0.0/8"]) as fetcher:
        tracemalloc.start()
        try:
            result = fetcher.get(f"{ingestion.replay_base}{FEED_PATH}")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error == f"response larger than {MAX_BYTES} bytes"
    assert peak < 2 * MAX_BYTES  # decompressing each 64 KB read whole held some 130 MB at once


@pytest.mark.fault(
    "a redirect loop",
    "given up after 10 redirects, each hop requested once; the feed fails with the reason",
)
def test_a_redirect_loop_is_given_up(ingestion, server):
    other = "/hostile.test/feeds/elsewhere"
    server.answers[FEED_PATH] = redirect("https://hostile.test/feeds/elsewhere")
    server.answers[other] = redirect(FEED)
    outcome = ingestion.run(source(FEED))
    assert_feed_failed(outcome, "more than 10 redirects")
    assert server.paths.count(FEED_PATH) + server.paths.count(other) == 11  # the first request and 10 hops
