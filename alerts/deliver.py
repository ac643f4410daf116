"""Send pending alerts and record each delivery (sent time, attempts, last error).

Each alert is locked (SELECT ... FOR UPDATE SKIP LOCKED) while it is sent and marked sent in the same
transaction: two overlapping runs never send one alert twice, and an alert whose run died before sending it stays
pending for the next run. (A run killed in the instant between the receiver's answer and the commit would send it
again; the outbox id in each message lets a receiver drop that rare repeat.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial

import apprise
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from newsmon.storage.engine import session
from newsmon.storage.models import Alert
from newsmon.storage.outbox import alert_view, claim_pending_alerts

from .message import AlertFacts, render, render_digest
from .secrets import ChannelTarget, SecretLookup
from .settings import AlertSettings, Channel

# sender(channel, title, body, facts, alert ids); raises when the message did not go out
Sender = Callable[[Channel, str, str, list[AlertFacts], list[int]], None]

_FORMATS = {
    "markdown": apprise.NotifyFormat.MARKDOWN, "html": apprise.NotifyFormat.HTML, "text": apprise.NotifyFormat.TEXT
}


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
    try:
        _notify(channel, target, title, body)
    except DeliveryFailed:
        raise
    except Exception as error:  # whatever Apprise or the network raised may quote the URL
        raise DeliveryFailed(target.scrub(f"{type(error).__name__}: {error}")) from None


def _notify(channel: Channel, target: ChannelTarget, title: str, body: str) -> None:
    with target.apprise_log() as warnings:
        notifier = apprise.Apprise()
        if not notifier.add(_with_format(target.url, channel.format)):
            scheme = target.url.split("://")[0] + "://…" if "://" in target.url else "no scheme"
            raise DeliveryFailed(f"not an Apprise URL Apprise can use ({scheme}){_detail(warnings)}")
        # a service without a title field gets the title folded into the body as markup, unescaped; the body
        # starts with the headline anyway
        titled = notifier[0].title_maxlen > 0
        sent = notifier.notify(title=title if titled else "", body=body, body_format=_FORMATS[channel.format])
    if not sent:
        raise DeliveryFailed(f"the service refused the message or could not be reached{_detail(warnings)}")


def _detail(warnings: list[str]) -> str:
    """Apprise's own words on what went wrong (scrubbed)."""
    return f": {'; '.join(dict.fromkeys(warnings))}" if warnings else ""


def _with_format(url: str, fmt: str) -> str:
    """Tell Apprise the service takes our format as it is: otherwise it converts (HTML to text, unescaping the
    entities that keep a hostile title harmless) for services whose default format differs."""
    if "format=" in url or "://" not in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}format={fmt}"


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # channels this process cannot send to (prefect-event)

    def line(self) -> str:
        text = f"alerts: {self.sent} sent, {self.failed} failed"
        return text + (f" ({'; '.join(self.errors[:3])})" if self.errors else "")


def deliver_pending(
    engine: Engine,
    settings: AlertSettings,
    senders: dict[str, Sender] | None = None,
    now: datetime | None = None,
    channels: list[str] | None = None,
    secret_lookup: SecretLookup | None = None,
) -> DeliveryReport:
    """Send what is pending on every channel (or the named ones) that has a sender here. `secret_lookup` reads the
    Prefect Secret blocks channels name (each at most once per call)."""
    apprise_sender = partial(send_apprise, secret_lookup=cache(secret_lookup) if secret_lookup else None)
    senders = {"apprise": apprise_sender} | (senders or {})
    report = DeliveryReport()
    for channel in settings.channels:
        if channels is not None and channel.name not in channels:
            continue
        sender = senders.get(channel.kind)
        if sender is None:
            report.waiting.append(channel.name)
        elif channel.digest_minutes:
            _deliver_digest(engine, settings, channel, sender, now or datetime.now(UTC), report)
        else:
            _deliver_each(engine, settings, channel, sender, report)
    return report


def _deliver_each(engine, settings: AlertSettings, channel: Channel, sender: Sender, report: DeliveryReport) -> None:
    with session(engine) as s:
        ids = list(s.exec(select(Alert.id).where(Alert.channel == channel.name, col(Alert.sent_at).is_(None))
                          .order_by(col(Alert.created_at), col(Alert.id))))
    for alert_id in ids:
        with session(engine) as s:
            alert = s.exec(
                select(Alert)
                .where(Alert.id == alert_id, col(Alert.sent_at).is_(None))
                .with_for_update(skip_locked=True)
            ).first()
            if alert is None:  # sent meanwhile, or being sent by an overlapping run
                continue
            facts = alert_facts(s, [alert])
            title, body = render(facts[0], channel.format, settings.zone_of(channel))
            _attempt([alert], channel, sender, title, body, facts, report)


def _deliver_digest(engine, settings, channel: Channel, sender: Sender, now: datetime, report: DeliveryReport) -> None:
    with session(engine) as s:
        alerts = claim_pending_alerts(s, channel.name)
        if not alerts or alerts[0].created_at > now - timedelta(minutes=channel.digest_minutes):
            return  # the oldest has not waited a digest period yet
        facts = alert_facts(s, alerts)
        title, body = render_digest(facts, channel.format, settings.zone_of(channel))
        _attempt(alerts, channel, sender, title, body, facts, report)


def _attempt(alerts: list[Alert], channel, sender, title, body, facts, report) -> None:
    attempted = datetime.now(UTC)
    try:
        sender(channel, title, body, facts, [a.id for a in alerts])
        error = None
    except Exception as exc:  # one channel failing never stops the others; the error is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
    for alert in alerts:
        alert.attempts += 1
        alert.last_attempt_at = attempted
        alert.last_error = error
        alert.sent_at = None if error else attempted
    if error:
        report.failed += len(alerts)
        report.errors.append(f"{channel.name}: {error}")
    else:
        report.sent += len(alerts)


def alert_facts(s: Session, alerts: list[Alert]) -> list[AlertFacts]:
    """What the message of each alert says, read from its article and relevance."""
    view = alert_view(s, [a.id for a in alerts if a.id is not None])  # all of them: rows read from the table
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
            evidence=evidence, url=article.url, article_id=article.id,
        ))
    return facts
