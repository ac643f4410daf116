"""One alert per story and channel, against a real PostgreSQL and real receivers on 127.0.0.1: a later outlet's copy
of a story joins the story's alert (named under "Also reported by" in every format and as `also_reported_by` in the
JSON payload) instead of raising its own, before the alert is sent as after; other stories and articles without a
story alert as before.

Each test says which story an article is in (articles.story_id, what storing assigns from newsmon.stories), so what
is tested is the alerting, whatever the detector would make of the test texts."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlmodel import select

from newsmon.alerts.deliver import deliver_pending
from newsmon.alerts.outbox import score_and_queue
from newsmon.alerts.preview import preview
from newsmon.alerts.receiver import WebhookReceiver
from newsmon.alerts.settings import AlertSettings, Channel
from newsmon.model import Article
from newsmon.parsers import parser_for
from newsmon.storage.articles import store_article
from newsmon.storage.connect import connect
from newsmon.storage.engine import session
from newsmon.storage.feeds import ensure_source
from newsmon.storage.models import Alert
from newsmon.storage.search import un_related_since
from tests.integration.test_alerts import PUBLISHED, Markup, settings_for, un_article
from tests.mail_receiver import MailReceiver

VOA_URL = "https://www.voachinese.com/a/un-security-council-ukraine/7000001.html"
ZAOBAO_URL = "https://www.zaobao.com.sg/realtime/world/story20261122-7000002"
ANOTHER_STORY = {"title": "联合国秘书长呼吁加沙停火", "paragraphs": ["联合国秘书长古特雷斯星期三呼吁立即停火。"]}


def store(engine, article: Article, settings: AlertSettings, story: int | None) -> int:
    """Store as a run does (the outlet's sources row, the article, its story, its relevance and alerts, in one
    transaction), the article in the story of that id (None: no story yet); its id."""
    with session(engine) as s:
        now = datetime.now(UTC)
        outlet = parser_for(article.outlet)
        ensure_source(s, article.outlet, outlet.name, article.outlet, outlet.zone.key)
        result = store_article(s, article, None, now, "test")
        s.connection().execute(sa.text("UPDATE articles SET story_id = :story WHERE id = :id"),
                               {"story": story, "id": result.id})
        score_and_queue(s, result.id, article, result.outcome, settings, now)
    return result.id


def copy_from(outlet: str, url: str, minutes_later: int, **fields) -> Article:
    """The story of un_article() as another outlet tells it, published that many minutes after BBC."""
    return un_article(outlet=outlet, url=url, article_id=url.rsplit("/", 1)[-1],
                      published_at=PUBLISHED + timedelta(minutes=minutes_later), **fields)


def outbox(engine) -> list[tuple[int, int | None, str]]:
    with session(engine) as s:
        return [(a.article_id, a.story_id, a.channel) for a in s.exec(select(Alert).order_by(Alert.id))]


def test_two_outlets_copies_of_a_story_are_one_alert_per_channel_naming_the_later_outlets(db):
    with WebhookReceiver() as receiver, MailReceiver() as mail:
        mailto = f"mailto://127.0.0.1:{mail.port}?mode=insecure&from=newsmon@example.org&to=team@example.org"
        settings = settings_for(*(Channel(fmt, receiver.url, fmt) for fmt in ("markdown", "html", "text")),
                                Channel("mail", mailto, "markdown"))
        assert store(db, un_article(), settings, story=1) == 1
        store(db, copy_from("voa", VOA_URL, 45), settings, story=1)
        store(db, copy_from("zaobao", ZAOBAO_URL, 15), settings, story=1)  # stored last, told second
        assert outbox(db) == [(1, 1, "markdown"), (1, 1, "html"), (1, 1, "text"), (1, 1, "mail")]
        assert deliver_pending(db, settings).sent == 4
    markdown, html, text = (message["json"] for message in receiver.received)
    zaobao = f"联合早报 Lianhe Zaobao · 2026-11-22 14:45 Singapore time (UTC+8) · {ZAOBAO_URL}"
    voa = f"美国之音 VOA 中文 · 2026-11-22 15:15 Singapore time (UTC+8) · {VOA_URL}"
    assert text["message"].splitlines()[-4:] == ["Also reported by:", zaobao, voa, "newsmon-alert-3"]
    assert f"\n\nAlso reported by:\n- {zaobao.replace(ZAOBAO_URL, f'<{ZAOBAO_URL}>')}\n- " in markdown["message"]
    shown = MarkdownIt("commonmark").render(markdown["message"])
    assert Markup(shown).links()[1:] == [ZAOBAO_URL, VOA_URL] and shown.count("<li>") == 2
    read = Markup(html["message"])
    assert read.links()[1:] == [ZAOBAO_URL, VOA_URL] and zaobao in read.text and voa in read.text
    assert f'Also reported by:<br>\n联合早报 Lianhe Zaobao · 2026-11-22 14:45 Singapore time (UTC+8) · <a href="' \
           f'{ZAOBAO_URL}">{ZAOBAO_URL}</a><br>\n' in html["message"]
    assert text["also_reported_by"] == [
        {"alert_key": "newsmon-alert-3", "article_id": 3, "outlet": "zaobao", "outlet_name": "联合早报 Lianhe Zaobao",
         "title": "安理会就乌克兰局势举行紧急会议", "url": ZAOBAO_URL, "published_at": "2026-11-22T06:45:00+00:00"},
        {"alert_key": "newsmon-alert-3", "article_id": 2, "outlet": "voa", "outlet_name": "美国之音 VOA 中文",
         "title": "安理会就乌克兰局势举行紧急会议", "url": VOA_URL, "published_at": "2026-11-22T07:15:00+00:00"},
    ]
    assert text["alert_key"] == "newsmon-alert-3"  # the key is still the alert's own
    mailed = Markup(mail.messages[0].get_body(("html",)).get_content())  # Apprise's HTML of the Markdown
    assert mailed.links()[1:] == [ZAOBAO_URL, VOA_URL] and "美国之音 VOA 中文 · 2026-11-22 15:15" in mailed.text


def test_a_story_already_alerted_gets_no_new_alert_from_a_later_outlet(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        store(db, un_article(), settings, story=1)
        assert deliver_pending(db, settings).sent == 1
        store(db, copy_from("voa", VOA_URL, 45), settings, story=1)
        assert deliver_pending(db, settings).sent == 0
        assert outbox(db) == [(1, 1, "hook")] and len(receiver.received) == 1
        assert receiver.received[0]["json"]["also_reported_by"] == []  # sent before VOA told it


def test_a_story_first_told_below_the_threshold_is_alerted_once_with_its_first_teller(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        store(db, copy_from("zaobao", ZAOBAO_URL, -30, title="乌克兰局势", paragraphs=["各方举行会谈。"]),
              settings, story=1)  # no UN in its text: no alert
        store(db, un_article(), settings, story=1)
        store(db, copy_from("voa", VOA_URL, 45), settings, story=1)
        assert outbox(db) == [(2, 1, "hook")]
        assert deliver_pending(db, settings).sent == 1
    assert [(other["outlet"], other["article_id"]) for other in receiver.received[0]["json"]["also_reported_by"]] == [
        ("zaobao", 1), ("voa", 3)
    ]


def test_articles_of_different_stories_are_separate_alerts(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        store(db, un_article(), settings, story=1)
        store(db, copy_from("voa", VOA_URL, 45, **ANOTHER_STORY), settings, story=2)
        assert outbox(db) == [(1, 1, "hook"), (2, 2, "hook")]
        assert deliver_pending(db, settings).sent == 2
    assert [message["json"]["also_reported_by"] for message in receiver.received] == [[], []]


def test_articles_without_a_story_alert_as_before(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("hook", receiver.url, "text"))
        store(db, un_article(), settings, story=None)
        store(db, copy_from("voa", VOA_URL, 45), settings, story=None)
        store(db, un_article(paragraphs=["联合国安理会星期五举行紧急会议。", "会议未能通过决议。"]), settings,
              story=None)  # a revision of the first: no alert again
        assert outbox(db) == [(1, None, "hook"), (2, None, "hook")]
        assert deliver_pending(db, settings).sent == 2
    assert [message["json"]["also_reported_by"] for message in receiver.received] == [[], []]
    assert "Also reported by" not in receiver.received[0]["json"]["message"]


def test_a_digest_names_each_alerts_story(db):
    with WebhookReceiver() as receiver:
        settings = settings_for(Channel("daily", receiver.url, "text", digest_minutes=30))
        store(db, un_article(), settings, story=1)
        store(db, un_article(2, **ANOTHER_STORY), settings, story=2)
        store(db, copy_from("voa", VOA_URL, 45), settings, story=1)
        assert deliver_pending(db, settings, now=datetime.now(UTC) + timedelta(minutes=31)).sent == 2
    (digest,) = (message["json"] for message in receiver.received)
    assert digest["alert_key"] == "newsmon-alert-1 newsmon-alert-2"
    assert [(other["alert_key"], other["outlet"]) for other in digest["also_reported_by"]] == [
        ("newsmon-alert-1", "voa")
    ]
    first, second = digest["message"].split("\n\n")
    assert "Also reported by:\n美国之音 VOA 中文 · " in first and "Also reported by" not in second


def test_preview_of_a_window_leaves_out_a_story_alerted_before_it(db):
    settings = settings_for(Channel("hook", "json://127.0.0.1:9/hook", "text"))
    store(db, un_article(), settings, story=1)  # BBC, before the window
    store(db, copy_from("voa", VOA_URL, 45), settings, story=1)  # VOA, 45 minutes later: in the window
    store(db, un_article(n=2, **ANOTHER_STORY), settings, story=3)  # another story, in the window
    since = PUBLISHED + timedelta(minutes=30)
    with db.connect() as connection:
        connection.execute(sa.text("UPDATE articles SET published_at = :at WHERE id = 3"),
                           {"at": PUBLISHED + timedelta(hours=1)})
        connection.commit()
    with connect() as connection:
        articles = un_related_since(connection, since)
    assert [(scored.article.id, scored.in_window) for scored in articles] == [(1, False), (2, True), (3, True)]
    alerts = preview(settings.channel("hook"), settings, articles)
    assert [(alert.article.id, alert.also) for alert in alerts] == [(3, [])]  # the outbox holds alerts for 1 and 3
    assert {article_id for article_id, _, _ in outbox(db)} == {1, 3}
