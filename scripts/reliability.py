"""Run the fault suite (tests/faults) and write docs/reliability.md from what it reports: each fault, what newsmon
does about it, the test that proves it and whether it passed; totals of faults survived, bad inputs tried, articles
lost and duplicate alerts. `make reliability` runs this; pytest arguments after `--` are passed on (e.g. `-x`)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "reliability.md"
SECTIONS = {  # test file -> heading, in the order the report shows them
    "test_reach.py": "Reach: SSRF through links, redirects and ports",
    "test_deadlines.py": "Deadlines: slow and silent servers",
    "test_http_faults.py": "HTTP faults",
    "test_feed_faults.py": "Hostile and odd feeds",
    "test_page_faults.py": "Hostile and odd pages",
    "test_bad_bytes.py": "Bad bytes",
    "test_crashes.py": "Crashes (SIGKILL) and concurrent runs",
    "test_alert_crash.py": "Alert delivery under crashes",
    "test_alert_escaping.py": "Markup in titles and evidence, per channel",
    "test_imports.py": "Archive imports",
}


def run_suite(pytest_args: list[str]) -> tuple[list[dict], int]:
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "faults.json"
        command = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider",
                   f"--reliability-json={results}", *pytest_args]
        status = subprocess.run(command, cwd=ROOT).returncode
        return (json.loads(results.read_text(encoding="utf-8")) if results.exists() else []), status


def render(outcomes: list[dict]) -> str:
    faults: dict[str, list[dict]] = defaultdict(list)
    for outcome in outcomes:
        faults[outcome["fault"]].append(outcome)
    survived = sum(all(o["outcome"] == "passed" for o in tests) for tests in faults.values())
    lost = sum(o["articles_lost"] for o in outcomes)
    duplicates = sum(o["duplicate_alerts"] for o in outcomes)
    recognisable = sum(o["recognisable_duplicates"] for o in outcomes)
    failing = [o for o in outcomes if o["outcome"] != "passed"]
    lines = [
        "# Reliability: what newsmon does when the world is hostile",
        "",
        "Made by `make reliability` (scripts/reliability.py), which runs the fault-injection suite in `tests/faults/`"
        " against local hostile servers on 127.0.0.1, real PostgreSQL and real ingestion, and writes this page from"
        " the faults each test declares (`@pytest.mark.fault`) and what it measured. Do not edit by hand.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "## Totals",
        "",
        f"- Faults survived: **{survived} of {len(faults)}** ({len(outcomes)} tests, {len(failing)} failing)",
        f"- Bad inputs tried: **{sum(o['bad_inputs'] for o in outcomes)}**",
        f"- Articles lost: **{lost}**",
        f"- Duplicate alerts: **{duplicates}**, of which recognisable by their idempotency key: {recognisable}"
        " (a duplicate is possible only when newsmon is killed while a channel is answering)",
        "",
    ]
    if failing:
        lines += ["## Failing", ""] + [f"- `{o['test']}`: {o['fault']} ({o['outcome']})" for o in failing] + [""]
    order = {name: i for i, name in enumerate(SECTIONS)}
    by_file: dict[str, list[dict]] = defaultdict(list)
    for outcome in outcomes:
        by_file[outcome["file"]].append(outcome)
    for file in sorted(by_file, key=lambda f: (order.get(f, len(order)), f)):
        lines += [f"## {SECTIONS.get(file, file)}", "", "| fault | what newsmon does | test | result |",
                  "|---|---|---|---|"]
        for o in by_file[file]:
            test = o["test"].split("::", 1)[1]
            notes = "; ".join(o["notes"])
            cost = ", ".join(f"{n} {what}" for n, what in [(o["articles_lost"], "lost"),
                                                           (o["duplicate_alerts"], "duplicate alerts")] if n)
            result = o["outcome"] + (f" ({cost})" if cost else "") + (f"; {notes}" if notes else "")
            lines.append(f"| {_cell(o['fault'])} | {_cell(o['behaviour'])} | `{test}` | {_cell(result)} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = parser.parse_args()
    outcomes, status = run_suite(args.pytest_args)
    if not outcomes:
        print("the fault suite reported nothing: docs/reliability.md left as it was", file=sys.stderr)
        return status or 1
    REPORT.write_text(render(outcomes), encoding="utf-8")
    print(f"wrote {REPORT.relative_to(ROOT)}: {len(outcomes)} fault tests")
    return status


if __name__ == "__main__":
    sys.exit(main())
