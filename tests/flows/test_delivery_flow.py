"""The deliver-alerts flow for real (test harness server): it sends what an ingestion queued without sending, fails
(with its report as the state's data, on every Prefect the pins allow) while a channel refuses, and sends it later."""

import pytest

from newsmon.alerts.receiver import WebhookReceiver
from newsmon.ingest import ingest_outlet
from newsmon.replay import ReplayServer

pytestmark = pytest.mark.prefect

REGISTRY = """
user_agent = "newsmon-test"
[alerts]
prefect_events = false
channels = [{{ name = "hook", url = "{url}", format = "markdown" }}]
[sources.un_news]
feeds = ["https://news.un.org/feed/subscribe/zh/news/all/rss.xml"]
"""


def test_alerts_go_out_on_the_delivery_flows_schedule_and_wait_while_a_channel_refuses(
    prefect_harness, db, tmp_path, use_settings
):
    from newsmon.flows.delivery import DeliveryFailed, deliver_alerts

    with WebhookReceiver(status=500) as hook, ReplayServer() as replay:
        registry = tmp_path / "sources.toml"
        registry.write_text(REGISTRY.format(url=hook.url), encoding="utf-8")
        use_settings(sources_path=registry)
        assert ingest_outlet("un_news", replay.base_url).new == 4  # queued; the outlet's run sends nothing itself

        refused = deliver_alerts(return_state=True)
        assert refused.is_failed() and refused.message.startswith("alerts: 0 sent, 4 failed")
        assert isinstance(refused.result(raise_on_failure=False), DeliveryFailed)

        hook.status = 200
        sent = deliver_alerts(return_state=True)
        assert sent.is_completed() and sent.result().sent == 4 and len(hook.received) == 4
        assert deliver_alerts(return_state=True).result().sent == 0
