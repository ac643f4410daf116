"""The Prefect UI in a real browser, as a user watches newsmon: `newsmon up` in a fresh home on a free port, a short
interval schedule on the `ingest-replay` deployment whose first run completes by itself, then headless Chromium
(Debian's `chromium`, driven by Playwright) reads the run's page: state Completed, the ingest-summary artifact with
its per-outlet counts, the un-items artifact with the articles the demo's webhook was alerted about. Then
`newsmon down` leaves no process.

Screenshots of the three pages go to $NEWSMON_TEST_SCREENSHOTS when set (the README's are made with
NEWSMON_TEST_SCREENSHOTS=docs/screenshots), else to the test's temporary directory, so a test run does not rewrite
the committed images. Without Chromium the test skips, saying so (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from newsmon.alerts.receiver import WebhookReceiver
from newsmon.cli import _write_demo_registry
from newsmon.replay import load_manifest
from newsmon.settings import PACKAGED_SOURCES
from tests.e2e.test_services import free_port, home_env, newsmon, processes_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium")
# Headless as root in a container: no sandbox, no GPU, /dev/shm may be small; nothing that calls out to Google.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1920, "height": 1000}  # the ingest-summary table's 16 columns fit
UI_TIMEOUT_MS = 60_000  # the UI's first load on a loaded 2-core machine; a check fails at once when it is wrong
RUN_TIMEOUT = 300.0  # seconds from the schedule to the first run's final state
OUTLETS = ["zaobao", "bbc", "voa", "un_news"]  # the order of the registry, which the summary keeps


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH: the browser test needs Debian's chromium "
                    "(apt-get install chromium; .ci/run installs it and says so when it cannot)")
def test_a_scheduled_replay_run_shows_completed_in_the_prefect_ui_with_its_artifacts(tmp_path):
    shots = Path(os.environ.get("NEWSMON_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    home, port = tmp_path / "home", free_port()
    ui = f"http://127.0.0.1:{port}"
    # The scheduler looks for due runs every 5 s instead of 60 s: the schedule's first run comes sooner.
    env = home_env(home, PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    with WebhookReceiver() as team, WebhookReceiver() as demo_hook:
        # production's registry alerts the team; the demo's (as `newsmon demo` writes it) its own webhook
        home.mkdir()
        (home / "sources.toml").write_text(PACKAGED_SOURCES.read_text(encoding="utf-8").replace(
            "channels = [", f'channels = [\n  {{ name = "team", url = "{team.url}" }},', 1), encoding="utf-8")
        _write_demo_registry(home / "demo" / "sources.toml", demo_hook.url)
        try:
            up = newsmon("up", "--port", str(port), env=env, timeout=900)
            assert up.returncode == 0, up.stdout + up.stderr
            run = first_scheduled_run(f"{ui}/api", "ingest-all/ingest-replay", every=timedelta(minutes=1))
            assert run.state_name == "Completed", f"{run.name}: {run.state_name}: {run.state and run.state.message}"
            assert run.auto_scheduled
            artifacts = artifacts_of(f"{ui}/api", run.id)
            alerted = [payload["json"] for payload in demo_hook.received]
            assert alerted, "the replay's UN items alert the demo's webhook"
            assert team.received == []  # a trial never alerts production's channels

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport=VIEWPORT)
                    page.set_default_timeout(UI_TIMEOUT_MS)
                    expect.set_options(timeout=UI_TIMEOUT_MS)
                    check_run_page(page, ui, run, shots)
                    check_ingest_summary(page, ui, artifacts["ingest-summary"], shots)
                    check_un_items(page, ui, artifacts["un-items"], alerted, shots)
                finally:
                    browser.close()
        finally:
            down = newsmon("down", env=env, timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr
        assert processes_of(home) == []


def first_scheduled_run(api: str, deployment_name: str, every: timedelta):
    """Give the deployment an interval schedule, wait for its first run to end, take the schedule away (its other
    runs with it) as soon as that run has started; the first run, final."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.schedules import IntervalSchedule
    from prefect.client.schemas.sorting import FlowRunSort

    from newsmon.flows.setup import client

    with client(api) as prefect:
        deployment = prefect.read_deployment_by_name(deployment_name)
        # anchored a few seconds ahead, so the first run is due as soon as the scheduler has made it
        schedule = IntervalSchedule(interval=every, anchor_date=datetime.now(UTC) + timedelta(seconds=10))
        [created] = prefect.create_deployment_schedules(deployment.id, [(schedule, True)])
        runs_of = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
        deadline = time.monotonic() + RUN_TIMEOUT
        scheduled = True
        while True:
            first = next(iter(prefect.read_flow_runs(deployment_filter=runs_of, limit=1,
                                                     sort=FlowRunSort.EXPECTED_START_TIME_ASC)), None)
            if scheduled and first is not None and first.state_name not in ("Scheduled", "Late"):
                prefect.delete_deployment_schedule(deployment.id, created.id)
                scheduled = False
            if first is not None and first.state is not None and first.state.is_final():
                return first
            assert time.monotonic() < deadline, (
                f"the first scheduled run of {deployment_name} did not end within {RUN_TIMEOUT:.0f} s: "
                + (f"{first.name} is {first.state_name}" if first else "no run was made"))
            time.sleep(2)


