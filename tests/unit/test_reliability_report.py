"""docs/reliability.md is made by `make reliability` from the fault suite: every fault test is in it, and what it
says of each fault is what the test declares now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_report_names_every_fault_test():
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/faults", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    tests = {line.split("::", 1)[1].split("[", 1)[0] for line in collected.splitlines() if "::" in line}
    report = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = sorted(test for test in tests if f"`{test}" not in report)
    assert len(tests) > 40 and missing == [], f"run `make reliability` to add {missing}"
