"""Markup in a feed title and its evidence arrives inert on every channel, as Apprise's own plugins put it on the wire.

A stored UN article whose title and evidence carry HTML, Markdown, Slack and Discord markup, mentions and entities is
delivered through Apprise to Slack (Markdown and text), Discord, Telegram (Markdown and HTML), Mattermost, JSON
webhooks and mail (each format). Mattermost, JSON and mail go to real receivers on 127.0.0.1; the hosted services
(hooks.slack.com, discord.com, api.telegram.org) cannot be reached, so their requests are taken at the last step
before the network (requests' HTTPAdapter.send) exactly as the plugin prepared them, and answered as the service
would. Each payload is read by the rules of the service that will show it: nothing but the headline's bold, the
blockquote and the article's own link is markup, no mention can notify anyone, and the text reads as written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape

import pytest
import requests
from markdown_it import MarkdownIt
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.alerts.settings import Channel
from tests.integration.test_alerts import ARTICLE_URL, Markup, settings_for, store, un_article
from tests.mail_receiver import MailReceiver

HOSTILE = ("安理会 <b>x</b> *bold* _it_ [link](https://phish.example) <https://phish.example|click> @everyone @here "
           "<!channel> `tick` &amp; &lt;i&gt; 中文，标题！")
EVIDENCE = "联合国安理会 <b>y</b> *b* _i_ [l](https://phish.example) <@U1|x> @everyone `t` &lt;"  # one sentence: no "!"
SHOWN = HOSTILE.replace("@", "@\u200b")  # as a reader sees it: mentions broken by a zero-width space
EVIDENCE_SHOWN = EVIDENCE.replace("@", "@\u200b")
READABLE = "中文，标题！"  # Chinese and its punctuation go out as they are, never as entities or escapes
HOSTED = ("hooks.slack.com", "discord.com", "api.telegram.org")
MENTION = re.compile(r"@(everyone|here|channel|all)\b")  # <!channel> is a mention only as raw markup: checked there


@pytest.fixture
def hosted(monkeypatch) -> Iterator[dict[str, list[dict]]]:
    """The requests Apprise sends to hosted services, by host, answered as the service would; local requests go
    through to the local receivers."""
    captured: dict[str, list[dict]] = {host: [] for host in HOSTED}
    send = HTTPAdapter.send

    def at_the_boundary(adapter: HTTPAdapter, request: PreparedRequest, *args, **kwargs) -> Response:
        host = requests.utils.urlparse(request.url).hostname
        if host not in captured:
            return send(adapter, request, *args, **kwargs)
        body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
        captured[host].append(json.loads(body))
        answer = Response()
        answer.request, answer.url, answer.status_code = request, request.url, 200
        answer._content = b"ok" if host == "hooks.slack.com" else b'{"ok": true, "result": {"message_id": 1}}'
        return answer

    monkeypatch.setattr(HTTPAdapter, "send", at_the_boundary)
    yield captured


def unescaped(raw: str, markup: str) -> list[str]:
    """The markup characters of `raw` that no backslash escapes, each in its context."""
    found, i = [], 0
    while i < len(raw):
        if raw[i] == "\\":
            i += 2
            continue
        if raw[i] in markup:
            found.append(raw[max(0, i - 12) : i + 12])
        i += 1
    return found


def readable(raw: str) -> None:
    """Chinese and its punctuation went out as they are, not as entities or escapes."""
    assert READABLE in raw, raw


def markdown_inert(raw: str, *, title: bool = False) -> None:
    """CommonMark and the chat dialects built on it (Discord, Mattermost): outlet text escaped wherever it could be
    markup (Discord's ||spoilers||, ~~strikes~~ and __underlines__ included), and rendered, only our markup."""
    outlet_text = (raw.removeprefix("[UN core] ") if title  # the prefix is ours, and reads as no link
                   else re.sub(r"(?m)^> ", "", raw.replace(f"<{ARTICLE_URL}>", "", 1).replace("**", "", 2)))
    assert unescaped(outlet_text, "`*_[]<>~|") == [], raw
    shown = Markup(MarkdownIt("commonmark").renderInline(raw) if title else MarkdownIt("commonmark").render(raw))
    if title:
        assert shown.tags == [] and shown.text == f"[UN core] {SHOWN}"
    else:
        assert shown.links() == [ARTICLE_URL] and shown.count("strong") == 1
        assert {tag for tag, _ in shown.tags} <= {"p", "strong", "blockquote", "a"}
        assert SHOWN in shown.text and EVIDENCE_SHOWN in shown.text
    assert not MENTION.search(shown.text), shown.text
    readable(raw)


def html_inert(raw: str, *, title: bool = False, entities_read: bool = False) -> None:
    """HTML: only our elements; the outlet's text as text. `entities_read`: an entity the outlet wrote as text
    (`&amp;`) shows as its character, as Python-Markdown (Apprise's Markdown to HTML) reads an escaped one."""
    shown = Markup(raw)
    expected, evidence = (unescape(SHOWN), unescape(EVIDENCE_SHOWN)) if entities_read else (SHOWN, EVIDENCE_SHOWN)
    if title:
        assert shown.tags == [] and shown.text == f"[UN core] {expected}"
    else:
        assert shown.links() == [ARTICLE_URL] and shown.count("b") + shown.count("strong") == 1
        assert {tag for tag, _ in shown.tags} <= {"p", "b", "strong", "br", "blockquote", "a"}
        assert expected in shown.text and evidence in shown.text
    assert not MENTION.search(shown.text), shown.text
    readable(raw)


def text_inert(raw: str) -> None:
    assert SHOWN in raw.splitlines() and f"“{EVIDENCE_SHOWN}”" in raw.splitlines()
    assert not MENTION.search(raw), raw


def slack_inert(payload: dict, *, mrkdwn: bool) -> None:
    """Slack: `<...>` is a link or a mention, `&` starts an entity; in mrkdwn `*_~` and backticks format unless
    escaped. Its title is plain text, escaped by Apprise."""
    attachment = payload["attachments"][0]
    assert payload["mrkdwn"] is mrkdwn
    assert "<" not in attachment["title"] and unescape(attachment["title"]) == f"[UN core] {SHOWN}"
    text = attachment["text"]
    links = re.findall(r"<([^>]*)>", text)
    assert links == ([ARTICLE_URL] if mrkdwn else []), text
    if mrkdwn:  # the headline's bold is the only formatting
        headline, rest = text.split("\n", 1)
        assert headline[0] == headline[-1] == "*", text
        assert unescaped(f"{headline[1:-1]}\n{rest}", "*_~`") == [], text
    else:
        assert SHOWN in unescape(text).splitlines()
    assert not MENTION.search(unescape(text)), text
    readable(attachment["title"])
    readable(text)


def telegram_markdown_inert(payload: dict) -> None:
    """Telegram MarkdownV2: every reserved character outside an entity is escaped; the headline is our bold."""
    assert payload["parse_mode"] == "MarkdownV2"
    text = payload["text"]
    headline_end = text.index("\n") - 1
    assert text[0] == text[headline_end] == "*", text
    assert unescaped(text[1:headline_end] + text[headline_end + 1 :], "_*[]()~`>#+-=|{}.!") == [], text
    shown = re.sub(r"\\(.)", r"\1", text)
    assert SHOWN in shown and EVIDENCE_SHOWN in shown
    assert not MENTION.search(shown), shown
    readable(text)


def telegram_html_inert(payload: dict) -> None:
    assert payload["parse_mode"] == "HTML"
    html_inert(payload["text"])


@pytest.mark.fault("markup in a feed title and its evidence: <b>, *bold*, _it_, [link](url), <url|click>, @everyone, "
                   "@here, <!channel>, backticks, HTML entities",
                   "escaped for each channel's format, title included; mentions broken; on the wire of Slack, "
                   "Discord, Telegram, Mattermost, JSON and mail it shows as text", bad_inputs=10)
def test_markup_in_titles_arrives_inert_through_every_plugin(db, hosted):
    with WebhookReceiver() as webhook, WebhookReceiver() as mattermost, MailReceiver() as mail:
        mailto = f"mailto://127.0.0.1:{mail.port}?mode=insecure&from=newsmon@example.org&to=team@example.org"
        slack = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#un-watch"
        telegram = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890"
        channels = [
            Channel("slack-md", slack, "markdown"), Channel("slack-text", slack, "text"),
            Channel("discord", "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "markdown"),
            Channel("tgram-md", telegram, "markdown"), Channel("tgram-html", telegram, "html"),
            Channel("mattermost", f"mmost://127.0.0.1:{mattermost.port}/hooktoken", "markdown"),
            *(Channel(f"json-{fmt}", webhook.url, fmt) for fmt in ("markdown", "html", "text")),
            *(Channel(f"mail-{fmt}", mailto, fmt) for fmt in ("markdown", "html", "text")),
        ]
        settings = settings_for(*channels)
        store(db, un_article(title=HOSTILE, paragraphs=[EVIDENCE + "。", "多国代表发言。"]), settings)
        report = deliver_pending(db, settings)
        assert (report.sent, report.failed) == (len(channels), 0), report.errors
    slack_markdown, slack_text = hosted["hooks.slack.com"]
    slack_inert(slack_markdown, mrkdwn=True)
    slack_inert(slack_text, mrkdwn=False)
    (discord,) = hosted["discord.com"]
    embed = discord["embeds"][0]
    markdown_inert(embed["title"], title=True)  # an embed's title reads Markdown too
    markdown_inert(embed["description"])
    telegram_markdown, telegram_html = hosted["api.telegram.org"]
    telegram_markdown_inert(telegram_markdown)
    telegram_html_inert(telegram_html)
    markdown_inert(mattermost.received[0]["json"]["text"])
    json_markdown, json_html, json_text = (message["json"] for message in webhook.received)
    markdown_inert(json_markdown["title"], title=True)
    markdown_inert(json_markdown["message"])
    html_inert(json_html["title"], title=True)
    html_inert(json_html["message"])
    assert json_text["title"] == f"[UN core] {SHOWN}"
    text_inert(json_text["message"])
    for message in mail.messages:  # a subject is plain text: shown as written, mentions broken
        assert message["Subject"] == f"[UN core] {SHOWN}"
    mail_markdown, mail_html, mail_text = mail.messages
    html_inert(mail_markdown.get_body(("html",)).get_content(), entities_read=True)  # Apprise makes it HTML
    html_inert(mail_html.get_body(("html",)).get_content())
    text_inert(mail_text.get_body(("plain",)).get_content())


@pytest.mark.fault("a channel on a service that reads Markdown in every message (Discord, Mattermost) set to text "
                   "or HTML", "refused with a clear error, in the registry or when its URL is read; nothing is sent "
                   "and the alert stays pending")
def test_a_markdown_only_service_refuses_other_formats(db, hosted, monkeypatch):
    with pytest.raises(ValueError, match=r"discord:// shows every message as Markdown.*use format = \"markdown\""):
        Channel("chat", "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "text")
    monkeypatch.setenv("CHAT_URL", "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js")
    settings = settings_for(Channel("chat", "${CHAT_URL}", "html"))  # the scheme is known only when sending
    store(db, un_article(title=HOSTILE), settings)
    report = deliver_pending(db, settings)
    assert (report.sent, report.failed) == (0, 1) and "use format = \"markdown\"" in report.errors[0]
    assert hosted["discord.com"] == []
