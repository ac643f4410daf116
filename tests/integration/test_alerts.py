"""UN alerts against a real PostgreSQL and real receivers on 127.0.0.1 (Apprise's json:// webhook, a Mattermost
webhook, SMTP mail): exact payloads, hostile titles kept inert as a CommonMark renderer and a mail client would see
them, line breaks in HTML mail, exactly once across a killed run and across overlapping runs, failures and retries,
digests, secrets from the environment that nothing prints."""

import logging
import re
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt
from sqlmodel import select

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.outbox import score_and_queue
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.alerts.settings import AlertSettings, Channel
from newsmon.model import Article
from newsmon.parsers import parser_for
from newsmon.storage.articles import store_article
from newsmon.storage.engine import session
from newsmon.storage.feeds import ensure_source
from newsmon.storage.models import Alert, ArticleRelevance
from newsmon.storage.outbox import list_alerts
from tests.mail_receiver import MailReceiver

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = datetime(2026, 11, 22, 6, 30, tzinfo=UTC)


def un_article(n: int = 1, title: str = "安理会就乌克兰局势举行紧急会议", outlet: str = "bbc", **fields) -> Article:
    """A UN article; another n is another story (newsmon.stories): its record number, 128 digits of its own,
    outweighs the text they share."""
    defaults = dict(
        outlet=outlet, url=f"https://www.bbc.com/zhongwen/simp/world-{60000000 + n}", title=title,
        paragraphs=["联合国安理会星期五举行紧急会议，讨论乌克兰局势。", "多国代表发言。",
                    f"会议记录编号{7 ** (150 + n)}。"],
        article_id=f"world-{60000000 + n}", published_at=PUBLISHED, parser="bbc.test",
    )
    return Article(**(defaults | fields))


def settings_for(*channels: Channel) -> AlertSettings:
    return AlertSettings(threshold="mention", time_zone="Asia/Singapore", channels=channels)


def store(engine, article: Article, settings: AlertSettings, fetched_at: datetime | None = None) -> str:
    """Store as a run does: the outlet's sources row (its display name), the article, its relevance and alerts."""
    with session(engine) as s:
        now = fetched_at or datetime.now(UTC)
        outlet = parser_for(article.outlet)
        ensure_source(s, article.outlet, outlet.name, article.outlet, outlet.zone.key)
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
            "BBC News 中文 · 2026-11-22 14:30 Singapore time (UTC+8)\n"
            "UN core: Security Council · article id 1\n\n"
            "> “联合国安理会星期五举行紧急会议，讨论乌克兰局势。”\n\n"
            "<https://www.bbc.com/zhongwen/simp/world-60000001>\n\n"
            "newsmon-alert-1",
            "attachments": [],
            "type": "info",
            "alert_key": "newsmon-alert-1",
            "also_reported_by": [],  # its story's other articles (tests/integration/test_story_alerts.py)
        }
        assert deliver_pending(db, settings).sent == 0  # nothing twice
    with session(db) as s:
        relevance = s.get(ArticleRelevance, 2)
        assert relevance.level == "none" and relevance.model.startswith("un-")


HOSTILE = "安理会 <b>紧急</b> *bold* [x](https://phish.example) @everyone 2020-11-24"
HOSTILE_SHOWN = "安理会 <b>紧急</b> *bold* [x](https://phish.example) @\u200beveryone 2020-11-24"  # as a reader sees it
ARTICLE_URL = "https://www.bbc.com/zhongwen/simp/world-60000001"


class Markup(HTMLParser):
    """The elements and the text a piece of HTML shows."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text += data

    def links(self) -> list[str]:
        return [attrs.get("href", "") for tag, attrs in self.tags if tag == "a"]

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


def assert_inert(html: str) -> None:
    """The hostile title shows as the text it is: the one link is the article's, the one bold is the headline."""
    shown = Markup(html)
    assert HOSTILE_SHOWN in shown.text
    assert shown.links() == [ARTICLE_URL]
    assert shown.count("b") + shown.count("strong") == 1 and shown.count("em") + shown.count("i") == 0
    assert not re.search(r"@(everyone|here|channel|all)\b", shown.text)  # no service sees a mention


