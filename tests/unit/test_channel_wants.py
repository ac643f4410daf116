"""A channel's rules as the registry gives them: what it wants, its quiet hours, and clear errors for rules that
cannot work."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newsmon.alerts.preview import preview
from newsmon.alerts.settings import AlertSettings, Channel, alert_settings, channel_rules
from newsmon.sources import load_registry
from newsmon.storage.search import ScoredArticle, StoryArticle

SINGAPORE = ZoneInfo("Asia/Singapore")


def channel(**rules) -> Channel:
    return Channel("team", "json://127.0.0.1:9/", **rules)


def test_a_channel_wants_its_level_outlets_and_bodies():
    council = channel(level="core", bodies=["Security Council", "WHO"])
    assert council.wants("core", "bbc", ["WHO"], threshold="mention")
    assert not council.wants("mention", "bbc", ["Security Council"], threshold="mention")
    assert not council.wants("core", "bbc", ["UNHCR"], threshold="mention")
    zaobao = channel(outlets=["zaobao"])
    assert zaobao.wants("mention", "zaobao", [], threshold="mention")
    assert not zaobao.wants("core", "voa", ["Security Council"], threshold="mention")
    assert not zaobao.wants("mention", "zaobao", [], threshold="core")  # no level of its own: the [alerts] threshold
    assert not channel().wants("none", "bbc", [], threshold="mention")
    assert channel_rules(council, "mention") == "core only, of every outlet, naming Security Council or WHO"


def test_quiet_hours_are_in_the_channel_zone_and_may_pass_midnight():
    night = channel(quiet_hours="22:00-07:00")
    at = lambda hour, minute=0: datetime(2026, 12, 1, hour, minute, tzinfo=UTC)  # noqa: E731 (Singapore: +8)
    assert night.quiet_at(at(14), SINGAPORE) and night.quiet_at(at(22, 59), SINGAPORE)  # 22:00 and 06:59 there
    assert not night.quiet_at(at(23), SINGAPORE) and not night.quiet_at(at(13, 59), SINGAPORE)  # 07:00, 21:59
    lunch = channel(quiet_hours="12:00-13:00")
    assert lunch.quiet_at(at(4, 30), SINGAPORE) and not lunch.quiet_at(at(5), SINGAPORE)
    assert not channel().quiet_at(at(14), SINGAPORE)


@pytest.mark.parametrize("rules, error", [
    ({"level": "urgent"}, "level must be mention or core, not 'urgent'"),
    ({"quiet_hours": "22-7"}, 'quiet_hours must be like "22:00-07:00" (two different times), not \'22-7\''),
    ({"quiet_hours": "07:00-07:00"}, "(two different times), not '07:00-07:00'"),
    ({"bodies": ["United Nations"]}, "'United Nations' stands for any UN body; leave bodies out"),
    ({"bodies": ["Security Counsel"]}, "no UN body 'Security Counsel' in the lexicon; its names: United Nations,"),
])
def test_a_rule_that_cannot_work_is_refused_naming_the_channel(rules, error):
    with pytest.raises(ValueError, match="alert channel team: ") as refused:
        alert_settings({"alerts": {"channels": [{"name": "team", "url": "json://127.0.0.1:9/", **rules}]}})
    assert error in str(refused.value)


def test_preview_alerts_a_story_once_and_not_again_when_its_alert_came_before_the_window():
    def scored(id: int, story: int, in_window: bool, level: str = "core") -> ScoredArticle:
        article = StoryArticle(id, "bbc", "BBC", None, datetime(2026, 12, 1, 4, tzinfo=UTC), f"t{id}", f"u{id}", level)
        return ScoredArticle(article, ["Security Council"], story, in_window)

    articles = [
        scored(1, 1, in_window=False),  # story 1 was alerted before the window ...
        scored(2, 2, in_window=False, level="mention"),  # ... story 2 too, but not at a level this channel wants
        scored(3, 1, in_window=True),  # ... so its article in the window is no new alert
        scored(4, 2, in_window=True),
        scored(5, 3, in_window=True),
        scored(6, 2, in_window=True),
        scored(7, 3, in_window=False),  # stored after 5, published before the window: not the window's
    ]
    alerts = preview(channel(level="core"), AlertSettings(), articles)
    assert [(alert.article.id, [other.id for other in alert.also]) for alert in alerts] == [(4, [6]), (5, [])]


def test_a_channel_naming_no_source_of_its_registry_is_refused(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text('[sources.zaobao]\nfeeds = ["https://www.zaobao.com.sg/rss/realtime/china"]\n'
                    '[sources.bbc]\nfeeds = ["https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"]\n'
                    '[alerts]\nchannels = [{ name = "desk", url = "json://127.0.0.1:9/",'
                    ' outlets = ["bbc", "zaobo"] }]\n',
                    encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        load_registry(path)
    assert str(refused.value) == (
        f"{path}: alert channel desk: no source 'zaobo' in this registry; its sources: zaobao, bbc")
    path.write_text(path.read_text(encoding="utf-8").replace('"zaobo"', '"zaobao"'), encoding="utf-8")
    assert load_registry(path).alerts.channels[0].outlets == ("bbc", "zaobao")
