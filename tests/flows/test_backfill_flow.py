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
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
        artifacts = {a.key: a for a in client.read_latest_artifacts()}
    assert sorted(t.name for t in tasks) == [f"import extraction_dev.jsonl.gz[{i}:{min(i + 10, 45)}]" for i in (0, 10, 20, 30, 40)]
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
