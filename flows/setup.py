"""Prefect's side of `newsmon up` and `newsmon ps` (newsmon/services.py runs the processes): the work pool, the
operator Automations, and what is deployed and who works, read back from the API at the api_url given.

Operator alerts are two Automations on the scheduled ingestion deployment (the trial deployment `ingest-replay`
runs the same flow, and its failures are nobody's emergency): a run of it ended Failed or Crashed; no run of it
Completed for 45 minutes. Both notify the operator's Apprise URL through a notification block. Prefect ships no
generic Apprise block: its Slack Webhook block hands every URL that is not a Slack webhook to Apprise as it is, so it
carries any Apprise URL (json://, mailto://, tgram://, ...)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # PyYAML comes with Prefect, its stubs do not
from prefect.automations import AutomationCore
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.workers.process import ProcessWorker
from pydantic import SecretStr

POOL = "newsmon-pool"
INGEST_DEPLOYMENT = "ingest-every-15-min"  # prefect.yaml's scheduled ingestion (a test keeps them equal)
OPERATOR_BLOCK = "newsmon-operator"
AUTOMATION_PREFIX = "newsmon: "  # the Automations this module owns: created, updated, deleted by name
QUIET_LIMIT = timedelta(minutes=45)


@contextmanager
def client(api_url: str) -> Iterator[SyncPrefectClient]:
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as prefect:
        yield prefect


def ensure_work_pool(api_url: str, name: str = POOL) -> bool:
    """A process work pool with the process worker's default job template (as `prefect work-pool create --type
    process` makes it); returns whether it was created."""
    with client(api_url) as prefect:
        try:
            prefect.read_work_pool(name)
            return False
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            prefect.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))
            return True


def deployment_names(prefect_yaml: Path) -> list[str]:
    """The deployments a prefect.yaml declares, by name."""
    declared = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8")) or {}
    return [deployment["name"] for deployment in declared.get("deployments") or []]


def deployed(api_url: str) -> list[str]:
    """The deployments the server has, as flow/deployment."""
    with client(api_url) as prefect:
        flows = {flow.id: flow.name for flow in prefect.read_flows()}
        return sorted(f"{flows.get(d.flow_id, '?')}/{d.name}" for d in prefect.read_deployments())


@dataclass(frozen=True)
class WorkerState:
    name: str
    status: str  # ONLINE, OFFLINE
    last_heartbeat: str


def workers(api_url: str, pool: str = POOL) -> list[WorkerState]:
    with client(api_url) as prefect:
        return [
            WorkerState(worker.name, str(getattr(worker.status, "value", worker.status)),
                        worker.last_heartbeat_time.isoformat(timespec="seconds") if worker.last_heartbeat_time else "")
            for worker in prefect.read_workers_for_work_pool(pool)
        ]


def operator_automations(block_id, quiet_limit: timedelta = QUIET_LIMIT) -> list[AutomationCore]:
    """The two operator Automations, notifying through the block block_id."""
    deployment = ResourceSpecification.model_validate(
        {"prefect.resource.role": "deployment", "prefect.resource.name": INGEST_DEPLOYMENT}
    )
    quiet = _duration(quiet_limit)
    return [
        AutomationCore(
            name=f"{AUTOMATION_PREFIX}ingestion run failed",
            description=f"A run of {INGEST_DEPLOYMENT} ended Failed or Crashed: tell the operator.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Failed", "prefect.flow-run.Crashed"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=deployment,
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[SendNotification(
                block_document_id=block_id,
                subject="newsmon: ingestion run {{ flow_run.name }} {{ flow_run.state.name }}",
                body=(
                    "The ingestion run {{ flow_run.name }} ({{ deployment.name }}) ended {{ flow_run.state.name }}"
                    " at {{ flow_run.state.timestamp }}: {{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
                ),
            )],
        ),
        AutomationCore(
            name=f"{AUTOMATION_PREFIX}no successful ingestion for {quiet}",
            description=f"No run of {INGEST_DEPLOYMENT} Completed for {quiet}: tell the operator.",
            trigger=EventTrigger(
                expect={"prefect.flow-run.Completed"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                match_related=deployment,
                posture=Posture.Proactive,
                threshold=1,
                within=quiet_limit,
            ),
            actions=[SendNotification(
                block_document_id=block_id,
                subject=f"newsmon: no successful ingestion for {quiet}",
                body=(
                    f"No run of {INGEST_DEPLOYMENT} has Completed in the last {quiet}: are the worker and the"
                    " schedule running, do the feeds answer? (newsmon ps, newsmon status)"
                ),
            )],
        ),
    ]


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"


def sync_operator_alerts(api_url: str, operator_url: str | None, quiet_limit: timedelta = QUIET_LIMIT) -> list[str]:
    """Make the server's operator Automations what the operator URL asks for: created or updated in place, never
    duplicated; with no URL, none (they are deleted, and the block with them). Returns the Automations' names."""
    with client(api_url) as prefect:
        existing = {automation.name: automation for automation in prefect.read_automations()
                    if automation.name.startswith(AUTOMATION_PREFIX)}
        wanted: list[AutomationCore] = []
        if operator_url:
            block = SlackWebhook(url=SecretStr(operator_url), notify_type="failure")
            block_id = block.save(OPERATOR_BLOCK, overwrite=True)
            wanted = operator_automations(block_id, quiet_limit)
        for automation in wanted:
            if (found := existing.pop(automation.name, None)) is not None:
                prefect.update_automation(found.id, automation)
            else:
                prefect.create_automation(automation)
        for stale in existing.values():
            prefect.delete_automation(stale.id)
        if not operator_url:
            with suppress(ObjectNotFound):
                prefect.delete_block_document(prefect.read_block_document_by_name(OPERATOR_BLOCK, "slack-webhook").id)
        return [automation.name for automation in wanted]
