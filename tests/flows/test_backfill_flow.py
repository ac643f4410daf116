"""The import-archives flow for real (test harness server): chunks as tasks, progress and summary artifacts."""

import pytest

from newsmon.replay import ARCHIVE

pytestmark = pytest.mark.prefect


def test_chunked_import_then_a_second_run_that_reads_everything_again(prefect_harness, db):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from newsmon.flows.backfill import import_archives

    state = import_archives(paths=[str(ARCHIVE)], chunk_posts=10, workers=2, return_state=True)
    report = state.result()
    assert state.is_completed() and state.message == "45 posts: 45 new, 0 duplicates, 0 revisions, 0 failed"
    assert report.accounted and set(report.parsers) == {"zaobao", "bbc", "voa"}
    with get_client(sync_client=True) as client:
        this_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        tasks = client.read_task_runs(flow_run_filter=this_run)
        artifacts = {a.key: a for a in client.read_latest_artifacts()}
    expected = [f"import extraction_dev.jsonl.gz[{i}:{min(i + 10, 45)}]" for i in (0, 10, 20, 30, 40)]
    assert sorted(t.name for t in tasks) == expected
    assert artifacts["import-progress"].data == 100.0
    assert "duplicates" in str(artifacts["import-summary"].data)

    # a new run does not reuse the chunks of the last one: it reads and counts every post again
    again = import_archives(paths=[str(ARCHIVE)], chunk_posts=20, return_state=True)
    assert again.is_completed() and again.message == "45 posts: 0 new, 45 duplicates, 0 revisions, 0 failed"


def test_retry_failed_as_a_flow(prefect_harness, db, tmp_path):
    from newsmon.flows.backfill import import_archives

    (tmp_path / "no-link.md").write_text("---\ntitle: 无链接\n---\n<p>正文。</p>\n", encoding="utf-8")
    first = import_archives(paths=[str(tmp_path)], return_state=True)
    assert first.is_completed() and first.result().failures == {"no-link": 1}
    retried = import_archives(paths=[], retry_failed=True, return_state=True)
    assert retried.result().failures == {"no-link": 1} and retried.result().read == 1


def test_a_failed_chunk_fails_the_run_by_name(prefect_harness, db, monkeypatch):
    from newsmon import imports
    from newsmon.flows.backfill import ImportFailed, import_archives

    plain = imports.import_chunk

    def failing(chunk, *args, **kwargs):
        if chunk.start == 20:
            raise RuntimeError("disk on fire")
        return plain(chunk, *args, **kwargs)

    monkeypatch.setattr(imports, "import_chunk", failing)
    state = import_archives(paths=[str(ARCHIVE)], chunk_posts=20, workers=1, return_state=True)
    assert state.is_failed() and state.message == (
        "25 posts: 25 new, 0 duplicates, 0 revisions, 0 failed; "
        "chunks failed: extraction_dev.jsonl.gz[20:40]: RuntimeError: disk on fire"
    )
    failed = state.result(raise_on_failure=False)  # an exception carrying the report, as every Prefect accepts
    assert isinstance(failed, ImportFailed) and failed.report.read == 25 and str(failed) == state.message
    with pytest.raises(ImportFailed):
        import_archives(paths=[str(ARCHIVE)], chunk_posts=20, workers=1)


def test_a_retried_flow_run_runs_again_only_the_chunks_that_failed(prefect_harness, db, monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow
    from prefect.states import AwaitingRetry

    from newsmon import imports
    from newsmon.flows.backfill import import_archives

    plain, calls = imports.import_chunk, []

    def fails_once(chunk, *args, **kwargs):
        calls.append(chunk.start)
        if calls == [0, 20]:
            raise RuntimeError("disk on fire")
        return plain(chunk, *args, **kwargs)

    monkeypatch.setattr(imports, "import_chunk", fails_once)
    parameters = {"paths": [str(ARCHIVE)], "chunk_posts": 20, "workers": 1}
    first = import_archives(**parameters, return_state=True)
    assert first.is_failed() and calls == [0, 20, 40]
    with get_client(sync_client=True) as client:  # what Retry in the UI does: the same flow run, to be run again
        client.set_flow_run_state(first.state_details.flow_run_id, AwaitingRetry(), force=True)
        flow_run = client.read_flow_run(first.state_details.flow_run_id)
    again = run_flow(import_archives, flow_run=flow_run, parameters=parameters, return_type="state")
    assert again.is_completed() and again.message == "45 posts: 45 new, 0 duplicates, 0 revisions, 0 failed"
    assert calls == [0, 20, 40, 20]  # chunks 0 and 40 came from the cache of this flow run
