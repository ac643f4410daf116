"""The maintenance flow and Prefect's retention for real (test harness server): old finished flow runs go with their
logs and artifacts, running or recent ones stay; the flow runs every step and publishes its summary; `newsmon
maintenance` and `--dry-run`."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.prefect


def test_old_finished_flow_runs_go_with_their_logs_and_artifacts(prefect_harness):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate, LogCreate
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Completed, Failed, Scheduled

    from newsmon.flows.retention import prune_flow_runs

    @flow(name="newsmon-test-history")
    def history():
        pass

    now = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        def run_due(days_ago: int, final=None):
            run = client.create_flow_run(history, state=Scheduled(scheduled_time=now - timedelta(days=days_ago)))
            if final is not None:
                client.set_flow_run_state(run.id, final, force=True)
            return run.id

        old_completed, old_failed = run_due(40, Completed()), run_due(45, Failed())
        old_but_scheduled, recent = run_due(40), run_due(5, Completed())
        client.create_logs([LogCreate(name="newsmon", level=20, message="old news", timestamp=now - timedelta(days=40),
                                      flow_run_id=old_completed)])
        client.create_artifact(ArtifactCreate(key="ingest-summary", type="table", data="[]", flow_run_id=old_completed))
        client.create_artifact(ArtifactCreate(key="ingest-summary", type="table", data="[]", flow_run_id=recent))

        assert prune_flow_runs(dry_run=True, days=30).count == 2
        assert client.read_flow_run(old_completed)  # still there after the dry run
        pruned = prune_flow_runs(days=30)
        assert pruned.count == 2
        assert pruned.lines == ["2 finished flow runs due more than 30 days ago deleted, with their task runs, logs "
                                "and artifacts"]
        for gone in (old_completed, old_failed):
            with pytest.raises(ObjectNotFound):
                client.read_flow_run(gone)
        assert client.read_flow_run(old_but_scheduled).state.is_scheduled()
        assert client.read_flow_run(recent).state.is_completed()

        def artifacts_of(run_id):
            return client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(
                any_=[run_id])))

        assert artifacts_of(old_completed) == [] and len(artifacts_of(recent)) == 1
        of_old_run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[old_completed]))
        deadline = time.monotonic() + 60  # the server deletes a deleted run's logs in the background
        while client.read_logs(log_filter=of_old_run) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.read_logs(log_filter=of_old_run) == []
        assert prune_flow_runs(days=0).lines == ["kept (flow_runs_days = 0)"]


def test_the_maintenance_flow_and_its_dry_run_from_the_cli(prefect_harness, db, capsys):
    from prefect.client.orchestration import get_client

    from newsmon.cli import main

    assert main(["maintenance", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert ("dry run: rescore 0, reparse 0, assign-stories 0, assign-events 0, refresh-feed-health 0, prune 0,"
            " prune-flow-runs 0") in out
    assert "prune: fetch_log: 0 rows older than 90 days to delete" in out
    with db.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM feeds").scalar_one() == 0  # a dry run adds nothing

    assert main(["maintenance"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "rescore 0, reparse 0, assign-stories 0, assign-events 0, refresh-feed-health 0, prune 0, prune-flow-runs 0")
    with db.connect() as connection:  # the registry's feeds, given their rows by the health refresh
        assert connection.exec_driver_sql("SELECT count(*) FROM feeds").scalar_one() == 5
    with get_client(sync_client=True) as client:
        summaries = [a for a in client.read_latest_artifacts() if a.key == "maintenance-summary"]
    assert summaries and [row["step"] for row in json.loads(summaries[0].data)] == [
        "rescore", "reparse", "assign-stories", "assign-events", "refresh-feed-health", "prune", "prune-flow-runs"]
