"""Prefect flow for archive imports: the input cut into chunks, one task each, so the UI shows progress and a
failed chunk is retried alone (retrying the flow run skips the chunks it already finished). Orchestration only:
the work, the chunk plan and every line said about it are newsmon.imports, which `newsmon import --no-prefect`
runs without Prefect.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.context import TaskRunContext
from prefect.states import Completed, Failed, State

from newsmon import imports
from newsmon.imports.read import MAX_POST_BYTES, Chunk
from newsmon.imports.report import PROGRESS_DESCRIPTION, SUMMARY_DESCRIPTION, ImportReport, Progress
from newsmon.storage.engine import get_engine


class ImportFailed(Exception):
    """A Failed state's data must be an exception on every Prefect the pins allow: this one carries the report."""

    def __init__(self, report: ImportReport):
        super().__init__(report.message())
        self.report = report


def _chunk_of_this_run(context: TaskRunContext, parameters: dict) -> str:
    chunk = parameters["chunk"]
    return f"{context.task_run.flow_run_id}:{chunk.path}:{chunk.start}:{chunk.stop}"


@task(name="import-chunk", task_run_name="import {chunk.label}", cache_key_fn=_chunk_of_this_run, persist_result=True)
def import_chunk(chunk: Chunk, fmt: str, outlet: str | None, workers: int, max_post_bytes: int) -> ImportReport:
    return imports.import_chunk(chunk, fmt, outlet, workers, max_post_bytes)


def _run_as_task(chunk: Chunk, fmt: str, outlet: str | None, workers: int, max_post_bytes: int):
    """The chunk runner of the flow: a failed task gives its exception back, and the import goes on."""
    state = import_chunk(chunk, fmt, outlet, workers, max_post_bytes, return_state=True)
    return state.result(raise_on_failure=False)


@flow(name="import-archives")
def import_archives(
    paths: list[str],
    fmt: str = "auto",
    outlet: str | None = None,
    workers: int = 2,
    chunk_posts: int = 10_000,
    bulk: bool | None = None,
    max_post_bytes: int = MAX_POST_BYTES,
    retry_failed: bool = False,
) -> State:
    """Import archives (checkouts, folders, JSON lines) into the articles table, or retry the failed posts."""
    logger = get_run_logger()
    engine = get_engine()  # migrated on first use when needed
    if retry_failed:
        report = imports.retry_failed(engine, fmt=fmt, outlet=outlet, max_post_bytes=max_post_bytes)
    else:
        # a UUID here: the artifact functions are sync in a sync flow
        progress = cast(UUID, create_progress_artifact(0.0, key="import-progress", description=PROGRESS_DESCRIPTION))

        def chunk_done(done: Progress) -> None:
            update_progress_artifact(progress, done.percent)
            for line in done.lines():
                logger.info(line)

        report = imports.import_archives(
            paths, fmt=fmt, outlet=outlet, workers=workers, chunk_posts=chunk_posts, bulk=bulk,
            max_post_bytes=max_post_bytes, engine=engine, run_chunk=_run_as_task, on_progress=chunk_done,
        )
    for line in report.lines():
        logger.info(line)
    create_table_artifact(key="import-summary", table=report.table(), description=SUMMARY_DESCRIPTION)
    if report.failed_chunks:
        return Failed(message=report.message(), data=ImportFailed(report))
    return Completed(message=report.message(), data=report)
