"""Alert delivery killed with SIGKILL while sending, then run again, against an undisturbed delivery of the same
articles on another channel: every alert arrives; killed after the attempt is recorded but before the channel is
called, none twice; killed while the receiver is answering, one twice at most, carrying the same key and marked as a
repeat, so a receiver drops it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.alerts.settings import Channel
from newsmon.storage.engine import session
from newsmon.storage.models import Alert
from newsmon.storage.outbox import SENDING
from tests.faults.alert_runner import CHANNEL
from tests.faults.alert_runner import settings_for as runner_settings
from tests.integration.test_alerts import settings_for, store, un_article

pytestmark = pytest.mark.crash
ROOT = Path(__file__).resolve().parents[2]
ARTICLES = 3
FIRST = "newsmon-alert-2"  # each article's alerts are queued undisturbed first: the runner's channel has even ids


def queue(engine: Engine, undisturbed_url: str, runner_url: str) -> None:
    """The same UN articles alerted on two channels: the undisturbed one first, then the runner's."""
    both = settings_for(Channel("undisturbed", undisturbed_url, "text"), *runner_settings(runner_url).channels)
    for n in range(1, ARTICLES + 1):
        store(engine, un_article(n), both)


def deliver_undisturbed(engine: Engine, receiver: WebhookReceiver) -> list[str]:
    assert deliver_pending(engine, settings_for(Channel("undisturbed", receiver.url, "text"))).sent == ARTICLES
    return [message["json"]["message"] for message in receiver.received]


def start_runner(url: str, point: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.faults.alert_runner", url, point], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def killed(runner: subprocess.Popen) -> str:
    runner.kill()
    output = runner.communicate(timeout=60)[0]
    assert runner.returncode == -9, output
    return output


def without_key(message: str) -> str:
    return message.rsplit("\n", 1)[0]


def measure(received: list[dict], undisturbed: list[str], tally) -> tuple[int, int]:
    """(duplicates, recognisable duplicates) among what the runner's channel received, after checking that every
    alert arrived with the undisturbed message's text."""
    keys = [message["json"]["alert_key"] for message in received]
    seen: set[str] = set()
    recognisable = 0
    for message, key in zip(received, keys, strict=True):
        if key in seen and key in message["json"].get("repeat", "").split() and f"repeat of {key}" in (
            message["json"]["message"]
        ):
            recognisable += 1
        seen.add(key)
    duplicates = len(keys) - len(seen)
    tally(duplicate_alerts=duplicates, recognisable=recognisable,
          note=f"{len(received)} messages for {len(seen)} alerts; keys {dict(Counter(keys))}")
    first_of_each: dict[str, str] = {}
    for key, message in zip(keys, received, strict=True):
        first_of_each.setdefault(key, message["json"]["message"])
    assert sorted(map(without_key, first_of_each.values())) == sorted(map(without_key, undisturbed))
    return duplicates, recognisable


def assert_all_sent(engine: Engine) -> None:
    with session(engine) as s:
        alerts = s.exec(select(Alert).where(Alert.channel == CHANNEL)).all()
    assert len(alerts) == ARTICLES
    assert all(a.sent_at is not None and a.sending_since is None and a.last_error is None for a in alerts)


@pytest.mark.fault("SIGKILL after delivery recorded an alert's attempt, before the channel was called",
                   "the next delivery sends it (marked a possible repeat, as it cannot know); no alert twice")
def test_killed_after_the_attempt_is_recorded_before_sending(db, tally):
    with WebhookReceiver() as undisturbed, WebhookReceiver() as receiver:
        queue(db, undisturbed.url, receiver.url)
        expected = deliver_undisturbed(db, undisturbed)
        runner = start_runner(receiver.url, "before-send")
        assert runner.stdout.readline().strip() == f"sending {FIRST}"
        with session(db) as s:  # the attempt is on record before the channel is called
            attempted = s.get(Alert, 2)
            assert attempted.attempts == 1 and attempted.sending_since is not None and attempted.sent_at is None
            assert attempted.last_error == SENDING  # as `newsmon alerts list --status failed` shows it
        killed(runner)
        assert receiver.received == []
        assert deliver_pending(db, runner_settings(receiver.url)).sent == ARTICLES
    assert measure(receiver.received, expected, tally) == (0, 0)
    assert f"repeat of {FIRST}" in receiver.received[0]["json"]["message"]  # it cannot know that it never left
    assert_all_sent(db)


@pytest.mark.fault("SIGKILL while the receiver is answering (it got the message; the sender dies before marking it "
                   "sent)", "the next delivery sends it once more with the same key, marked as a repeat; the rest once")
def test_killed_while_the_receiver_is_answering(db, tally):
    with WebhookReceiver() as undisturbed, WebhookReceiver() as receiver:
        queue(db, undisturbed.url, receiver.url)
        expected = deliver_undisturbed(db, undisturbed)
        receiver.answering.clear()
        runner = start_runner(receiver.url, "none")
        receiver_has(receiver, 1, runner)  # the first alert is in, its answer held
        killed(runner)
        receiver.answering.set()
        assert deliver_pending(db, runner_settings(receiver.url)).sent == ARTICLES
    assert measure(receiver.received, expected, tally) == (1, 1)
    assert [m["json"]["alert_key"] for m in receiver.received] == [FIRST, FIRST, "newsmon-alert-4", "newsmon-alert-6"]
    assert "repeat" not in receiver.received[0]["json"] and receiver.received[1]["json"]["repeat"] == FIRST
    assert_all_sent(db)


def receiver_has(receiver: WebhookReceiver, count: int, runner: subprocess.Popen) -> None:
    """Wait until the receiver holds `count` messages (the runner then waits for the held answer)."""
    deadline = time.monotonic() + 120  # a bound on a hung runner, not a measure of anything
    while len(receiver.received) < count:
        assert runner.poll() is None and time.monotonic() < deadline, "the runner never sent"
        time.sleep(0.01)
