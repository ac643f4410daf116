"""Prefect flows for ingestion: a flow per source, a parent flow for all sources. Orchestration only: the work,
its composition and its messages are newsmon.ingest, which `newsmon run --no-prefect` runs without Prefect.

Deployed from prefect.yaml (entrypoint newsmon.flows.ingest.ingest_all: ingest-every-15-min, and ingest-replay with
replay=true); run directly with `newsmon run` / `newsmon demo`.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from newsmon import ingest, settings
from newsmon.alerts.deliver import DeliveryReport
from newsmon.alerts.message import AlertFacts
from newsmon.alerts.settings import PREFECT_EVENT, Channel
from newsmon.flows.secrets import read_secret_block
from newsmon.parsers.feed import FeedItem
from newsmon.replay import served


class OutletFailed(Exception):
    """A Failed state's data must be an exception on every Prefect the pins allow: this one carries the report."""

    def __init__(self, report: ingest.OutletReport):
        super().__init__(f"{report.outlet}: " + "; ".join(report.errors[:5]))
        self.report = report


class RunFailed(Exception):
    def __init__(self, report: ingest.RunReport):
        super().__init__(report.message())
        self.report = report


@task(name="fetch-feeds", cache_policy=NO_CACHE)
def fetch_feeds(outlet: str, replay_base: str | None, run_id: str | None) -> ingest.Collected:
    return ingest.collect_items(outlet, replay_base, run_id)


@task(name="store-items", cache_policy=NO_CACHE)
def store_items(
    outlet: str, items: list[FeedItem], report: ingest.OutletReport, replay_base: str | None, run_id: str | None
) -> ingest.OutletReport:
    return ingest.store_items(outlet, items, report, replay_base, run_id)


def un_related_event() -> str:
    """A trial (a replay run, the demo) emits under its own name, so no Automation built on production's events
    fires for it."""
    return "newsmon.trial.article.un-related" if settings.current().trial else "newsmon.article.un-related"


def emit_prefect_event(channel: Channel, title: str, body: str, facts: list[AlertFacts], alert_ids: list[int]) -> None:
    """The prefect-event channel: one event per alert, with the article as the resource, for Automations."""
    for fact, alert_id in zip(facts, alert_ids, strict=True):
        emit_event(
            event=un_related_event(),
            resource={
                "prefect.resource.id": f"newsmon.article.{fact.url or alert_id}", "prefect.resource.name": fact.title
            },
            payload=fact.event_payload(),
        )


def send_pending_alerts(since: datetime) -> DeliveryReport:
    """What a flow run sends: every channel, Prefect events and Secret blocks included (here and in the
    deliver-alerts flow, flows/delivery.py)."""
    return ingest.deliver_alerts(since, senders={PREFECT_EVENT: emit_prefect_event}, secret_lookup=read_secret_block)


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_alerts(since: datetime) -> DeliveryReport:
    """Send pending alerts on every channel (Prefect events included) and publish the run's new UN items."""
    report = send_pending_alerts(since)
    markdown, count = ingest.un_items_markdown(since)
    create_markdown_artifact(key="un-items", markdown=markdown,
                             description=f"{count} new UN-related articles; {report.line()}")
    get_run_logger().info(report.line())
    return report


@flow(name="ingest-source", flow_run_name="ingest-{outlet}")
def ingest_source(outlet: str, replay_base: str | None = None) -> State:
    """Poll one outlet's feeds and store its new articles; Failed (with the report) if anything failed for the
    first time (known failures failing again are logged, not failed)."""
    run_id = str(flow_run.get_id() or "")
    report = ingest.ingest_outlet(outlet, replay_base, run_id, collect=fetch_feeds, store=store_items)
    logger = get_run_logger()
    logger.info(report.line())
    for known in report.still_failing_errors:
        logger.info("still failing: %s", known)
    for item in report.given_up_items:  # once: a run never tries a given-up item again
        logger.warning("given up (newsmon failures list --given-up): %s", item)
    if report.errors:
        return Failed(message=str(OutletFailed(report)), data=OutletFailed(report))
    return Completed(message=report.line(), data=report)


def _outlet_subflow(outlet: str, replay_base: str | None) -> ingest.OutletReport:
    state = ingest_source(outlet, replay_base, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, OutletFailed):
        return result.report
    if isinstance(result, ingest.OutletReport):
        return result
    raise RuntimeError(state.message or repr(result))  # crashed before it could report


@flow(name="ingest-all")
def ingest_all(outlets: list[str] | None = None, replay_base: str | None = None, replay: bool = False) -> State:
    """Every source in the registry (or the named ones); one failing outlet never stops the others. Then the
    pending UN alerts go out. With a replay_base, or `replay` (the packaged replay site, served for this run), a
    trial: the demo's home and database, never the configured channels (newsmon.settings.for_run)."""
    with served(replay, replay_base) as site:
        report = ingest.ingest_all(outlets, site, run_outlet=_outlet_subflow, deliver=deliver_alerts)
    create_table_artifact(
        key="ingest-summary", table=report.table(),
        description="Per outlet: feeds fetched, not modified, failed, deferred (back-off); items seen, new, updated, "
        "duplicates, failed (new failures), still failing, given up, deferred (back-off), retried.",
    )
    if report.failed:
        return Failed(message=report.message(), data=RunFailed(report))
    return Completed(message=report.message(), data=report)


if __name__ == "__main__":
    ingest_all()
