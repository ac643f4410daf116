"""The nightly maintenance flow (prefect.yaml: maintenance-nightly): newsmon.maintenance's steps as tasks, then
Prefect's old flow runs pruned (flows/retention.py). Orchestration only: `newsmon maintenance --dry-run` runs the
same steps without Prefect's tracking and changes nothing."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from newsmon import maintenance as steps
from newsmon.flows.retention import prune_flow_runs


class MaintenanceFailed(Exception):
    """A Failed state's data must be an exception on every Prefect the pins allow: this one carries the report."""

    def __init__(self, report: steps.MaintenanceReport):
        super().__init__(report.message())
        self.report = report


TASKS = [
    task(name=step.__name__.replace("_", "-"), cache_policy=NO_CACHE)(step) for step in (*steps.STEPS, prune_flow_runs)
]


@flow(name="maintenance")
def maintenance(dry_run: bool = False) -> State:
    """Rescore when the UN lexicon changed, re-parse what a newer parser cuts differently, refresh feed health,
    prune by retention (newsmon's tables, then Prefect's flow runs); a dry run says what it would do. Failed when a
    step crashed; the other steps run anyway."""
    report = steps.maintain(dry_run, TASKS)
    logger = get_run_logger()
    for line in report.lines():
        logger.info(line)
    create_table_artifact(key="maintenance-summary", table=report.table(),
                          description="Per step: what it did (count and lines), and its errors.")
    if report.failed:
        return Failed(message=report.message(), data=MaintenanceFailed(report))
    return Completed(message=report.message(), data=report)
