"""Storing, in the main process: each parsed batch with one multi-row insert (one by one if the database refuses
the batch), the relevance of what is new or changed, the failures kept for --retry-failed; and whether an input
is worth a bulk load."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from newsmon.model import Reason, Stage
from newsmon.parsers import OUTLETS, parser_for
from newsmon.storage.articles import StoreResult, store_articles
from newsmon.storage.engine import session
from newsmon.storage.failures import record_item_failure, resolve_item_failures
from newsmon.storage.feeds import ensure_source
from newsmon.storage.relevance import save_relevances

from .parse import DOCUMENTS_OUTLET, Parsed
from .read import Failure
from .report import ImportReport, note

BATCH_POSTS = 400
BULK_MIN_POSTS = 5_000


class DatabaseLost(Exception):
    """The database went away during an import (stopped, or the connection broke): what was committed stays, and
    the same import run again stores the rest. Carries the report of the import so far."""

    def __init__(self, reason: str, report: ImportReport):
        super().__init__(reason, report)  # all of it in args, so that it pickles (Prefect stores a task's failure)
        self.reason = reason
        self.report = report

    @classmethod
    def from_error(cls, error: DBAPIError, report: ImportReport) -> DatabaseLost:
        return cls(str(error.orig or error).strip().splitlines()[0], report)

    def __str__(self) -> str:
        return (f"the database went away during the import ({self.reason}); what was stored before is kept, and "
                "the same import run again stores the rest")


def database_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except DBAPIError:
        return False
    return True


class Importer:
    """Stores parsed batches and keeps the report; one per chunk."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.report = ImportReport()
        self._sources: set[str] = set()

    def store(self, results: list[Parsed | Failure]) -> None:
        """Store a batch and count it; raises DatabaseLost (the batch not counted) when the database is gone."""
        try:
            self._store(results)
        except DBAPIError as error:
            if database_reachable(self.engine):
                raise
            raise DatabaseLost.from_error(error, self.report) from error

    def _store(self, results: list[Parsed | Failure]) -> None:
        parsed = [r for r in results if isinstance(r, Parsed)]
        failures = [r for r in results if isinstance(r, Failure)]
        self._ensure_sources(parsed)
        try:
            with session(self.engine) as s:
                stored = store_articles(s, [p.row for p in parsed], [p.raw for p in parsed])
                outcomes: list[StoreResult | None] = list(stored)
                _save_relevances(s, parsed, outcomes)
                resolve_item_failures(s, [p.path for p in parsed])
        except DBAPIError:
            if not database_reachable(self.engine):  # nothing to find one by one
                raise
            outcomes = self._store_one_by_one(parsed, failures)
        with session(self.engine) as s:
            for failure in failures:
                record_item_failure(
                    s, failure.outlet, failure.path, failure.source, Stage.IMPORT, failure.message,
                    failure.raw, failure.reason,
                )
        # counted once all of the batch is in the database: a batch the database was lost in counts nothing
        self.report.read += len(results)
        for item, outcome in zip(parsed, outcomes, strict=True):
            if outcome is not None:
                self._count(item, outcome.outcome)
        self._count_levels(parsed, outcomes)
        for failure in failures:
            self.report.failed += 1
            self.report.failures[failure.reason] += 1
            self.report.failed_keys.add(failure.path)
            note(self.report.failure_paths, failure.reason, failure.path)

    def _store_one_by_one(self, parsed: list[Parsed], failures: list[Failure]) -> list[StoreResult | None]:
        """A batch the database refused: find the posts it refuses, store the rest."""
        outcomes: list[StoreResult | None] = []
        for item in parsed:
            try:
                with session(self.engine) as s:
                    outcomes.append(store_articles(s, [item.row], [item.raw])[0])
                    _save_relevances(s, [item], outcomes[-1:])
                    resolve_item_failures(s, [item.path])
            except DBAPIError as error:
                if not database_reachable(self.engine):
                    raise
                outcomes.append(None)
                message = str(error.orig or error).splitlines()[0]
                outlet = item.row["outlet"]
                failures.append(Failure(item.path, item.path, Reason.STORE_ERROR, message, outlet, item.raw))
        return outcomes

    def _count_levels(self, parsed, outcomes) -> None:
        for item, outcome in zip(parsed, outcomes, strict=True):
            if outcome is not None and outcome.outcome == "new":
                self.report.un_levels[item.relevance["level"]] += 1

    def _ensure_sources(self, parsed: list[Parsed]) -> None:
        """A sources row for each outlet met, so `newsmon status` and SQL joins know it."""
        for outlet in sorted({p.row["outlet"] for p in parsed} - self._sources):
            known = OUTLETS.outlets.get(outlet)
            parser = "text" if outlet == DOCUMENTS_OUTLET else parser_for(outlet).key
            with session(self.engine) as s:
                ensure_source(s, outlet, known.name if known else outlet, parser, known.zone if known else "UTC")
            self._sources.add(outlet)

    def _count(self, item: Parsed, outcome: str) -> None:
        report = self.report
        if outcome == "new":
            report.new += 1
            report.outlets[item.row["outlet"]] += 1
            report.parsers[item.row["parser"].split(".")[0]] += 1
        elif outcome == "updated":
            report.revisions += 1
        else:
            report.duplicates += 1
            report.older += outcome == "older"
        for repair in item.cleaned:
            report.cleaned[repair] += 1
            note(report.cleaned_paths, repair, item.path)


def _save_relevances(s, parsed: list[Parsed], outcomes: list) -> None:
    """The relevance of every new or changed text, in the transaction that stored it."""
    now = datetime.now(UTC)
    save_relevances(s, [
        (outcome.id, {k: v for k, v in item.relevance.items() if k != "model"}, item.relevance["model"], now)
        for item, outcome in zip(parsed, outcomes, strict=True)
        if outcome is not None and outcome.outcome in ("new", "updated")
    ])


def worth_bulk_load(input_bytes: int, engine: Engine) -> bool:
    """Whether an input this size could at least double the articles table: then rebuilding the search indexes
    once costs less than keeping them up to date (a re-import of what is stored is not worth it)."""
    expected_posts = input_bytes / 2_000  # a compressed archive post is about 2 kB, a plain one about 5 kB
    with engine.connect() as connection:
        stored = connection.scalar(sa.text("SELECT greatest(reltuples, 0) FROM pg_class WHERE relname = 'articles'"))
    return expected_posts >= max(BULK_MIN_POSTS, stored or 0)
