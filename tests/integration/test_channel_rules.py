"""Per-channel rules on the replay site: each alert channel gets the articles its level, outlets and UN bodies ask
for, one alert per story; `newsmon alerts preview` shows a channel exactly what it would have received; a channel in
its quiet hours keeps its alerts pending until they end."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon import settings
from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.preview import preview
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.cli import main
from newsmon.ingest import ingest_outlet
from newsmon.replay.server import ReplayServer
from newsmon.sources import load_registry
from newsmon.storage import engine as storage_engine
from newsmon.storage.connect import connect
from newsmon.storage.search import un_related_since
from tests.conftest import empty_tables

EVERYTHING = datetime(2000, 1, 1, tzinfo=UTC)
SINGAPORE = ZoneInfo("Asia/Singapore")


def fetched_in_the_loud_minute(fetched_at: datetime) -> bool:
    """Stored at 23:59 in Singapore, the minute the night channel is not quiet: its alert is not held."""
    return fetched_at.astimezone(SINGAPORE).strftime("%H:%M") == "23:59"
# Never delivered to (port 9), but night by the last test, through a receiver of its own; night is quiet all day
# but 23:59
CHANNELS = """channels = [
  { name = "everything", url = "json://127.0.0.1:9/everything" },
  { name = "council", url = "json://127.0.0.1:9/council", level = "core", bodies = ["Security Council"] },
  { name = "bbc-who", url = "json://127.0.0.1:9/bbc-who", outlets = ["bbc"], bodies = ["WHO"] },
  { name = "night", url = "json://127.0.0.1:9/night", quiet_hours = "00:00-23:59" },"""


@pytest.fixture(scope="module")
def replayed(database_url, tmp_path_factory):
    empty_tables(storage_engine.get_engine(database_url))
    registry_file = tmp_path_factory.mktemp("channels") / "sources.toml"
    registry_file.write_text(settings.PACKAGED_SOURCES.read_text(encoding="utf-8").replace(
        "channels = [", CHANNELS, 1), encoding="utf-8")
    with settings.use(replace(settings.current(), sources_path=registry_file)), ReplayServer() as server:
        registry = load_registry()
        for source in registry.select(None):
            ingest_outlet(source.key, server.base_url)
        yield registry


def queued(channel: str) -> set[int]:
    with connect() as connection:
        return {id for (id,) in connection.execute("SELECT article_id FROM alert_outbox WHERE channel = %s",
                                                   [channel])}


def expected(rule) -> set[int]:
    """Per story, its first stored article that the rule lets through: from the stored relevance, by SQL."""
    with connect() as connection:
        rows = connection.execute(
            "SELECT a.id, a.story_id, a.outlet, r.level, r.bodies FROM articles AS a"
            " JOIN article_relevance AS r ON r.article_id = a.id ORDER BY a.id").fetchall()
    first: dict[int, int] = {}
    for id, story, outlet, level, bodies in rows:
        if rule(level, outlet, bodies):
            first.setdefault(story, id)
    return set(first.values())


def test_each_channel_receives_exactly_what_its_rules_ask_for(replayed):
    council = expected(lambda level, outlet, bodies: level == "core" and "Security Council" in bodies)
    bbc_who = expected(lambda level, outlet, bodies: level != "none" and outlet == "bbc" and "WHO" in bodies)
    everything = expected(lambda level, outlet, bodies: level != "none")
    assert council and bbc_who  # the replay site has such articles: the rules are tried, not trivially met
    assert queued("council") == council < everything
    assert queued("bbc-who") == bbc_who < everything
    assert queued("everything") == everything == queued("night")
    with connect() as connection:
        mentions_of_the_council = connection.execute(
            "SELECT count(*) FROM article_relevance WHERE level = 'mention' AND bodies ? 'Security Council'"
        ).fetchone()[0]
    assert mentions_of_the_council  # ... and a mention of the council is left out of the core-only channel


def test_preview_shows_a_channel_what_the_outbox_holds(replayed, capsys):
    with connect() as connection:
        articles = un_related_since(connection, EVERYTHING)
    for channel in replayed.alerts.channels:
        if channel.kind == "apprise":
            alerts = preview(channel, replayed.alerts, articles)
            held = {alert.article.id for alert in alerts if alert.held}
            assert {alert.article.id for alert in alerts} == queued(channel.name), channel.name
            assert all(alert.held == (channel.name == "night" and not fetched_in_the_loud_minute(
                alert.article.fetched_at)) for alert in alerts)

    with settings.use(replace(settings.current(), sources_path=replayed.path)):
        assert main(["alerts", "preview", "council", "--since", "2000-01-01"]) == 0
        table = capsys.readouterr().out
        assert main(["alerts", "preview", "night", "--since", "2000-01-01", "--format", "json"]) == 0
        night = capsys.readouterr().out
        assert main(["alerts", "preview", "nope"]) == 2
    head = table.splitlines()[0]
    assert head.startswith("council receives core only, of every outlet, naming Security Council: "
                           f"{len(queued('council'))} alert")
    assert all(f"\n{id:>7}  " in table for id in queued("council"))
    records = [json.loads(line) for line in night.splitlines()]
    assert {record["id"] for record in records} == queued("night")
    assert {record["id"] for record in records if record["held_for_quiet_hours"]} == held  # night: the last
    assert "no alert channel 'nope'" in capsys.readouterr().err


def test_a_channel_in_its_quiet_hours_keeps_its_alerts_until_they_end(replayed):
    night = replayed.alerts.channel("night")
    quiet = replace(replayed.alerts, channels=(night,))
    report = deliver_pending(storage_engine.get_engine(), quiet, now=datetime(2026, 12, 1, 4, tzinfo=UTC))
    assert (report.sent, report.failed, report.quiet) == (0, 0, ["night"])
    with connect() as connection:
        pending = connection.execute("SELECT count(*) FROM alert_outbox WHERE channel = 'night'"
                                     " AND sent_at IS NULL AND attempts = 0").fetchone()[0]
    assert pending == len(queued("night"))  # untouched: nothing tried, nothing lost

    with WebhookReceiver() as webhook:  # at 23:59 in Singapore the quiet hours have ended: the alerts go
        loud = replace(quiet, channels=(replace(night, url=webhook.url),))
        report = deliver_pending(storage_engine.get_engine(), loud, now=datetime(2026, 12, 1, 15, 59, 30, tzinfo=UTC))
        assert (report.sent, report.failed, report.quiet) == (len(queued("night")), 0, [])
        assert len(webhook.received) == len(queued("night"))

