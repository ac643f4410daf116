"""The alert delivery flow, on a schedule of its own (prefect.yaml: deliver-alerts-every-5-min): a digest goes out
on time even when an ingestion run is slow or failing. Each ingestion run still sends what it queued at its end;
two deliveries at once never send an alert twice (each holds the alerts it sends, newsmon.alerts.deliver), and an
alert whose sender was killed mid-send goes out once more with its key, marked as a possible repeat."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.states import Completed, Failed, State

from newsmon.alerts.deliver import DeliveryReport
from newsmon.flows.ingest import send_pending_alerts


class DeliveryFailed(Exception):
    """A Failed state's data must be an exception on every Prefect the pins allow: this one carries the report."""

    def __init__(self, report: DeliveryReport):
        super().__init__(report.line())
        self.report = report


@flow(name="deliver-alerts")
def deliver_alerts() -> State:
    """Send what is pending on every channel (digests whose oldest alert has waited long enough); Failed when a
    channel refused (the alerts stay pending for the next delivery)."""
    report = send_pending_alerts(datetime.now(UTC))
    get_run_logger().info(report.line())
    if report.failed:
        return Failed(message=report.line(), data=DeliveryFailed(report))
    return Completed(message=report.line(), data=report)
