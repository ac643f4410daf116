"""Failures an operator can act on, without Prefect: real PostgreSQL, the replay site on 127.0.0.1 with a page or
a feed made to fail. Time passes by moving next_attempt_at / next_poll_at into the past, never by sleeping."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from newsmon import cli, failures, imports
from newsmon.failure_policy import FailurePolicy
from newsmon.ingest import ingest_all
from newsmon.model import Reason, Stage
from newsmon.replay.server import ReplayServer, site_path_of
from newsmon.storage.engine import session
from newsmon.storage.failures import gave_up_now, record_item_failure, resolve_item_failure
from newsmon.storage.feeds import ensure_feed, ensure_source, record_feed_result
from newsmon.storage.models import Article, Feed, ItemFailure

FEED = "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
DEAD = "https://www.bbc.com/zhongwen/simp/chinese-news-65035579"  # one of the feed's 16 items: its page 404s

REGISTRY = f"""
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[sources.bbc]
parser = "bbc"
feeds = ["{FEED}"]
extra_hosts = ["www.bbc.com"]
"""


@pytest.fixture
def registry(tmp_path, use_settings):
    """Write the test registry (plus extra TOML) and make it the one in force."""

    def write(extra: str = ""):
        path = tmp_path / "sources.toml"
        path.write_text(REGISTRY + extra, encoding="utf-8")
        use_settings(sources_path=path)

    return write


def dead_page_site() -> ReplayServer:
    return ReplayServer(route_overrides={site_path_of(DEAD): {"status": 404}})


def run(replay: ReplayServer):
    report = ingest_all(["bbc"], replay.base_url)
    (outlet,) = report.outlets
    assert outlet.accounted, outlet
    return report, outlet


def time_passes(db, table: str, column: str) -> None:
    """Make whatever waits on its back-off due now."""
    with db.begin() as conn:
        conn.exec_driver_sql(f"UPDATE {table} SET {column} = now() - interval '1 minute' WHERE {column} IS NOT NULL")


def forget_feed_validators(db) -> None:
    """The next poll gets the whole feed again instead of a 304."""
    with db.begin() as conn:
        conn.exec_driver_sql("UPDATE feeds SET etag = NULL, last_modified = NULL")


def the_failure(db) -> ItemFailure:
    with session(db) as s:
        return s.exec(select(ItemFailure).where(ItemFailure.url.startswith(DEAD))).one()  # the link has a query


def newsmon(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


def test_a_dead_item_fails_one_run_only_and_is_listed(db, registry, capsys):
    registry()
    with dead_page_site() as replay:
        first, bbc = run(replay)
        assert first.failed and (bbc.new, bbc.failed) == (15, 1)
        assert "1 errors" in first.message() and "404" in first.message()

        second, bbc = run(replay)  # at once: the feed is not modified, the failure waits for its next attempt
        assert not second.failed and second.message() == "0 new, 0 errors, 0 alerts sent"
        assert (bbc.retried, bbc.failed, bbc.still_failing) == (0, 0, 0)

        forget_feed_validators(db)
        third, bbc = run(replay)  # the dead item in today's feed is left alone too
        assert not third.failed and (bbc.items_seen, bbc.duplicates, bbc.deferred) == (16, 15, 1)
        assert replay.hits_for(DEAD) == 1

    failure = the_failure(db)
    assert failure.attempts == 1 and failure.next_attempt_at - failure.last_failed_at == timedelta(minutes=15)
    code, listed = newsmon(capsys, "failures", "list")
    assert code == 0 and DEAD in listed and "HTTP 404" in listed and "next attempt" in listed
    assert f"{failure.id:>6}  bbc" in listed
    assert newsmon(capsys, "failures", "list", "--stage", "import")[1].strip() == "no failures"


def test_a_failure_is_retried_on_its_back_off_then_given_up_kept_dismissed_and_retried_by_hand(db, registry, capsys):
    registry("[failures]\nmax_attempts = 3\n")
    with dead_page_site() as replay:
        first, bbc = run(replay)
        assert first.failed and bbc.failed == 1

        time_passes(db, "item_failures", "next_attempt_at")
        second, bbc = run(replay)  # a known failure failing again: counted and logged, the run is not failed
        assert not second.failed and (bbc.retried, bbc.still_failing, bbc.failed) == (1, 1, 0)
        assert "1 still failing" in second.message() and "HTTP 404" in bbc.still_failing_errors[0]
        failure = the_failure(db)
        assert failure.attempts == 2 and failure.next_attempt_at - failure.last_failed_at == timedelta(minutes=30)

        time_passes(db, "item_failures", "next_attempt_at")
        third, bbc = run(replay)  # the third attempt: given up, said once
        assert not third.failed and (bbc.given_up, bbc.still_failing) == (1, 0)
        assert "1 given up" in third.message() and "after 3 attempts" in bbc.given_up_items[0]
        assert any("given up" in line and DEAD in line for line in third.summary_lines())

        time_passes(db, "item_failures", "next_attempt_at")
        forget_feed_validators(db)
        fourth, bbc = run(replay)  # never again by a run, not even from today's feed
        assert not fourth.failed and (bbc.retried, bbc.deferred, bbc.given_up, bbc.items_seen) == (0, 1, 0, 16)
        assert replay.hits_for(DEAD) == 3

    failure = the_failure(db)
    assert failure.given_up_at is not None and failure.next_attempt_at is None and failure.raw is not None
    code, listed = newsmon(capsys, "failures", "list", "--given-up")
    assert code == 0 and DEAD in listed and "given up" in listed

    assert newsmon(capsys, "failures", "dismiss", str(failure.id)) == (0, f"dismissed {failure.id} (kept; "
                                                                          "newsmon failures list --all shows them)\n")
    assert newsmon(capsys, "failures", "list")[1].strip() == "no failures"
    code, listed = newsmon(capsys, "failures", "list", "--all")
    assert DEAD in listed and "dismissed" in listed
    assert newsmon(capsys, "failures", "dismiss", str(failure.id))[0] == 1  # already dismissed

    with ReplayServer() as fixed:  # the page is back: a retry by hand stores it
        result = failures.retry([failure.id], replay_base=fixed.base_url)
    assert not result.failed and result.live[0].new == 1, result.lines()
    with session(db) as s:
        assert s.exec(select(Article).where(Article.url == DEAD)).one()
    assert the_failure(db).resolved_at is not None
    assert newsmon(capsys, "failures", "list", "--all")[1].strip() == "no failures"


def test_a_failing_feed_backs_off_never_gives_up_and_recovers(db, registry, capsys):
    registry()
    with ReplayServer(route_overrides={site_path_of(FEED): {"status": 500}}) as broken:
        first, bbc = run(broken)
        assert first.failed and bbc.feeds_failed == 1 and "HTTP 500" in bbc.errors[0]
        hits = broken.hits_for(FEED)

        second, bbc = run(broken)  # on its back-off: not polled, not failed
        assert not second.failed and (bbc.feeds_deferred, bbc.feeds_failed) == (1, 0)
        assert broken.hits_for(FEED) == hits and "1 feeds deferred" in bbc.line()

        time_passes(db, "feeds", "next_poll_at")
        third, bbc = run(broken)  # polled, failing again: known, logged, the run is not failed
        assert not third.failed and bbc.feeds_failed == 1 and "(2 in a row)" in bbc.still_failing_errors[0]
        assert "1 feeds failed" in bbc.line()

    code, status = newsmon(capsys, "status")
    assert code == 0 and "2 errors: HTTP 500" in status and "next poll" in status

    with ReplayServer() as fixed:
        time_passes(db, "feeds", "next_poll_at")
        fourth, bbc = run(fixed)
    assert not fourth.failed and (bbc.feeds_fetched, bbc.new) == (1, 16)
    with session(db) as s:
        feed = s.exec(select(Feed).where(Feed.url == FEED)).one()
    assert (feed.consecutive_errors, feed.next_poll_at, feed.last_error) == (0, None, None)


def test_back_off_doubles_to_its_cap_the_age_gives_up_once_and_a_success_starts_over(db):
    policy = FailurePolicy(max_attempts=100, give_up_after_hours=48, retry_minutes=15, retry_max_hours=6)

    def fail() -> tuple[ItemFailure, bool]:
        with session(db) as s:
            failure = record_item_failure(s, "bbc", "guid-1", DEAD, Stage.PAGE, "HTTP 404", None, Reason.FETCH,
                                          policy)
            s.expunge(failure)
            return failure, gave_up_now(failure)

    waits = [fail()[0] for _ in range(8)]
    assert [(f.next_attempt_at - f.last_failed_at) / timedelta(minutes=1) for f in waits] == [
        15, 30, 60, 120, 240, 360, 360, 360,
    ]
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE item_failures SET first_failed_at = now() - interval '48 hours'"))
    given_up, now = fail()
    assert now and given_up.next_attempt_at is None
    again, now = fail()  # a retry by hand failing again: still given up, but not given up *now*
    assert again.given_up_at == given_up.given_up_at and not now

    with session(db) as s:
        resolve_item_failure(s, "bbc", "guid-1")
    reopened, _ = fail()
    assert (reopened.attempts, reopened.given_up_at, reopened.dismissed_at) == (1, None, None)
    assert reopened.next_attempt_at - reopened.last_failed_at == timedelta(minutes=15)

    with session(db) as s:
        ensure_source(s, "bbc", "BBC", "bbc", "Europe/London")
        ensure_feed(s, "bbc", FEED)
    waits = []
    for _ in range(8):
        with session(db) as s:
            feed = record_feed_result(s, FEED, ok=False, status_code=500, error="HTTP 500", items_seen=0,
                                      policy=policy)
            waits.append((feed.next_poll_at - feed.last_fetched_at) / timedelta(minutes=1))
    assert waits == [15, 30, 60, 120, 240, 360, 360, 360] and feed.consecutive_errors == 8  # never given up


def test_import_failures_are_listed_and_retried_by_hand_through_the_import(db, tmp_path, capsys):
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "note.txt").write_text("安理会通过决议\n\n安理会今天一致通过了一项决议。\n", encoding="utf-8")
    report = imports.import_archives([str(documents)], engine=db, fmt="text", max_post_bytes=10)
    assert report.failures == {"too-large": 1}

    code, listed = newsmon(capsys, "failures", "list", "--stage", "import")
    assert code == 0 and "too-large" in listed and "retried by hand" in listed
    assert newsmon(capsys, "failures", "list", "--stage", "live")[1].strip() == "no failures"
    with session(db) as s:
        (failure,) = s.exec(select(ItemFailure)).all()

    code, retried = newsmon(capsys, "failures", "retry", str(failure.id), "999999")
    assert "new        1" in retried and "no unresolved failure with id 999999" in retried
    assert code == 1  # an id that names nothing is an error
    with session(db) as s:
        assert s.exec(select(Article.title)).one() == "安理会通过决议"
    assert newsmon(capsys, "failures", "list", "--all")[1].strip() == "no failures"


def test_an_import_failure_counted_under_another_outlet_before_moves_to_the_one_its_post_now_has(db):
    with session(db) as s:  # stored before its folder named the outlet
        record_item_failure(s, "unknown", "_posts/德国之声/1.md", None, Stage.IMPORT, "no link", None, Reason.NO_LINK)
    with session(db) as s:
        record_item_failure(s, "dw", "_posts/德国之声/1.md", None, Stage.IMPORT, "no link", None, Reason.NO_LINK)
        record_item_failure(s, "bbc", "live-item", None, Stage.PAGE, "HTTP 404", None, Reason.FETCH)
        record_item_failure(s, "voa", "live-item", None, Stage.PAGE, "HTTP 404", None, Reason.FETCH)  # live: per outlet
    with session(db) as s:
        rows = sorted((f.outlet, f.item_key, f.attempts) for f in s.exec(select(ItemFailure)))
    assert rows == [("bbc", "live-item", 1), ("dw", "_posts/德国之声/1.md", 2), ("voa", "live-item", 1)]
