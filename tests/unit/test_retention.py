"""The [retention] section of the registry: what the nightly maintenance prunes, and how old (newsmon.retention).
tests/integration/test_maintenance.py prunes by it on a real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon import settings
from newsmon.retention import Retention, retention
from newsmon.sources import load_registry


def test_retention_defaults_keep_raw_inputs_and_articles():
    ages = retention({}, Path("sources.toml"))
    assert ages == Retention()
    assert (ages.raw_inputs_days, ages.articles_days) == (0, 0)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    cutoffs = ages.cutoffs(now)
    assert set(cutoffs) == {"fetch_log", "flow_runs", "revisions"}
    assert now - cutoffs["fetch_log"] == timedelta(days=ages.fetch_log_days)


def test_the_packaged_registry_states_the_defaults():
    assert load_registry(settings.PACKAGED_SOURCES).retention == Retention()


@pytest.mark.parametrize(("section", "message"), [
    ({"fetch_logs_days": 3}, "unknown setting(s) fetch_logs_days"),
    ({"revisions_days": -1}, "retention.revisions_days must be a whole number of days"),
    ({"flow_runs_days": 1.5}, "retention.flow_runs_days must be a whole number"),
    ({"articles_days": True}, "retention.articles_days must be a whole number"),
])
def test_retention_errors_name_the_file_and_the_setting(section, message):
    with pytest.raises(ValueError, match=r"^my/sources\.toml: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        retention({"retention": section}, Path("my/sources.toml"))


def test_a_registry_file_sets_its_own_ages(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text("[retention]\nfetch_log_days = 7\narticles_days = 3650\n", encoding="utf-8")
    assert load_registry(path).retention == replace(Retention(), fetch_log_days=7, articles_days=3650)
