"""An ingestion run that kills itself with SIGKILL at a chosen point: the crash tests' subject, run as
`python -m tests.faults.crash_runner REGISTRY REPLAY_BASE POINT [N]` with the test database in the environment.

Points (the names newsmon.ingest calls them by, wrapped to die on their Nth call, before it does its work):
  store_article       mid-batch: the Nth article is about to be stored, N-1 are
  advance_validators  every item stored, the feed's validators not yet moved
  deliver_pending     the alerts written to the outbox, none sent
  none                no kill: the run the test kills from outside (during a fetch)
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from newsmon import ingest, settings


def die_on_call(name: str, nth: int) -> None:
    original = getattr(ingest, name)
    calls = 0

    def wrapped(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(ingest, name, wrapped)


def main(registry: str, replay_base: str, point: str, nth: str = "1") -> None:
    if point != "none":
        die_on_call(point, int(nth))
    with settings.use(replace(settings.Settings.from_environ(), sources_path=Path(registry), trial=True)):
        print(ingest.ingest_all(None, replay_base).message(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
