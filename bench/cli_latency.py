"""How long `newsmon status` and `newsmon search` take with the database up: each command run N times (default
10) as a user runs it, a new process each time, wall clock from start to exit; prints the median, min and max.

Runs against the settings in the environment (NEWSMON_HOME, DATABASE_URL). One `newsmon status` first attaches to
the database (starting the embedded server if it is down, which then stays up for NEWSMON_DB_IDLE_MINUTES), so the
figures are those of a database that is up.

    python bench/cli_latency.py                      # the default home
    NEWSMON_HOME=/data/newsmon python bench/cli_latency.py --query 安理会 --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path


def newsmon_command() -> list[str]:
    """The `newsmon` script beside this Python (what a user types), else the module."""
    script = Path(sys.executable).with_name("newsmon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsmon.cli"]


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--query", default="联合国", help="what newsmon search looks for (default 联合国)")
    args = parser.parse_args()
    newsmon = newsmon_command()
    first = timed([*newsmon, "status"])
    print(f"first newsmon status (attaches, or starts the database): {first:.2f} s")
    print(f"{'command':24} {'median':>7} {'min':>7} {'max':>7}  ({args.runs} runs, database up)")
    for label, command in (("newsmon status", ["status"]), (f"newsmon search {args.query}", ["search", args.query])):
        seconds = [timed([*newsmon, *command]) for _ in range(args.runs)]
        print(f"{label:{max(24, len(label))}} {statistics.median(seconds):7.3f} {min(seconds):7.3f} "
              f"{max(seconds):7.3f}")
    if Path("/proc/loadavg").exists():  # the machine's other work weighs on every figure
        print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
