"""A run given a replay site is a trial whoever calls it: the demo's settings, the demo's registry or none. No
database here (tests/integration/test_trials.py runs the trials)."""

from __future__ import annotations

import inspect
from pathlib import Path

from newsmon import ingest, settings
from newsmon.alerts.settings import PREFECT_EVENT
from newsmon.sources import load_registry

REPLAY = "http://127.0.0.1:8765"


def production(home: Path) -> settings.Settings:
    return settings.Settings.from_environ(
        {"NEWSMON_HOME": str(home), "DATABASE_URL": "postgresql://team@db.example/news",
         "NEWSMON_RSSHUB_BASE": "https://rsshub.example"}
    )


def test_every_run_entry_point_that_takes_a_replay_base_is_guarded():
    guard = settings.trial_when_replayed(lambda replay_base: None).__code__
    entry_points = {
        name: function for name, function in vars(ingest).items()
        if inspect.isfunction(function) and not name.startswith("_") and function.__module__ == ingest.__name__
        and "replay_base" in inspect.signature(function).parameters
    }
    del entry_points["make_fetcher"]  # given its registry: it resolves no settings
    assert {"collect_items", "store_items", "ingest_outlet", "ingest_all"} <= set(entry_points)
    assert [name for name, function in entry_points.items() if function.__code__ is not guard] == []


def test_a_replayed_run_gets_the_demo_settings_and_a_live_one_its_own(tmp_path):
    live = production(tmp_path)
    with settings.use(live):
        with settings.for_run(REPLAY) as trial:
            assert settings.current() is trial
            assert trial.trial and trial.home == tmp_path / "demo" and trial.pgdata == tmp_path / "demo" / "pgdata"
            assert trial.database_url is None and trial.sources_path == tmp_path / "demo" / "sources.toml"
            assert trial.rsshub_base is None  # the replay site serves the packaged feeds' paths
            with settings.for_run(REPLAY) as nested:
                assert nested is trial  # a demo of a demo is the same demo
        with settings.for_run(None) as same:
            assert same is live
    assert live.demo().demo() == live.demo()


def test_a_guarded_step_sees_the_demo_settings_only_while_it_runs(tmp_path):
    seen = []

    @settings.trial_when_replayed
    def step(outlet: str, replay_base: str | None = None) -> None:
        seen.append(settings.current())

    with settings.use(production(tmp_path)) as live:
        step("bbc", REPLAY)
        step("bbc", replay_base=None)
        step("bbc")
        assert settings.current() is live
    assert [s.trial for s in seen] == [True, False, False]
    assert seen[0].home == tmp_path / "demo"


def test_a_trial_without_the_demos_registry_alerts_no_one(tmp_path):
    (tmp_path / "sources.toml").write_text(
        settings.PACKAGED_SOURCES.read_text(encoding="utf-8").replace(
            "channels = [", 'channels = [\n  { name = "team", url = "json://127.0.0.1:9/team" },', 1),
        encoding="utf-8",
    )
    live = production(tmp_path)
    with settings.use(live):
        assert [c.name for c in load_registry().alerts.channels] == ["team", PREFECT_EVENT]
    with settings.use(live.demo()):
        registry = load_registry()
        assert registry.path == settings.PACKAGED_SOURCES and registry.alerts.channels == ()
        assert registry.sources["zaobao"].feeds[0].startswith("https://rsshub.app/")  # not the production RSSHub
        demo_registry = live.demo().sources_path
        demo_registry.parent.mkdir(parents=True)
        demo_registry.write_text('[alerts]\nchannels = [{ name = "demo-webhook", url = "json://127.0.0.1:9/demo" }]\n'
                                 "prefect_events = false\n", encoding="utf-8")
        assert [c.name for c in load_registry().alerts.channels] == ["demo-webhook"]


def test_a_trial_s_prefect_events_have_a_name_of_their_own(tmp_path):
    from newsmon.flows.ingest import un_related_event

    with settings.use(production(tmp_path)):
        assert un_related_event() == "newsmon.article.un-related"
        with settings.for_run(REPLAY):
            assert un_related_event() == "newsmon.trial.article.un-related"  # production's Automations never see it
