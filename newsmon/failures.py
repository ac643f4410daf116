"""What an operator sees and does about failures, of live polling and imports alike: the plain logic behind
`newsmon failures list | retry | dismiss`.

Runs retry live failures by themselves, on a back-off, and give them up (newsmon.failure_policy); import failures
wait for a retry by hand. A retry here is now, whatever the back-off, through the normal pipelines: live items
through newsmon.ingest, archive posts through newsmon.imports. A dismissed failure is kept (with its raw input) but
no longer retried by runs nor listed (unless asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from newsmon import imports, ingest
from newsmon.model import Stage
from newsmon.reading import display_width, fit, local_time
from newsmon.storage.engine import get_engine, session
from newsmon.storage.failures import dismiss_item_failures, list_item_failures, pending_item_failures
from newsmon.storage.models import ItemFailure

ERROR_WIDTH = 200


def list_failures(
    *, outlet: str | None = None, stage: str | None = None, given_up: bool = False, dismissed: bool = False,
    limit: int = 50,
) -> list[ItemFailure]:
    """Unresolved failures, the latest failed first (see storage.failures.list_item_failures)."""
    with session(get_engine()) as s:
        return list_item_failures(s, outlet=outlet, stage=stage, given_up=given_up, dismissed=dismissed, limit=limit)


def failure_lines(failures: list[ItemFailure]) -> list[str]:
    """A table of failures for a terminal, times in the user's zone: a line of facts, then the URL (or item key) and
    the error."""
    outlet_width = max([6, *(display_width(failure.outlet) for failure in failures)])
    header = (f"{'id':>6}  {fit('outlet', outlet_width)} {'stage':6} {'reason':16} {'attempts':>8}  "
              f"{'first failed':16}  {'last failed':16}  state")
    lines = [header]
    for failure in failures:
        lines.append(
            f"{failure.id:>6}  {fit(failure.outlet, outlet_width)} {failure.stage:6} {failure.reason or '-':16} "
            f"{failure.attempts:>8}  "
            f"{_time(failure.first_failed_at)}  {_time(failure.last_failed_at)}  {state_of(failure)}"
        )
        error = " ".join(failure.error.split())
        error = error if len(error) <= ERROR_WIDTH else error[: ERROR_WIDTH - 1] + "…"
        lines.append(f"        {failure.url or failure.item_key}\n        {error}")
    return lines


def state_of(failure: ItemFailure) -> str:
    """What happens to a failure next: given up, retried at a time (or at the next run), or only by hand."""
    if failure.given_up_at is not None:
        state = f"given up {_time(failure.given_up_at)}"
    elif failure.stage == Stage.IMPORT:
        state = "retried by hand"
    elif failure.next_attempt_at is not None:
        state = f"next attempt {_time(failure.next_attempt_at)}"
    else:
        state = "next attempt at the next run"
    return f"dismissed {_time(failure.dismissed_at)}; {state}" if failure.dismissed_at else state


@dataclass
class RetryResult:
    live: list[ingest.OutletReport] = field(default_factory=list)
    imported: imports.ImportReport | None = None
    unknown: list[int] = field(default_factory=list)  # ids asked for that name no unresolved failure

    @property
    def failed(self) -> bool:
        """Whether anything retried failed again (or could not be retried)."""
        live_failed = any(r.errors or r.failed or r.still_failing or r.given_up for r in self.live)
        return live_failed or bool(self.imported and self.imported.failed) or bool(self.unknown)

    def lines(self) -> list[str]:
        lines = []
        for r in self.live:
            again = r.failed + r.still_failing + r.given_up
            lines.append(f"{r.outlet}: retried {r.retried}: {r.new} new, {r.updated} updated, "
                         f"{r.duplicates} duplicates, {again} failed again")
            lines += [f"  ! {error}" for error in r.errors + r.still_failing_errors + r.given_up_items]
        if any(r.new or r.updated for r in self.live):
            lines.append("their alerts go out with the next run, or now with `newsmon alerts retry`")
        if self.imported is not None:
            lines += ["imports:", *self.imported.lines()]
        if self.unknown:
            lines.append(f"no unresolved failure with id {', '.join(map(str, self.unknown))}")
        if not (self.live or self.imported or self.unknown):
            lines.append("nothing to retry")
        return lines


def retry(ids: list[int] | None = None, *, replay_base: str | None = None) -> RetryResult:
    """Retry now the unresolved failures with these ids (given up or dismissed too), or every one not dismissed."""
    with session(get_engine()) as s:
        live = _ids(pending_item_failures(s, ids=ids))
        imported = _ids(pending_item_failures(s, imports=True, ids=ids))
    result = RetryResult(unknown=sorted(set(ids or ()) - set(live) - set(imported)))
    if live:
        result.live = ingest.retry_failures(live, replay_base)
    if imported:
        result.imported = imports.retry_failed(ids=imported)
    return result


def dismiss(ids: list[int]) -> tuple[list[int], list[int]]:
    """Dismiss these failures: (the ids dismissed now, the ids that name no unresolved, undismissed failure)."""
    with session(get_engine()) as s:
        dismissed = dismiss_item_failures(s, ids)
    return dismissed, sorted(set(ids) - set(dismissed))


def _ids(failures: list[ItemFailure]) -> list[int]:
    return [failure.id for failure in failures if failure.id is not None]  # a stored row always has one


def _time(moment: datetime | None) -> str:
    return local_time(moment) if moment else "-"
