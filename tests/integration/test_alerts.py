"""UN alerts against a real PostgreSQL and a real webhook receiver on 127.0.0.1 (Apprise's json:// channel):
exact payloads, escaping, exactly once across a killed run and across overlapping runs, failures and retries,
digests."""

import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.outbox import score_and_queue
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.alerts.settings import AlertSettings, Channel
from newsmon.model import Article
from newsmon.storage.articles import store_article
from newsmon.storage.engine import session
from newsmon.storage.models import Alert, ArticleRelevance
from newsmon.storage.outbox import list_alerts

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)


def un_article(n: int = 1, title: str = "安理会就乌克兰局势举行紧急会议", outlet: str = "bbc", **fields) -> Article:
    defaults = dict(
        outlet=outlet, url=f"https://www.bbc.com/zhongwen/simp/world-{60000000 + n}", title=title,
        paragraphs=["联合国安理会星期五举行紧急会议，讨论乌克兰局势。", "多国代表发言。"],
        article_id=f"world-{60000000 + n}", published_at=PUBLISHED, parser="bbc.test",
    )
    return Article(**(defaults | fields))


def settings_for(*channels: Channel) -> AlertSettings:
    return AlertSettings(threshold="mention", time_zone="Asia/Singapore", channels=channels)


def store(engine, article: Article, settings: AlertSettings, fetched_at: datetime | None = None) -> str:
    with session(engine) as s:
        now = fetched_at or datetime.now(UTC)
        result = store_article(s, article, None, now, "test")
        score_and_queue(s, result.id, article, result.outcome, settings, now)
    return result.outcome


def test_one_alert_per_article_and_channel_with_the_exact_payload(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "markdown"))
        store(db, un_article(), settings)
        store(db, un_article(2, title="本地天气预报", paragraphs=["明天有雨。"]), settings)  # not UN: no alert
        report = deliver_pending(db, settings)
        assert (report.sent, report.failed) == (1, 0)
        assert receiver.received[0]["path"] == "/alerts"
        assert receiver.received[0]["json"] == {
            "version": "1.0",
            "title": "[UN core] 安理会就乌克兰局势举行紧急会议",
            "message": "**安理会就乌克兰局势举行紧急会议**\n"
            "bbc · 2026\\-11\\-22 14:30 \\+08 · UN core: Security Council\n"
            "> 联合国安理会星期五举行紧急会议，讨论乌克兰局势。\n"
            "<https://www.bbc.com/zhongwen/simp/world-60000001>",
            "attachments": [],
            "type": "info",
        }
        assert deliver_pending(db, settings).sent == 0  # nothing twice
    with session(db) as s:
        relevance = s.get(ArticleRelevance, 2)
        assert relevance.level == "none" and relevance.model.startswith("un-")


def test_hostile_titles_cannot_inject_markup_or_links(db):
    hostile = "安理会 **紧急** [点我](http://evil.example) <script>alert(1)</script> @everyone"
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("md", receiver.url, "markdown"), Channel("web", receiver.url, "html"))
        store(db, un_article(title=hostile, url="javascript:alert(1)"), settings)
        assert deliver_pending(db, settings).sent == 2
        markdown, html = (m["json"]["message"] for m in receiver.received)
    assert "[点我](http" not in markdown and r"\[点我\]\(http://evil\.example\)" in markdown
    assert r"\*\*紧急\*\*" in markdown and r"\<script\>" in markdown and r"\@everyone" in markdown
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in markdown + html  # only http(s) links go out


def test_a_run_killed_after_storing_sends_on_the_next_run_and_only_once(db, database_url):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        # a real process stores the article with its alert and dies before the delivery step
        script = (
            "import os, sys\n"
            "from datetime import UTC, datetime\n"
            "sys.path.insert(0, '.')\n"
            "from tests.integration.test_alerts import un_article, settings_for, store\n"
            "from newsmon.alerts.settings import Channel\n"
            "from newsmon.storage.engine import get_engine\n"
            f"store(get_engine(), un_article(), settings_for(Channel('hook', {receiver.url!r}, 'text')))\n"
            "os._exit(9)\n"
        )
        killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
        assert killed.returncode == 9, killed.stderr
        assert receiver.received == []
        assert deliver_pending(db, settings).sent == 1
        assert deliver_pending(db, settings).sent == 0
        assert len(receiver.received) == 1


