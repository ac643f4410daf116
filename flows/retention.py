"""Prefect's own history past its age, through Prefect's API: finished flow runs (completed, failed, cancelled,
crashed) that were due before the cutoff, with their artifacts; their task runs go with them, and the server deletes
a deleted run's logs. [retention] flow_runs_days of the registry (newsmon.retention) says how old. Runs of the
maintenance flow (flows/maintenance.py) and `newsmon maintenance --dry-run`.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import TERMINAL_STATES
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound

from newsmon.maintenance import StepReport
from newsmon.sources import load_registry

BATCH = 200


def prune_flow_runs(dry_run: bool = False, days: int | None = None) -> StepReport:
    """Delete (a dry run counts) the finished flow runs due more than `days` ago (default: the registry's
    flow_runs_days; 0 keeps them), with their artifacts. A run still going or scheduled is never touched."""
    days = load_registry().retention.flow_runs_days if days is None else days
    report = StepReport("prune-flow-runs")
    if not days:
        report.lines.append("kept (flow_runs_days = 0)")
        return report
    old = FlowRunFilter(
        # an aware datetime validates as Prefect's own DateTime subclass, which its annotation names
        expected_start_time=FlowRunFilterExpectedStartTime(
            before_=datetime.now(UTC) - timedelta(days=days)  # type: ignore[arg-type]
        ),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=sorted(TERMINAL_STATES))),
    )
    with get_client(sync_client=True) as client:
        if dry_run:
            report.count = client.count_flow_runs(flow_run_filter=old)
        else:
            while runs := client.read_flow_runs(flow_run_filter=old, sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                                                limit=BATCH):
                ids = [run.id for run in runs]
                of_these_runs = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
                while artifacts := client.read_artifacts(artifact_filter=of_these_runs, limit=BATCH):
                    for artifact in artifacts:
                        with suppress(ObjectNotFound):  # a prune running beside this one got it first
                            client.delete_artifact(artifact.id)
                for run_id in ids:
                    with suppress(ObjectNotFound):
                        client.delete_flow_run(run_id)
                report.count += len(ids)
    report.lines.append(f"{report.count:,} finished flow runs due more than {days} days ago "
                        + ("to delete" if dry_run else "deleted, with their task runs, logs and artifacts"))
    return report
