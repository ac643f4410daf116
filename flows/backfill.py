"""Prefect flow for archive imports: the input cut into chunks, one task each, so the UI shows progress and a
failed chunk is retried alone (retrying the flow run skips the chunks it already finished). Orchestration only:
the work is newsmon.backfill, which `newsmon import --no-prefect` runs without Prefect.
"""

from __future__ import annotations

import time
from contextlib import nullcontext

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.context import TaskRunContext
from prefect.states import Completed, Failed

from newsmon.backfill import BATCH_POSTS, MAX_POST_BYTES, Chunk, ImportReport, Reader, import_records, plan_chunks
from newsmon.backfill import retry_failed as retry_failed_imports
from newsmon.backfill import worth_bulk_load
from newsmon.storage.engine import bulk_load, get_engine, upgrade


def _chunk_of_this_run(context: TaskRunContext, parameters: dict) -> str:
    chunk = parameters["chunk"]
    return f"{context.task_run.flow_run_id}:{chunk.path}:{chunk.start}:{chunk.stop}"


@task(name="import-chunk", task_run_name="import {chunk.label}", cache_key_fn=_chunk_of_this_run, persist_result=True)
def import_chunk(chunk: Chunk, fmt: str, outlet: str | None, workers: int, max_post_bytes: int) -> ImportReport:
    records = Reader([], max_post_bytes).posts(chunk.path, chunk.start, chunk.stop)
    return import_records(records, get_engine(), fmt=fmt, outlet=outlet, workers=workers, batch_posts=BATCH_POSTS)


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
):
    """Import archives (checkouts, folders, JSON lines) into the articles table, or retry the failed posts."""
    logger = get_run_logger()
    engine = get_engine()
    upgrade(engine)
    if retry_failed:
        report = retry_failed_imports(engine, fmt=fmt, outlet=outlet, max_post_bytes=max_post_bytes)
        return _finish(report, [])
    chunks = plan_chunks(paths, chunk_posts)
    if bulk is None:
        bulk = worth_bulk_load(Reader(paths).bytes_total, engine)
    progress = create_progress_artifact(0.0, key="import-progress", description="Posts imported, in percent.")
    report, failed_chunks = ImportReport(), []
    started = time.perf_counter()
    with bulk_load(engine) if bulk else nullcontext():
        for done, chunk in enumerate(chunks, 1):
            state = import_chunk(chunk, fmt, outlet, workers, max_post_bytes, return_state=True)
            result = state.result(raise_on_failure=False)
            if isinstance(result, ImportReport):
                report.add(result)
            else:
                failed_chunks.append(f"{chunk.label}: {state.message or result}")
            update_progress_artifact(progress, 100.0 * done / len(chunks))
            elapsed = time.perf_counter() - started
            eta = elapsed / done * (len(chunks) - done)
            logger.info(
                f"chunk {done}/{len(chunks)} {chunk.label}: {report.read:,} posts, {report.new:,} new, "
                f"{report.read / elapsed:,.0f} posts/s, ETA {eta:,.0f} s"
            )
        if bulk:
            logger.info("building the search indexes once for the whole import (bulk load)")
    report.seconds = time.perf_counter() - started
    return _finish(report, failed_chunks)


def _finish(report: ImportReport, failed_chunks: list[str]):
    for line in report.lines():
        get_run_logger().info(line)
    create_table_artifact(
        key="import-summary",
        table=[{"outcome": k, "posts": v} for k, v in (
            [("read", report.read), ("new", report.new), ("duplicates", report.duplicates),
             ("revisions", report.revisions), ("failed", report.failed)]
            + [(f"failed: {reason}", n) for reason, n in report.failures.most_common()]
        )],
        description="Every post read ends as new, duplicate, revision or failed (failures by reason).",
    )
    message = f"{report.read:,} posts: {report.new:,} new, {report.duplicates:,} duplicates, " \
              f"{report.revisions:,} revisions, {report.failed:,} failed"
    if failed_chunks:
        return Failed(message=f"{message}; chunks failed: {'; '.join(failed_chunks)}", data=report)
    return Completed(message=message, data=report)
