"""UN alerts through the real ingest-all flow (Prefect harness): a webhook channel, the Prefect event channel,
the run's markdown artifact, and a second run that sends nothing."""

import pytest
from sqlmodel import select

from newsmon.alerts.receiver import WebhookReceiver
from newsmon.replay.server import ReplayServer
from newsmon.storage.engine import session
from newsmon.storage.models import Alert, ArticleRelevance

pytestmark = pytest.mark.prefect

REGISTRY = """
user_agent = "newsmon-test"
[alerts]
threshold = "mention"
time_zone = "Asia/Singapore"
channels = [{{ name = "hook", url = "{url}", format = "markdown" }}]
[sources.un_news]
parser = "un_news"
feeds = ["https://news.un.org/feed/subscribe/zh/news/all/rss.xml"]
extra_hosts = ["news.un.org"]
"""


def test_un_items_alert_once_per_channel_and_the_run_lists_them(prefect_harness, db, tmp_path, use_settings):
    from prefect.client.orchestration import get_client

    from newsmon.flows.ingest import ingest_all

    with WebhookReceiver() as receiver, ReplayServer() as replay:
        registry = tmp_path / "sources.toml"
        registry.write_text(REGISTRY.format(url=receiver.url), encoding="utf-8")
        use_settings(sources_path=registry)
        state = ingest_all(replay_base=replay.base_url, return_state=True)
        assert state.is_completed() and state.message == "4 new, 0 errors, 8 alerts sent"
        titles = sorted(m["json"]["title"] for m in receiver.received)
        assert titles == sorted([
            "[UN core] 安理会1540委员会主席通报防扩散决议执行情况",
            "[UN core] 世卫组织：全球麻疹病例连续第三年上升",
            "[UN core] 难民署：苏丹冲突迫使越境逃离人数突破四百万",
            "[UN core] 古特雷斯：气候大会必须就适应资金达成可信协议",
        ])
        with session(db) as s:
            alerts = s.exec(select(Alert)).all()
            assert {a.channel for a in alerts} == {"hook", "prefect-event"} and all(a.sent_at for a in alerts)
            assert {r.level for r in s.exec(select(ArticleRelevance))} == {"core"}

        again = ingest_all(replay_base=replay.base_url, return_state=True)
        assert again.message == "0 new, 0 errors, 0 alerts sent" and len(receiver.received) == 4

    with get_client(sync_client=True) as client:
        listings = [str(a.data) for a in client.read_artifacts() if a.key == "un-items"]
    assert any("古特雷斯：气候大会必须就适应资金达成可信协议" in listing for listing in listings)
    assert any("None this run" in listing for listing in listings)
