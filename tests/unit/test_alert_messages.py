"""Alert messages and channel secrets without a database: local times with their zone, escaping only what a format
needs, channel URLs from the environment, what is masked and what the registry refuses. (The same, sent through
Apprise to real receivers: tests/integration/test_alerts.py.)"""

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from markdown_it import MarkdownIt

from newsmon.alerts.message import AlertFacts, as_text, inert, items_markdown, local_time, render, render_digest
from newsmon.alerts.secrets import MASK, SecretUnavailable, resolve_url
from newsmon.alerts.settings import FORMATS, Channel, alert_settings, channel_lines

SUMMER = datetime(2026, 7, 22, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(("zone", "shown"), [
    ("Asia/Singapore", "2026-07-22 14:30 Singapore time (UTC+8)"),
    ("Europe/London", "2026-07-22 07:30 London time (UTC+1)"),
    ("America/New_York", "2026-07-22 02:30 New York time (UTC-4)"),
    ("Asia/Kolkata", "2026-07-22 12:00 Kolkata time (UTC+5:30)"),
    ("UTC", "2026-07-22 06:30 UTC"),
    ("Etc/GMT-8", "2026-07-22 14:30 UTC+8"),
])
def test_a_published_time_reads_in_the_zone_with_its_place_and_offset(zone, shown):
    assert local_time(SUMMER, ZoneInfo(zone)) == shown


def test_markdown_escapes_only_markup_so_dates_numbers_and_punctuation_stay_as_written():
    plain = "2020-11-24 联合国：第75届大会(纽约) 3.5% +1 #1 done! a=b {x}"
    assert inert(plain, "markdown") == plain
    assert inert("*a* _b_ `c` [d](e) <f> ~g~ |h| \\ &amp; & x", "markdown") == (
        r"\*a\* \_b\_ \`c\` \[d\](e) \<f\> \~g\~ \|h\| \\ \&amp; & x"
    )
    assert inert("two\nlines @here a@b.org", "text") == "two lines @\u200bhere a@\u200bb.org"


def test_every_outlet_text_of_a_message_is_inert_in_commonmark():
    hostile = "*bold* [x](https://phish.example) <b>b</b> `code` ~~gone~~"
    facts = AlertFacts(title=hostile, outlet="bbc", outlet_name="BBC News 中文", published_at=SUMMER, level="mention",
                       bodies=["WHO"], evidence=f"# {hostile}", url="https://www.bbc.com/zhongwen/simp/a-1",
                       article_id=42)
    _, body = render(facts, "markdown", ZoneInfo("Asia/Singapore"))
    html = MarkdownIt("commonmark").render(body)
    assert html.count("<a ") == 1 and html.count("<strong>") == 1  # the article's link, the headline
    for markup in ("<em>", "<code>", "<b>", "<h1>", "<del>", "<s>"):
        assert markup not in html
    assert "article id 42" in body and "BBC News 中文 · 2026-07-22 14:30 Singapore time (UTC+8)" in body


def test_each_message_carries_its_alert_key_and_a_repeat_says_so():
    facts = AlertFacts(title="安理会开会", outlet="bbc", outlet_name="BBC News 中文", published_at=SUMMER, level="core",
                       bodies=["Security Council"], evidence="", url="https://www.bbc.com/zhongwen/simp/a-1",
                       article_id=42, alert_id=12)
    zone = ZoneInfo("Asia/Singapore")
    for fmt in FORMATS:
        body = render(facts, fmt, zone)[1]
        assert body.endswith("<p>newsmon-alert-12</p>" if fmt == "html" else "\nnewsmon-alert-12"), body
        again = render(replace(facts, repeat=True), fmt, zone)[1]
        assert "repeat of newsmon-alert-12 (an earlier sending was cut off: it may have arrived)" in again
    digest = render_digest([facts, replace(facts, alert_id=13, repeat=True)], "markdown", zone)[1]
    assert digest.count("newsmon-alert-12") == 1 and "\n\nrepeat of newsmon-alert-13" in digest  # a line each
    for event in (facts, replace(facts, repeat=True)):  # the Prefect event carries the key too
        payload = event.event_payload()
        assert (payload["alert_id"], payload["alert_key"], payload["repeat"]) == (12, "newsmon-alert-12", event.repeat)
    test_message = replace(facts, alert_id=None)  # `newsmon alerts test`: no outbox row, no key
    assert "newsmon-alert" not in render(test_message, "text", zone)[1]


def test_titles_are_in_the_channel_format_and_read_as_written_as_plain_text():
    hostile = "安理会 <b>紧急</b> *bold* [x](https://phish.example) @everyone &amp; 3.5% “引号”"
    facts = AlertFacts(title=hostile, outlet="bbc", outlet_name="BBC", published_at=None, level="mention", bodies=[],
                       evidence="", url="", article_id=1, alert_id=1)
    for fmt in FORMATS:
        title = render(facts, fmt, ZoneInfo("UTC"))[0]
        assert title == f"[UN mention] {inert(hostile, fmt)}"
        assert as_text(title, fmt) == f"[UN mention] {inert(hostile, 'text')}"  # a mail's subject
    assert render(facts, "html", ZoneInfo("UTC"))[0].endswith("&amp;amp; 3.5% “引号”")  # only what HTML needs
    assert as_text(inert("a\\*b\\", "markdown"), "markdown") == "a\\*b\\"


def test_a_markdown_only_service_takes_only_markdown_channels():
    assert Channel("chat", "mmost://chat.example/token").format == "markdown"
    for url in ("discord://1/t", "mmosts://chat.example/token", "rocket://u:p@chat.example"):
        with pytest.raises(ValueError, match="shows every message as Markdown"):
            Channel("chat", url, "text")
    assert Channel("chat", "${CHAT_URL}", "html").format_problem("discord://1/t")  # a URL known only when sending
    assert Channel("mail", "mailto://u:p@example.org", "text").format_problem("mailto://u:p@example.org") is None


def test_the_un_items_table_lists_time_level_outlet_linked_title_evidence_and_id_newest_first():
    older = AlertFacts(title="秘书长 | 声明", outlet="voa", outlet_name="美国之音 VOA 中文", published_at=SUMMER,
                       level="mention", bodies=[], evidence="联合国秘书长发表声明。", url="https://www.voachinese.com/a/1.html",
                       article_id=7)
    newer = AlertFacts(title="安理会开会", outlet="bbc", outlet_name="BBC News 中文",
                       published_at=datetime(2026, 7, 23, 1, 0, tzinfo=UTC), level="core", bodies=["Security Council"],
                       evidence="安理会" * 60, url="javascript:alert(1)", article_id=8)
    table = items_markdown([older, newer], ZoneInfo("Asia/Singapore")).splitlines()
    assert table[2] == "| published (Singapore time) | level | outlet | article | evidence | id |"
    assert table[4] == f"| 2026-07-23 09:00 | core | BBC News 中文 | 安理会开会 | {'安理会' * 46}安理… | 8 |"
    assert table[5] == ("| 2026-07-22 14:30 | mention | 美国之音 VOA 中文 | "
                        "[秘书长 \\| 声明](<https://www.voachinese.com/a/1.html>) | 联合国秘书长发表声明。 | 7 |")
    assert items_markdown([], ZoneInfo("UTC")).endswith("None this run.")


def test_a_channel_url_takes_environment_variables_whole_or_inside_and_masks_them():
    environ = {"SLACK_URL": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#un-watch", "PW": "hunter22"}
    whole = resolve_url("${SLACK_URL}", "", None, environ)
    assert whole.url == environ["SLACK_URL"] and environ["SLACK_URL"] not in repr(whole)
    # the parts Apprise masks are masked on their own too, as an error quoting part of the URL would show them
    quoted = "POST /services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    assert whole.scrub(quoted) == f"POST /services/{MASK}/{MASK}/{MASK}"
    assert whole.redacted() == "slack://T...2/A...D/T...Q/%23un-watch/"
    inside = resolve_url("mailtos://alerts:${PW}@example.com", "", None, environ)
    assert inside.url == "mailtos://alerts:hunter22@example.com"
    assert inside.scrub("login alerts/hunter22 refused") == f"login alerts/{MASK} refused"
    with pytest.raises(SecretUnavailable, match="environment variable MISSING, EMPTY are not set"):
        resolve_url("json://${PW}@${MISSING}/${EMPTY}/${MISSING}", "", None, {"PW": "x", "EMPTY": ""})
    with pytest.raises(SecretUnavailable, match="Prefect Secret block 'slack-url'"):
        resolve_url("", "slack-url", None)
    assert resolve_url("", "slack-url", {"slack-url": environ["SLACK_URL"]}.__getitem__).url == environ["SLACK_URL"]


def test_the_registry_refuses_channels_it_could_not_use():
    def channels(*entries):
        return alert_settings({"alerts": {"channels": list(entries), "prefect_events": False}}).channels

    vault = channels({"name": "a", "secret": "a-url", "time_zone": "Europe/Paris"})[0]
    assert vault.url_source == "Prefect Secret block 'a-url'"
    for entry, why in [
        ({"name": "a"}, "give an Apprise url or the name of a Prefect Secret block"),
        ({"name": "a", "url": "json://x", "secret": "a-url"}, "one of the two"),
        ({"name": "a", "url": "json://${oops"}, r"write an environment variable as \$\{NAME\}"),
        ({"name": "a", "url": "json://$(HOME)/${HOME"}, "write an environment variable"),
        ({"name": "a", "url": "json://x", "time_zone": "Mars/Olympus"}, "no time zone 'Mars/Olympus'"),
    ]:
        with pytest.raises(ValueError, match=why):
            channels(entry)


def test_the_channel_list_shows_where_each_url_comes_from_and_no_secret(monkeypatch):
    monkeypatch.setenv("HOOK_URL", "json://newsmon:pa55word@127.0.0.1:8080/alerts")
    monkeypatch.delenv("NOT_SET", raising=False)
    settings = alert_settings({"alerts": {"channels": [
        {"name": "hook", "url": "${HOOK_URL}"}, {"name": "later", "url": "tgram://${NOT_SET}/-100"},
        {"name": "vault", "secret": "vault-url", "format": "html", "digest_minutes": 30},
    ]}})
    lines = channel_lines(settings)
    assert "pa55word" not in "\n".join(lines)
    assert lines[1::2] == ["receives mention and core, of every outlet".rjust(59)] * 4
    lines = lines[::2]
    assert lines[0].split() == ["hook", "markdown", "each", "alert", "Asia/Singapore", "environment", "HOOK_URL:",
                                "json://newsmon:****@127.0.0.1:8080/alerts"]
    assert lines[1].endswith("cannot send now: environment variable NOT_SET is not set")
    assert "digest 30 min" in lines[2] and "Prefect Secret block 'vault-url' (read when sending" in lines[2]
    assert lines[3].startswith("prefect-event")
    assert channel_lines(alert_settings({"alerts": {"prefect_events": False}})) == [
        "no alert channels: add them to [alerts] channels in sources.toml"
    ]
    assert Channel("x", "json://h/${A}").url_source == "environment A"
