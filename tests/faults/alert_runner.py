"""Alert delivery in a process of its own, for the crash tests to kill: `python -m tests.faults.alert_runner URL POINT`
sends what is pending on one text channel to the Apprise URL, with the test database in the environment.

Points:
  before-send  the first alert's attempt committed, the channel not called: the runner prints `sending KEY` and
               waits there for its SIGKILL
  none         a delivery that waits for nothing of its own (the test kills it while the receiver holds its answer)
"""

from __future__ import annotations

import sys

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.message import AlertFacts
from newsmon.alerts.settings import AlertSettings, Channel
from newsmon.storage.engine import get_engine

CHANNEL = "hook"


def settings_for(url: str) -> AlertSettings:
    return AlertSettings(threshold="mention", time_zone="Asia/Singapore", channels=(Channel(CHANNEL, url, "text"),))


def wait_to_be_killed(channel: Channel, title: str, body: str, facts: list[AlertFacts], alert_ids: list[int]) -> None:
    print(f"sending {facts[0].key}", flush=True)
    sys.stdin.readline()  # the test kills this process before it writes anything
    raise SystemExit("the test did not kill the runner")


def main(url: str, point: str) -> None:
    senders = {"apprise": wait_to_be_killed} if point == "before-send" else None
    print(deliver_pending(get_engine(), settings_for(url), senders=senders).line(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