def test_hostile_titles_stay_inert_as_readers_see_them_through_apprise(db):
    with WebhookReceiver() as receiver, WebhookReceiver() as mattermost, MailReceiver() as mail:
        mailto = f"mailto://127.0.0.1:{mail.port}?mode=insecure&from=newsmon@example.org&to=team@example.org"
        settings = settings_for(
            Channel("md", receiver.url, "markdown"), Channel("web", receiver.url, "html"),
            Channel("plain", receiver.url, "text"), Channel("chat", f"mmost://127.0.0.1:{mattermost.port}/hooktoken"),
            Channel("mail", mailto, "markdown"),
        )
        store(db, un_article(title=HOSTILE), settings)
        store(db, un_article(2, title=HOSTILE, url="javascript:alert(1)"), settings)  # only http(s) links go out
        assert deliver_pending(db, settings).sent == 10
        markdown, markdown_2, html, html_2, text, text_2 = ((m["json"]["title"], m["json"]["message"])
                                                            for m in receiver.received)  # channel by channel
    # the title is in the channel's format too, shown as the text it is, with mentions broken
    assert text[0] == f"[UN core] {HOSTILE_SHOWN}"
    shown_markdown = Markup(MarkdownIt("commonmark").renderInline(markdown[0]))
    assert shown_markdown.text == text[0] and shown_markdown.tags == []
    assert Markup(html[0]).text == text[0] and Markup(html[0]).tags == []
    assert "2020-11-24" in markdown[1] and "\\-" not in markdown[1]  # no backslashes in dates
    assert_inert(MarkdownIt("commonmark").render(markdown[1]))
    assert_inert(html[1])
    assert HOSTILE_SHOWN in text[1].splitlines()
    # Mattermost has no title field: Apprise would fold the title into the Markdown, so it gets none; the same body
    # but for the key of its own alert
    chat = mattermost.received[0]
    assert chat["path"] == "/hooks/hooktoken"
    assert chat["json"]["text"] == markdown[1].replace("newsmon-alert-1", "newsmon-alert-4")
    # mail: Apprise turns the Markdown into HTML (Python-Markdown), as the mail client shows it; the subject is plain
    assert_inert(mail.messages[0].get_body(("html",)).get_content())
    assert mail.messages[0]["Subject"] == text[0]
    for _, body in (markdown_2, html_2, text_2):
        assert "javascript:" not in body and ARTICLE_URL not in body


def test_html_mail_keeps_its_lines(db):
    with MailReceiver() as mail:
        mailto = f"mailto://127.0.0.1:{mail.port}?mode=insecure&from=newsmon@example.org&to=team@example.org"
        settings = settings_for(Channel("mail", mailto, "html"))
        store(db, un_article(), settings)
        assert deliver_pending(db, settings).sent == 1
    message = mail.messages[0]
    assert message["Subject"] == "[UN core] 安理会就乌克兰局势举行紧急会议"
    html = message.get_body(("html",)).get_content()
    assert re.search(r"<b>安理会就乌克兰局势举行紧急会议</b><br>\s*BBC News 中文 · 2026-11-22 14:30 Singapore time "
                     r"\(UTC\+8\)<br>\s*UN core: Security Council · article id 1</p>", html), html
    assert "<blockquote>“联合国安理会星期五举行紧急会议，讨论乌克兰局势。”</blockquote>" in html
    plain = message.get_body(("plain",)).get_content().splitlines()  # the alternative for text-only clients
    assert [line.strip() for line in plain if line.strip()][:3] == [
        "安理会就乌克兰局势举行紧急会议", "BBC News 中文 · 2026-11-22 14:30 Singapore time (UTC+8)",
        "UN core: Security Council · article id 1",
    ]


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


