"""Send pending alerts and record each delivery (attempts, sent time, last error).

An alert is sent at least once per channel and at most once more, recognisably: delivery holds it with an advisory
lock of its connection (an overlapping delivery skips it), commits the attempt (`sending_since`) before calling the
channel, and its outcome after. Killed before the channel answered, the process leaves the alert `sending_since` and
unheld: the next delivery sends it again as a possible repeat, with the same key (newsmon-alert-ID) marked "repeat of"
in the text, a `repeat` field in the JSON payload and `repeat: true` in the Prefect event, so a receiver can drop it.
Nothing else is sent twice: a failed attempt (an error recorded) is retried as a first sending, a sent one never."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache, partial

import apprise
import psycopg
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from newsmon.storage.models import Alert
from newsmon.storage.outbox import (
    alert_view,
    begin_attempt,
    hold_for_sending,
    let_go,
    pending_alert_ids,
    record_outcome,
)
from newsmon.storage.search import story_articles

from .message import AlertFacts, StoryMention, as_text, render, render_digest
from .secrets import ChannelTarget, SecretLookup
from .settings import AlertSettings, Channel

# sender(channel, title, body, facts, alert ids); raises when the message did not go out
Sender = Callable[[Channel, str, str, list[AlertFacts], list[int]], None]

_FORMATS = {
    "markdown": apprise.NotifyFormat.MARKDOWN, "html": apprise.NotifyFormat.HTML, "text": apprise.NotifyFormat.TEXT
}
# services whose title field is plain text, shown as written: a mail's subject, Slack's title (Apprise escapes its
# &, <, > itself); they get the title without the format's escapes
_PLAIN_TITLES = frozenset({"mailto", "mailtos", "slack"})
# Apprise's generic JSON webhooks, whose payload takes extra fields from the URL (`:name=value`): the alert keys
_JSON_WEBHOOKS = frozenset({"json", "jsons"})


class DeliveryFailed(Exception):
    """A message did not go out; the text holds no secret of the channel."""


def send_apprise(
    channel: Channel,
    title: str,
    body: str,
    facts: list[AlertFacts],
    alert_ids: list[int],
    secret_lookup: SecretLookup | None = None,
) -> None:
    """Send through the channel's Apprise URL, resolved now (environment, or a Prefect Secret block through
    `secret_lookup`). Errors and Apprise's log records are scrubbed of the URL's secrets."""
    target = channel.target(secret_lookup)
    if problem := channel.format_problem(target.url):
        raise DeliveryFailed(problem)
    try:
        _notify(channel, target, title, body, facts)
    except DeliveryFailed:
        raise
    except Exception as error:  # whatever Apprise or the network raised may quote the URL
        raise DeliveryFailed(target.scrub(f"{type(error).__name__}: {error}")) from None


def _notify(channel: Channel, target: ChannelTarget, title: str, body: str, facts: list[AlertFacts]) -> None:
    scheme = target.url.split("://")[0].lower() if "://" in target.url else ""
    with target.apprise_log() as warnings:
        notifier = apprise.Apprise()
        if not notifier.add(_apprise_service(target.url, scheme, channel.format, facts)):
            raise DeliveryFailed(f"not an Apprise URL Apprise can use ({f'{scheme}://…' if scheme else 'no scheme'})"
                                 f"{_detail(warnings)}")
        # a service without a title field gets the title folded into the body by Apprise; the body starts with the
        # headline anyway
        if notifier[0].title_maxlen <= 0:
            title = ""
        elif scheme in _PLAIN_TITLES:
            title = as_text(title, channel.format)
        sent = notifier.notify(title=title, body=body, body_format=_FORMATS[channel.format])
    if not sent:
        raise DeliveryFailed(f"the service refused the message or could not be reached{_detail(warnings)}")


def _detail(warnings: list[str]) -> str:
    """Apprise's own words on what went wrong (scrubbed)."""
    return f": {'; '.join(dict.fromkeys(warnings))}" if warnings else ""


def _apprise_service(url: str, scheme: str, fmt: str, facts: list[AlertFacts]) -> str | dict:
    """The channel's URL with what this message needs Apprise to know: that the service takes our format as it is
    (otherwise it converts, HTML to text unescaping the entities that keep a hostile title harmless, for services
    whose default format differs); for Telegram, MarkdownV2, whose escapes hold inside the bold headline too (legacy
    Markdown reads them literally there). A JSON webhook's is Apprise's parsed form of it (a dict), its payload
    fields extended with the alert keys and the stories' other articles (a list, which a URL cannot carry)."""
    if not scheme:
        return url
    options = [] if "format=" in url else [f"format={fmt}"]
    if scheme == "tgram" and fmt == "markdown" and "mdv=" not in url:
        options.append("mdv=v2")
    url = f"{url}{'&' if '?' in url else '?'}{'&'.join(options)}" if options else url
    keys = [f.key for f in facts if f.key]
    service = apprise.plugins.url_to_dict(url) if scheme in _JSON_WEBHOOKS and keys else None
    if service is None:  # not a JSON webhook, a test message, or a URL Apprise cannot read (adding it says so)
        return url
    fields: dict[str, object] = {"alert_key": " ".join(keys)}
    if repeats := [f.key for f in facts if f.key and f.repeat]:
        fields["repeat"] = " ".join(repeats)
    fields["also_reported_by"] = [{"alert_key": f.key} | mention.to_json()
                                  for f in facts if f.key for mention in f.also_reported_by]
    service["payload"] = service.get("payload", {}) | fields
    return service


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # channels this process cannot send to (prefect-event)
    quiet: list[str] = field(default_factory=list)  # channels in their quiet hours: their alerts wait

    def line(self) -> str:
        text = f"alerts: {self.sent} sent, {self.failed} failed"
        text += f" ({'; '.join(self.errors[:3])})" if self.errors else ""
        return text + (f"; held for quiet hours: {', '.join(self.quiet)}" if self.quiet else "")


