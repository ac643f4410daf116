"""Replay runs from production settings, without Prefect: every entry point of the ingest pipeline given a replay
site works in the demo's home and database; the production database, its feeds' validators and its alert channel
are left alone, and the demo's webhook gets alerts only once it is a channel of the demo's registry.
tests/flows/test_trial_flow.py does the same through the flows and `newsmon demo`."""

from __future__ import annotations

from newsmon import ingest, settings
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.cli import _write_demo_registry
from newsmon.replay import ReplayServer
from tests.trials import PRODUCTION_ETAG, count, production, snapshot


def test_replay_runs_never_touch_production_and_alert_the_demo_only_through_its_registry(database_url, tmp_path):
    with production(database_url, tmp_path / "home") as prod, ReplayServer() as replay, \
            WebhookReceiver() as demo_hook, settings.use(prod.settings):
        before = snapshot(prod.engine)

        # no demo registry yet: the packaged sources, alerting no one
        first = ingest.ingest_all(["bbc", "zaobao"], replay.base_url)
        assert not first.failed and {r.outlet: r.new for r in first.outlets} == {"bbc": 16, "zaobao": 18}
        demo = prod.demo_engine()
        assert count(demo, "SELECT count(*) FROM articles") == 34
        assert count(demo, "SELECT count(*) FROM article_relevance WHERE level <> 'none'") > 0  # something to alert
        assert count(demo, "SELECT count(*) FROM alert_outbox") == 0
        assert demo_hook.received == []

        # the demo's registry, as `newsmon demo` writes it: its webhook is a channel now
        _write_demo_registry(prod.settings.demo().sources_path, demo_hook.url)
        collected = ingest.collect_items("voa", replay.base_url)
        voa = ingest.store_items("voa", collected.items, collected.report, replay.base_url)
        un = ingest.ingest_outlet("un_news", replay.base_url)
        assert (voa.new, un.new) == (15, 4)
        assert ingest.retry_failures(replay_base=replay.base_url) == []
        last = ingest.ingest_all(["un_news"], replay.base_url)  # its delivery sends what voa and un_news queued
        assert last.delivery.sent > 0 and len(demo_hook.received) == last.delivery.sent

        assert snapshot(prod.engine) == before
        assert prod.team.received == []
        with demo.connect() as connection:
            etags = set(connection.exec_driver_sql("SELECT etag FROM feeds").scalars())
            channels = set(connection.exec_driver_sql("SELECT channel FROM alert_outbox").scalars())
        assert PRODUCTION_ETAG not in etags and None not in etags  # the replay site's own validators
        assert "team" not in channels and "demo-webhook" in channels