def test_a_revision_does_not_alert_again_but_another_outlets_story_does(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        first = datetime.now(UTC)
        assert store(db, un_article(), settings, first) == "new"
        revised = un_article(paragraphs=["联合国安理会星期五举行紧急会议。", "会议未能通过决议。"])
        assert store(db, revised, settings, first + timedelta(minutes=5)) == "updated"
        # a story of its own (the same story joins the first's alert: tests/integration/test_story_alerts.py)
        other = un_article(outlet="voa", title="联合国秘书长呼吁加沙停火",
                           paragraphs=["联合国秘书长古特雷斯星期三呼吁立即停火。"])
        assert store(db, other, settings) == "new"
        assert deliver_pending(db, settings).sent == 2
        assert [m["json"]["message"].splitlines()[1].split(" · ")[0] for m in receiver.received] == [
            "BBC News 中文", "美国之音 VOA 中文"
        ]


def test_a_failing_channel_keeps_its_alerts_with_the_error_and_retries_them(db):
    with WebhookReceiver(status=500) as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"), Channel("bad", "notaservice://x", "text"))
        store(db, un_article(), settings)
        report = deliver_pending(db, settings)
        assert (report.sent, report.failed) == (0, 2)
        with session(db) as s:
            failed = {a.channel: a for a, _ in list_alerts(s, "failed")}
        assert failed["hook"].attempts == 1 and "refused" in failed["hook"].last_error
        assert "not an Apprise URL Apprise can use (notaservice://…)" in failed["bad"].last_error
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
        assert digest["alert_key"] == "newsmon-alert-1 newsmon-alert-2 newsmon-alert-3"  # the alerts it covers
        assert [f"<p>newsmon-alert-{n}</p>" in digest["message"] for n in (1, 2, 3)] == [True] * 3


def test_an_alert_another_delivery_is_sending_is_left_to_it(db):
    from sqlmodel import Session

    from newsmon.storage.outbox import hold_for_sending, let_go

    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        store(db, un_article(), settings)
        with db.connect() as other, Session(other) as sending:  # another delivery, in the middle of sending it
            assert [a.id for a in hold_for_sending(sending, [1])] == [1]
            assert deliver_pending(db, settings).sent == 0 and receiver.received == []
            let_go(sending, [1])
        assert deliver_pending(db, settings).sent == 1
    assert "repeat" not in receiver.received[0]["json"]  # no attempt had begun: a first sending


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
    from newsmon.unscore import change_lines, explain, rescore

    settings = settings_for(Channel("hook", "json://127.0.0.1:9/alerts", "text"))
    store(db, un_article(), settings)
    store(db, un_article(2, title="本地天气预报", paragraphs=["明天有雨。"]), settings)
    with session(db) as s:
        for article_id, old_level in ((1, "none"), (2, "none")):  # as another lexicon scored them
            relevance = s.get(ArticleRelevance, article_id)
            relevance.model, relevance.level = "un-old", old_level
        queued = len(s.exec(select(Alert)).all())
    counts = rescore(db, load_lexicon())
    assert counts == {"scored": 2, "levels": {"core": 1, "none": 1}, "changed": {"bbc": {"none -> core": 1}}}
    assert change_lines(counts["changed"]) == ["bbc: 1 changed level (none -> core 1)"]
    assert rescore(db, load_lexicon())["scored"] == 0
    with session(db) as s:
        assert s.get(ArticleRelevance, 1).model == load_lexicon().fingerprint
        assert len(s.exec(select(Alert)).all()) == queued  # none -> core alerts nothing: the article is old news
    text = explain(db, 1)
    assert "level core" in text and "a UN body is named in the title" in text
    assert "[title] title, Security Council" in text


def test_channel_urls_from_the_environment_and_no_secret_shown_anywhere(
    db, tmp_path, monkeypatch, capsys, caplog, use_settings
):
    from newsmon.cli import main
    from newsmon.sources import load_registry

    token, password = "tok-9f8e7d6c5b4a", "pw-Zq81x-secret"
    monkeypatch.setenv("HOOK_TOKEN", token)
    monkeypatch.setenv("MAIL_PASSWORD", password)
    monkeypatch.delenv("UNSET_TOKEN", raising=False)
    caplog.set_level(logging.DEBUG, logger="apprise")  # what an operator debugging Apprise would see
    with WebhookReceiver() as hook, WebhookReceiver(status=500) as down, MailReceiver() as mail:
        mailto = f"mailto://newsmon:${{MAIL_PASSWORD}}@127.0.0.1:{mail.port}?mode=insecure&from=n@example.org&to=a@example.org"
        registry = tmp_path / "sources.toml"
        registry.write_text(f"""
[alerts]
channels = [
  {{ name = "hook", url = "{hook.url}/${{HOOK_TOKEN}}" }},
  {{ name = "mail", url = "{mailto}", format = "html" }},
  {{ name = "down", url = "json://newsmon:${{HOOK_TOKEN}}@127.0.0.1:{down.port}/alerts/${{HOOK_TOKEN}}" }},
  {{ name = "unset", url = "json://127.0.0.1:{down.port}/${{UNSET_TOKEN}}" }},
]
""", encoding="utf-8")
        use_settings(sources_path=registry)
        store(db, un_article(), load_registry().alerts)
        assert main(["alerts", "retry"]) == 1  # two channels fail
        # the secrets were used: the webhook got its token, the mail server the password
        assert [m["path"] for m in hook.received] == [f"/alerts/{token}"]
        assert mail.logins == [("newsmon", password)] and len(mail.messages) == 1
        assert main(["alerts", "list"]) == 0
        assert main(["alerts", "channels"]) == 0
        assert main(["alerts", "test", "down"]) == 1
        assert main(["alerts", "test", "unset"]) == 1
        monkeypatch.delenv("HOOK_TOKEN")
        assert main(["alerts", "channels"]) == 0
    printed = capsys.readouterr()
    with session(db) as s:
        errors = {a.channel: a.last_error or "" for a in s.exec(select(Alert))}
    everything = printed.out + printed.err + caplog.text + "".join(errors.values())
    assert token not in everything and password not in everything
    assert "sent" in printed.out and f"json://newsmon:****@127.0.0.1:{down.port}/alerts/***" in printed.out
    assert "environment MAIL_PASSWORD: mailto://newsmon:****@127.0.0.1" in printed.out
    assert "cannot send now: environment variable HOOK_TOKEN is not set" in printed.out  # once it is gone
    assert errors["hook"] == errors["mail"] == ""
    assert errors["down"].startswith("DeliveryFailed: the service refused the message") and "500" in errors["down"]
    assert "environment variable UNSET_TOKEN is not set" in errors["unset"]
    assert "unset: failed: environment variable UNSET_TOKEN is not set" in printed.err