def deliver_pending(
    engine: Engine,
    settings: AlertSettings,
    senders: dict[str, Sender] | None = None,
    now: datetime | None = None,
    channels: list[str] | None = None,
    secret_lookup: SecretLookup | None = None,
) -> DeliveryReport:
    """Send what is pending on every channel (or the named ones) that has a sender here and is not in its quiet
    hours. `secret_lookup` reads the Prefect Secret blocks channels name (each at most once per call)."""
    apprise_sender = partial(send_apprise, secret_lookup=cache(secret_lookup) if secret_lookup else None)
    senders = {"apprise": apprise_sender} | (senders or {})
    report = DeliveryReport()
    with engine.connect() as connection:  # one connection: the locks of the alerts being sent are its own
        for channel in settings.channels:
            if channels is not None and channel.name not in channels:
                continue
            sender = senders.get(channel.kind)
            if sender is None:
                report.waiting.append(channel.name)
                continue
            zone = settings.zone_of(channel)
            if channel.quiet_at(now or datetime.now(UTC), zone):
                report.quiet.append(channel.name)
                continue
            with _transaction(connection) as s:
                pending = pending_alert_ids(s, channel.name)
            if channel.digest_minutes:
                oldest_due = (now or datetime.now(UTC)) - timedelta(minutes=channel.digest_minutes)
                _send(connection, pending, channel, sender, report,
                      compose=lambda facts: render_digest(facts, channel.format, zone),  # noqa: B023 (called here)
                      due=lambda alerts: alerts[0].created_at <= oldest_due)  # noqa: B023
            else:
                for alert_id in pending:
                    _send(connection, [alert_id], channel, sender, report,
                          compose=lambda facts: render(facts[0], channel.format, zone))  # noqa: B023
    return report


@contextmanager
def _transaction(connection: Connection) -> Iterator[Session]:
    """A Session on the delivery's connection, committed when the block succeeds; its objects stay readable."""
    with Session(connection, expire_on_commit=False) as s:
        yield s
        s.commit()


def _send(
    connection: Connection,
    alert_ids: list[int],
    channel: Channel,
    sender: Sender,
    report: DeliveryReport,
    compose: Callable[[list[AlertFacts]], tuple[str, str]],
    due: Callable[[list[Alert]], bool] = lambda alerts: True,
) -> None:
    """Send, in one message (one alert, or a digest that is due), the alerts no other delivery holds."""
    with _transaction(connection) as s:
        alerts = hold_for_sending(s, alert_ids)
    if not alerts:
        return
    try:
        if due(alerts):
            _attempt(connection, alerts, channel, sender, report, compose)
    finally:
        with _transaction(connection) as s:
            let_go(s, [a.id for a in alerts if a.id is not None])


def _attempt(connection: Connection, alerts: list[Alert], channel: Channel, sender: Sender, report: DeliveryReport,
             compose: Callable[[list[AlertFacts]], tuple[str, str]]) -> None:
    attempted = datetime.now(UTC)
    with _transaction(connection) as s:
        s.add_all(alerts)
        repeats = begin_attempt(alerts, attempted)
        facts = [replace(f, repeat=repeat) for f, repeat in zip(alert_facts(s, alerts), repeats, strict=True)]
    # the attempt is committed: killed from here on, this process leaves the alerts to be sent again as repeats
    title, body = compose(facts)
    try:
        sender(channel, title, body, facts, [a.id for a in alerts if a.id is not None])
        error = None
    except Exception as exc:  # one channel failing never stops the others; the error is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
    with _transaction(connection) as s:
        s.add_all(alerts)
        record_outcome(alerts, attempted, error)
    if error:
        report.failed += len(alerts)
        report.errors.append(f"{channel.name}: {error}")
    else:
        report.sent += len(alerts)


def alert_facts(s: Session, alerts: list[Alert]) -> list[AlertFacts]:
    """What the message of each alert says, read from its article and relevance, and the other articles of its
    article's story stored by now, first teller first."""
    view = alert_view(s, [a.id for a in alerts if a.id is not None])  # all of them: rows read from the table
    # the story as `newsmon story` lists it, read on this session's own connection (its transaction)
    connection = s.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection)  # the engine's driver (storage/engine.py)
    facts = []
    for alert in alerts:
        assert alert.id is not None
        article, relevance, outlet_name = view[alert.id]
        found = relevance.evidence if relevance else []
        # a sentence of the body says more than the title the message already shows
        in_body = [e for e in found if e.get("paragraph", -1) >= 0 and e.get("sentence")]
        evidence = (in_body or found or [{"sentence": ""}])[0]["sentence"]
        facts.append(AlertFacts(
            title=article.title, outlet=article.outlet, outlet_name=outlet_name or article.outlet,
            published_at=article.published_at, level=alert.level, bodies=list(relevance.bodies) if relevance else [],
            evidence=evidence, url=article.url, article_id=article.id, alert_id=alert.id,
            also_reported_by=tuple(
                StoryMention(other.id, other.outlet, other.outlet_name, other.title, other.url, other.published_at)
                for other in story_articles(connection, alert.article_id) or [] if other.id != alert.article_id
            ),
        ))
    return facts
