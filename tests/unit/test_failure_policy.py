"""The failure policy: back-off intervals, when an item is given up, and the [failures] section that sets them."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsmon.failure_policy import FailurePolicy, failure_policy
from newsmon.sources import load_registry

FIRST = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_the_interval_doubles_from_the_first_up_to_the_cap():
    policy = FailurePolicy(retry_minutes=15, retry_max_hours=6)
    minutes = [policy.backoff(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [15, 30, 60, 120, 240, 360, 360, 360, 360]
    assert policy.backoff(10_000) == timedelta(hours=6)  # a feed failing for months does not overflow
    assert FailurePolicy(retry_minutes=0).backoff(5) == timedelta(0)  # every run tries again


def test_an_item_is_given_up_after_max_attempts_or_its_age_whichever_first():
    policy = FailurePolicy(max_attempts=3, give_up_after_hours=48)
    assert not policy.gives_up(2, FIRST, FIRST + timedelta(hours=1))
    assert policy.gives_up(3, FIRST, FIRST + timedelta(hours=1))
    assert not policy.gives_up(1, FIRST, FIRST + timedelta(hours=47, minutes=59))
    assert policy.gives_up(1, FIRST, FIRST + timedelta(hours=48))


def test_the_failures_section_sets_the_policy_and_defaults_the_rest(tmp_path):
    path = Path(tmp_path, "sources.toml")
    assert failure_policy({}, path) == FailurePolicy()
    policy = failure_policy({"failures": {"max_attempts": 5, "retry_minutes": 10}}, path)
    assert policy == FailurePolicy(max_attempts=5, retry_minutes=10.0)
    path.write_text('[failures]\nmax_attempts = 4\ngive_up_after_hours = 12\nretry_max_hours = 2\n', encoding="utf-8")
    assert load_registry(path).failures == FailurePolicy(max_attempts=4, give_up_after_hours=12, retry_max_hours=2)


@pytest.mark.parametrize(("section", "message"), [
    ({"max_attemps": 5}, "unknown setting(s) max_attemps; known: max_attempts, give_up_after_hours"),
    ({"max_attempts": 2.5}, "failures.max_attempts must be a whole number, not 2.5"),
    ({"retry_minutes": "15"}, "failures.retry_minutes must be a number, not '15'"),
    ({"retry_minutes": True}, "failures.retry_minutes must be a number, not True"),
    ({"max_attempts": 0}, "failures.max_attempts must be at least 1, not 0"),
    ({"give_up_after_hours": -1}, "failures.give_up_after_hours must not be negative"),
])
def test_a_bad_failures_section_is_refused_naming_the_file_and_the_setting(section, message):
    with pytest.raises(ValueError, match=r"^/etc/newsmon/sources\.toml: ") as refused:
        failure_policy({"failures": section}, Path("/etc/newsmon/sources.toml"))
    assert message in str(refused.value)
