"""Prefect flows for ingestion: a flow per source, a parent flow for all sources. Orchestration only.

Deployed from prefect.yaml (entrypoint flows/ingest.py:ingest_all); run directly with `newsmon run` / `newsmon demo`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.message import escape
from newsmon.alerts.settings import PREFECT_EVENT
from newsmon.config import load_registry
from newsmon.ingest import OutletReport, collect_items, make_fetcher, process_items
from newsmon.storage.outbox import alerts_created_since
from newsmon.storage.engine import get_engine, session, upgrade


@task(name="fetch-feeds", cache_policy=NO_CACHE)
def fetch_feeds(source, fetcher, engine, run_id):
    return collect_items(source, fetcher, engine, run_id)


@task(name="store-items", cache_policy=NO_CACHE)
def store_items(source, items, fetcher, engine, report, run_id, alerts):
    return process_items(source, items, fetcher, engine, report, run_id, alerts)


def emit_prefect_event(channel, title, body, facts, alert_ids) -> None:
    """The prefect-event channel: one event per alert, with the article as the resource, for Automations."""
    for fact, alert_id in zip(facts, alert_ids):
        emit_event(
            event="newsmon.article.un-related",
            resource={"prefect.resource.id": f"newsmon.article.{fact.url or alert_id}", "prefect.resource.name": fact.title},
            payload={"title": fact.title, "outlet": fact.outlet, "level": fact.level, "bodies": fact.bodies,
                     "evidence": fact.evidence, "url": fact.url,
                     "published_at": fact.published_at.isoformat() if fact.published_at else None, "alert_id": alert_id},
        )


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_alerts(engine, settings, since):
    """Send pending alerts on every channel and publish the run's new UN items as a markdown artifact."""
    report = deliver_pending(engine, settings, senders={PREFECT_EVENT: emit_prefect_event})
    with session(engine) as s:
        new_items = alerts_created_since(s, since)
    lines = [f"| {level} | {outlet} | [{escape(title, 'markdown')}]({url}) | {', '.join(bodies)} |"
             for level, outlet, title, url, bodies in new_items]
    create_markdown_artifact(
        key="un-items",
        markdown="## New UN-related articles\n\n" + (
            "| level | outlet | article | bodies |\n|---|---|---|---|\n" + "\n".join(lines) if lines else "None this run."
        ),
        description=f"{len(lines)} new UN-related articles; {report.line()}",
    )
    get_run_logger().info(report.line())
    return report


@flow(name="ingest-source", flow_run_name="ingest-{outlet}")
def ingest_source(outlet: str, replay_base: str | None = None):
    """Poll one outlet's feeds and store its new articles; fails (with the report as data) if anything failed."""
    registry = load_registry()
    source = registry.sources[outlet]
    engine = get_engine()
    run_id = str(flow_run.get_id() or "")
    started = time.perf_counter()
    with make_fetcher(registry, replay_base) as fetcher:
        items, report = fetch_feeds(source, fetcher, engine, run_id)
        report = store_items(source, items, fetcher, engine, report, run_id, registry.alerts)
    report.seconds = time.perf_counter() - started
    get_run_logger().info(report.line())
    if report.errors:
        return Failed(message=f"{outlet}: " + "; ".join(report.errors[:5]), data=report)
    return Completed(message=report.line(), data=report)


@flow(name="ingest-all")
def ingest_all(outlets: list[str] | None = None, replay_base: str | None = None):
    """Every source in the registry (or the named ones); one failing outlet never stops the others. Then the
    pending UN alerts go out."""
    upgrade()
    started = datetime.now(UTC)
    reports: list[OutletReport] = []
    for source in load_registry().select(outlets):
        state = ingest_source(source.key, replay_base, return_state=True)
        result = state.result(raise_on_failure=False)
        if isinstance(result, OutletReport):
            reports.append(result)
        else:  # the subflow crashed before it could report
            reports.append(OutletReport(source.key, errors=[f"crashed: {state.message or result}"]))
    create_table_artifact(
        key="ingest-summary",
        table=[report.row() for report in reports],
        description="Per outlet: feeds fetched, not modified, items seen, new, updated, duplicates, failed.",
    )
    delivery = deliver_alerts(get_engine(), load_registry().alerts, started)
    failed = [report for report in reports if report.errors]
    totals = f"{sum(r.new for r in reports)} new, {sum(r.failed + r.feeds_failed for r in reports)} errors, " \
             f"{delivery.sent} alerts sent" + (f", {delivery.failed} alerts failed" if delivery.failed else "")
    if failed:
        detail = "; ".join(f"{r.outlet}: {r.errors[0]}" + (f" (+{len(r.errors) - 1} more)" if len(r.errors) > 1 else "")
                           for r in failed)
        return Failed(message=f"{totals}; failed: {detail}", data=reports)
    return Completed(message=totals, data=reports)


if __name__ == "__main__":
    ingest_all()
