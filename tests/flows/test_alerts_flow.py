"""UN alerts through the real ingest-all flow (Prefect harness): a webhook channel whose URL is a Prefect Secret
block, the Prefect event channel, the run's markdown artifact, a second run that sends nothing, and
`newsmon alerts test` reading the block too."""

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
channels = [{ name = "hook", secret = "newsmon-test-hook", format = "markdown" }]
[sources.un_news]
parser = "un_news"
feeds = ["https://news.un.org/feed/subscribe/zh/news/all/rss.xml"]
extra_hosts = ["news.un.org"]
"""


def test_un_items_alert_once_per_channel_and_the_run_lists_them(
    prefect_harness, db, tmp_path, use_settings, capsys
):
    from prefect.blocks.system import Secret
    from prefect.client.orchestration import get_client

    from newsmon.cli import main
    from newsmon.flows.ingest import ingest_all

    token = "hook-token-5e2c1a9b"
    with WebhookReceiver() as receiver, ReplayServer() as replay:
        Secret(value=f"{receiver.url}/{token}").save("newsmon-test-hook", overwrite=True)
        registry = tmp_path / "sources.toml"
        registry.write_text(REGISTRY, encoding="utf-8")
        use_settings(sources_path=registry)
        state = ingest_all(replay_base=replay.base_url, return_state=True)
        assert state.is_completed() and state.message == "4 new, 0 errors, 8 alerts sent"
        assert {m["path"] for m in receiver.received} == {f"/alerts/{token}"}
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
        assert main(["alerts", "test", "hook"]) == 0  # the CLI reads the block too
        assert len(receiver.received) == 5 and receiver.received[4]["path"] == f"/alerts/{token}"

    with get_client(sync_client=True) as client:
        listings = [str(a.data) for a in client.read_artifacts() if a.key == "un-items"]
        logs = " ".join(log.message for log in client.read_logs())
    listing = next(listing for listing in listings if "古特雷斯" in listing).splitlines()
    assert listing[2] == "| published (Singapore time) | level | outlet | article | evidence | id |"
    guterres = next(row for row in listing if "古特雷斯：气候大会必须就适应资金达成可信协议" in row).split(" | ")
    assert guterres[1:3] == ["core", "联合国新闻 UN News 中文"] and guterres[3].startswith("[古特雷斯")
    assert guterres[4] and guterres[5].rstrip(" |").isdigit()  # the evidence sentence; the id for `un explain`
    assert any("None this run" in listing for listing in listings)
    assert "alerts: 8 sent" in logs and token not in logs + capsys.readouterr().out


def test_a_missing_secret_block_is_named_in_the_error(prefect_harness):
    from newsmon.alerts.secrets import SecretUnavailable
    from newsmon.flows.secrets import read_secret_block

    with pytest.raises(SecretUnavailable, match="no Prefect Secret block 'no-such-block' on http://"):
        read_secret_block("no-such-block")