def test_two_overlapping_runs_send_each_alert_once(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        for n in range(1, 7):
            store(db, un_article(n), settings)
        slow = receiver.server.RequestHandlerClass.do_POST

        def slow_post(handler):  # each delivery takes a while, so the two runs overlap for certain
            time.sleep(0.2)
            slow(handler)

        receiver.server.RequestHandlerClass.do_POST = slow_post
        reports = []
        runs = [threading.Thread(target=lambda: reports.append(deliver_pending(db, settings))) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    titles = sorted(m["json"]["message"].splitlines()[-1] for m in receiver.received)
    assert len(titles) == 6 and len(set(titles)) == 6
    assert sum(r.sent for r in reports) == 6 and all(r.sent for r in reports)  # both runs did part of the work


def test_a_revision_does_not_alert_again_but_another_outlet_does(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        first = datetime.now(UTC)
        assert store(db, un_article(), settings, first) == "new"
        revised = un_article(paragraphs=["联合国安理会星期五举行紧急会议。", "会议未能通过决议。"])
        assert store(db, revised, settings, first + timedelta(minutes=5)) == "updated"
        assert store(db, un_article(outlet="voa"), settings) == "new"  # the same story from a second outlet
        assert deliver_pending(db, settings).sent == 2
        assert [m["json"]["message"].splitlines()[1].split(" · ")[0] for m in receiver.received] == ["bbc", "voa"]


def test_a_failing_channel_keeps_its_alerts_with_the_error_and_retries_them(db):
    with WebhookReceiver(status=500) as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"), Channel("bad", "notaservice://x", "text"))
        store(db, un_article(), settings)
        report = deliver_pending(db, settings)
        assert (report.sent, report.failed) == (0, 2)
        with session(db) as s:
            failed = {a.channel: a for a, _ in list_alerts(s, "failed")}
        assert failed["hook"].attempts == 1 and "refused" in failed["hook"].last_error
        assert "not an Apprise URL" in failed["bad"].last_error
        receiver.status = 200
        report = deliver_pending(db, settings)
        assert (report.sent, report.failed) == (1, 1) and len(receiver.received) == 1
        with session(db) as s:
            hook = s.exec(select(Alert).where(Alert.channel == "hook")).one()
        assert hook.sent_at is not None and hook.attempts == 2 and hook.last_error is None


def test_a_digest_channel_waits_its_period_then_sends_one_message(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("daily", receiver.url, "html", digest_minutes=30))
        for n in (1, 2, 3):
            store(db, un_article(n), settings)
        now = datetime.now(UTC)
        assert deliver_pending(db, settings, now=now + timedelta(minutes=10)).sent == 0
        assert deliver_pending(db, settings, now=now + timedelta(minutes=31)).sent == 3
        assert len(receiver.received) == 1
        digest = receiver.received[0]["json"]
        assert digest["title"] == "[UN] 3 new UN-related articles" and digest["message"].count("<hr>") == 2


def test_the_threshold_and_the_prefect_channel_wait_for_a_prefect_run(db):
    with WebhookReceiver() as receiver:
        channels = Channel("hook", receiver.url, "text"), Channel("prefect-event", kind="prefect-event")
        settings = replace(settings_for(*channels), threshold="core")
        store(db, un_article(1), settings)  # core: the title names the Security Council
        paragraphs = ["会谈没有结果。", "另据报道，联合国曾表示关切。", "更多。"]
        store(db, un_article(2, title="乌克兰局势", paragraphs=paragraphs), settings)
        report = deliver_pending(db, settings)
        assert report.sent == 1 and report.waiting == ["prefect-event"]
        with session(db) as s:
            pending = [a.channel for a, _ in list_alerts(s, "pending")]
        assert pending == ["prefect-event"]


def test_rescore_redoes_what_another_lexicon_scored_and_alerts_nothing(db):
    from newsmon.relevance.classify import load_lexicon
    from newsmon.unscore import explain, rescore

    settings = settings_for(Channel("hook", "json://127.0.0.1:9/alerts", "text"))
    store(db, un_article(), settings)
    with session(db) as s:
        s.get(ArticleRelevance, 1).model = "un-old"
        queued = len(s.exec(select(Alert)).all())
    counts = rescore(db, load_lexicon())
    assert counts == {"scored": 1, "levels": {"core": 1}}
    assert rescore(db, load_lexicon())["scored"] == 0
    with session(db) as s:
        assert s.get(ArticleRelevance, 1).model == load_lexicon().fingerprint
        assert len(s.exec(select(Alert)).all()) == queued
    text = explain(db, 1)
    assert "level core" in text and "a UN body is named in the title" in text
    assert "[title] title, Security Council" in text
