"""The Prefect flows for real (test harness server): per-source subflows, artifact, final state."""

import pytest

from newsmon.replay.server import ReplayServer

pytestmark = pytest.mark.prefect

REGISTRY = """
user_agent = "newsmon-test"
[sources.bbc]
parser = "bbc"
feeds = ["https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"]
extra_hosts = ["www.bbc.com"]
[sources.broken]
parser = "zaobao"
feeds = ["https://faults.test/feeds/not-xml"]
extra_hosts = ["faults.test"]
"""


def test_one_failing_outlet_fails_the_run_but_not_the_others(prefect_harness, db, tmp_path, use_settings):
    from prefect.client.orchestration import get_client

    from newsmon.flows.ingest import ingest_all

    registry = tmp_path / "sources.toml"
    registry.write_text(REGISTRY, encoding="utf-8")
    use_settings(sources_path=registry)
    with ReplayServer() as replay:
        state = ingest_all(replay_base=replay.base_url, return_state=True)
        reports = {r.outlet: r for r in state.result(raise_on_failure=False).report.outlets}
        assert state.is_failed()
        assert "broken" in state.message and "not an RSS or Atom feed" in state.message
        assert reports["bbc"].new == 16 and not reports["bbc"].errors
        assert reports["broken"].feeds_failed == 1

        again = ingest_all(outlets=["bbc"], replay_base=replay.base_url, return_state=True)
        assert again.is_completed() and again.message == "0 new, 0 errors, 0 alerts sent"

    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
    summaries = [a for a in artifact if a.key == "ingest-summary"]
    assert summaries, "the run publishes its per-outlet table"
    assert "not_modified" in str(summaries[0].data)
