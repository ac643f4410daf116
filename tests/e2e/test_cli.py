"""`newsmon` as a user runs it: a subprocess, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "corpus" / "archive-sample"


def newsmon(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          **kwargs)


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared beside the checkout")
def test_parse_prints_one_line_per_post_with_the_path_as_given():
    posts = sorted(str(p.relative_to(ROOT.parent)) for p in SAMPLE.rglob("*.md"))
    result = newsmon("parse", *[f"../{p}" for p in posts])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["path"] for line in lines] == [f"../{p}" for p in posts]
    parsed = [line for line in lines if "error" not in line]
    assert len(parsed) == len(posts), [line for line in lines if "error" in line][:3]
    assert {"zaobao", "voa", "bbc"} <= {line["outlet"] for line in parsed}
    for line in parsed:
        assert set(line) >= {"path", "outlet", "url", "title", "published_at", "authors", "paragraphs"}


def test_parse_reports_unreadable_and_unparsable_posts_and_goes_on(tmp_path):
    broken = tmp_path / "no-link.md"
    broken.write_text("---\ntitle: x\n---\n<p>text without a link</p>\n", encoding="utf-8")
    good = ROOT / "tests" / "golden" / "bbc" / "archive_bbc_1042907.md"
    result = newsmon("parse", str(tmp_path / "missing.md"), str(broken), str(good))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in lines[0] and "No such file" in lines[0]["error"]
    assert "no link" in lines[1]["error"]
    assert lines[2]["outlet"] == "bbc" and lines[2]["paragraphs"]
    assert result.returncode == 0


def test_import_fast_path_prints_an_accounted_summary_and_a_second_run_adds_nothing(db):
    documents = ROOT / "tests" / "fixtures" / "documents"
    first = newsmon("import", "--no-prefect", "--format", "text", str(documents))
    assert first.returncode == 0, first.stderr
    assert "new        3" in first.stdout and "every post accounted for" in first.stdout
    second = newsmon("import", "--no-prefect", "--format", "text", str(documents))
    assert "new        0" in second.stdout and "duplicates 3" in second.stdout


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared beside the checkout")
def test_a_command_that_is_not_only_reading_says_when_its_output_was_cut():
    post = next(SAMPLE.rglob("*.md"))
    cut = subprocess.run(f"{sys.executable} -m newsmon.cli parse '{post}' | true; echo ${{PIPESTATUS[0]}}", shell=True,
                         executable="/bin/bash", cwd=ROOT, capture_output=True, text=True)
    assert (cut.stdout, cut.stderr) == ("1\n", "newsmon parse: output cut short: its reader went away\n")


def test_demo_option_before_any_demo_says_to_run_one_and_starts_no_database(tmp_path):
    result = newsmon("--demo", "status", env={**os.environ, "NEWSMON_HOME": str(tmp_path)})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"newsmon --demo: no demo yet in {tmp_path / 'demo'}: run newsmon demo (make demo) first\n"
    assert list(tmp_path.iterdir()) == []


def test_newsmon_alone_prints_what_it_can_do():
    result = newsmon()
    assert result.returncode == 2 and result.stdout.startswith("usage: newsmon")
    assert "search" in result.stdout and "status" in result.stdout and "--demo" in result.stdout


def test_import_refuses_a_missing_path_with_a_clear_error():
    result = newsmon("import", "--no-prefect", "no/such/archive")
    assert result.returncode == 2 and "no such file or directory: no/such/archive" in result.stderr


def test_alerts_test_sends_through_the_named_channel_and_list_shows_nothing_yet(db, tmp_path, monkeypatch):
    from newsmon.alerts.receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        registry = tmp_path / "sources.toml"
        registry.write_text(
            f'[alerts]\nchannels = [{{ name = "hook", url = "{receiver.url}", format = "html" }}]\n', encoding="utf-8"
        )
        env = {**os.environ, "NEWSMON_SOURCES": str(registry)}
        sent = newsmon("alerts", "test", "hook", env=env)
        assert sent.returncode == 0 and sent.stdout.strip() == "hook: sent", sent.stderr
        assert receiver.received[0]["json"]["title"] == "[UN core] newsmon test alert: 安理会 *test* &lt;b&gt;"  # HTML
        assert "&lt;b&gt;" in receiver.received[0]["json"]["message"]
        unknown = newsmon("alerts", "test", "nope", env=env)
        assert unknown.returncode == 2 and "no alert channel 'nope'; configured: hook, prefect-event" in unknown.stderr
        listed = newsmon("alerts", "list", env=env)
        assert listed.returncode == 0 and listed.stdout == "no alerts\n"  # a test alert is not stored