def artifacts_of(api: str, run_id) -> dict:
    """The run's artifacts by key, the task runs' included."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from newsmon.flows.setup import client

    with client(api) as prefect:
        found = prefect.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
            any_=[run_id])))
    return {artifact.key: artifact for artifact in found}


def check_run_page(page: Page, ui: str, run, shots: Path) -> None:
    """The run's page: its name, state Completed, its deployment; the Artifacts tab lists both artifacts."""
    page.goto(f"{ui}/runs/flow-run/{run.id}")
    expect(page.get_by_text(run.name, exact=True).first).to_be_visible()
    expect(page.locator(".state-badge").first).to_have_text("Completed")
    expect(page.get_by_role("link", name="ingest-replay")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the run graph (a canvas) is drawn once its data is in
    page.screenshot(path=shots / "flow-run-completed.png")
    page.locator(".p-tab", has_text="Artifacts").click()
    for key in ("ingest-summary", "un-items"):
        expect(page.locator("a[href*='/artifacts/artifact/']", has_text=key)).to_be_visible()


def check_ingest_summary(page: Page, ui: str, artifact, shots: Path) -> None:
    """The ingest-summary table as the UI shows it: a row per outlet and the total, every replayed item new."""
    page.goto(f"{ui}/artifacts/artifact/{artifact.id}")
    expect(page.locator("table tbody tr")).to_have_count(len(OUTLETS) + 1)
    rows = table_rows(page)
    items = {outlet: sum(len(feed["items"]) for feed in entry["feeds"])
             for outlet, entry in load_manifest()["outlets"].items()}
    assert [row["outlet"] for row in rows] == [*OUTLETS, "total"]
    assert {row["outlet"]: int(row["items_seen"]) for row in rows} == items | {"total": sum(items.values())}
    assert all(row["new"] == row["items_seen"] and row["failed"] == "0" for row in rows), rows
    page.screenshot(path=shots / "ingest-summary.png")


def check_un_items(page: Page, ui: str, artifact, alerted: list[dict], shots: Path) -> None:
    """The un-items table as the UI shows it: one row per article the demo's webhook was alerted about."""
    page.goto(f"{ui}/artifacts/artifact/{artifact.id}")
    expect(page.get_by_role("heading", name="New UN-related articles")).to_be_visible()
    rows = table_rows(page)
    assert len(rows) == len(alerted), (rows, alerted)
    messages = [f"{payload.get('title', '')}\n{payload.get('message', '')}" for payload in alerted]
    for row in rows:
        assert row["level"] in ("core", "mention"), row
        assert row["outlet"] and row["id"].isdigit(), row
        assert any(row["article"] in message for message in messages), (row, messages)
    page.screenshot(path=shots / "un-items.png")


def table_rows(page: Page) -> list[dict[str, str]]:
    """The page's first table as rows of header -> cell text."""
    return page.locator("table").first.evaluate(
        """table => {
            const headers = [...table.querySelectorAll('thead th')].map(th => th.innerText.trim());
            return [...table.querySelectorAll('tbody tr')].map(tr => Object.fromEntries(
                [...tr.querySelectorAll('td')].map((td, i) => [headers[i], td.innerText.trim()])));
        }"""
    )
