"""A permanently dead item through the Prefect flow, whose final state is what the UI shows: the first run is
Failed, the next ones Completed; the item is given up with one warning, and `newsmon failures list` lists it."""

import logging

import pytest

from newsmon import cli
from newsmon.replay.server import ReplayServer, site_path_of

pytestmark = pytest.mark.prefect

FEED = "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"
DEAD = "https://www.bbc.com/zhongwen/simp/chinese-news-65035579"

REGISTRY = f"""
user_agent = "newsmon-test"
[alerts]
prefect_events = false
[failures]
max_attempts = 2
[sources.bbc]
parser = "bbc"
feeds = ["{FEED}"]
extra_hosts = ["www.bbc.com"]
"""


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_dead_item_fails_one_flow_run_then_runs_complete_and_it_is_given_up_once(
    prefect_harness, db, tmp_path, use_settings, capsys
):
    from newsmon.flows.ingest import ingest_all

    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    use_settings(sources_path=registry)
    logs = Records()
    logging.getLogger("prefect.flow_runs").addHandler(logs)
    try:
        with ReplayServer(route_overrides={site_path_of(DEAD): {"status": 404}}) as replay:
            first = ingest_all(replay_base=replay.base_url, return_state=True)
            assert first.is_failed() and "1 errors" in first.message and DEAD in first.message

            second = ingest_all(replay_base=replay.base_url, return_state=True)
            assert second.is_completed() and second.message == "0 new, 0 errors, 0 alerts sent"

            with db.begin() as conn:  # its next attempt is due: it fails again, the second of max_attempts
                conn.exec_driver_sql("UPDATE item_failures SET next_attempt_at = now()")
            third = ingest_all(replay_base=replay.base_url, return_state=True)
            assert third.is_completed() and third.message == "0 new, 0 errors, 1 given up, 0 alerts sent"

            with db.begin() as conn:
                conn.exec_driver_sql("UPDATE item_failures SET next_attempt_at = now()")
            fourth = ingest_all(replay_base=replay.base_url, return_state=True)
            assert fourth.is_completed() and fourth.message == "0 new, 0 errors, 0 alerts sent"
    finally:
        logging.getLogger("prefect.flow_runs").removeHandler(logs)

    given_up = [r for r in logs.records if "given up" in r.getMessage() and DEAD in r.getMessage()]
    assert [r.levelno for r in given_up] == [logging.WARNING]  # once, as a warning
    assert any("1 feeds fetched" in r.getMessage() and "1 failed" in r.getMessage() for r in logs.records)

    assert cli.main(["failures", "list", "--given-up"]) == 0
    listed = capsys.readouterr().out
    assert DEAD in listed and "HTTP 404" in listed and "given up" in listed
