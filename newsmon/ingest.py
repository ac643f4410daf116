"""Poll outlets' feeds, cut out each new article, store it once, send the alerts: the one composition that
`newsmon run --no-prefect` calls directly and the Prefect flows call through their tasks.

The steps are typed functions of plain values (an outlet key, feed items, reports) that resolve their resources
(registry, fetcher, engine) inside; `ingest_outlet` and `ingest_all` take the steps as arguments, so a flow passes
its tasks and subflows and runs exactly this code. Nothing here imports Prefect.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from newsmon.alerts.deliver import DeliveryReport, Sender, alert_facts, deliver_pending
from newsmon.alerts.message import items_markdown
from newsmon.alerts.outbox import score_and_queue
from newsmon.alerts.secrets import SecretLookup
from newsmon.failure_policy import FailurePolicy
from newsmon.fetch import Fetcher, FetchResult, Politeness, decode_html
from newsmon.model import Article, ParseError, RawInput, Reason, Stage
from newsmon.parsers import OutletParser
from newsmon.parsers.feed import FeedItem, add_distinct, read_feed
from newsmon.settings import trial_when_replayed
from newsmon.sources import Registry, Source, load_registry
from newsmon.storage.articles import find_article, store_article
from newsmon.storage.engine import get_engine, session
from newsmon.storage.failures import (
    failure_raw_input,
    gave_up_now,
    live_failures,
    pending_item_failures,
    record_item_failure,
    resolve_item_failure,
)
from newsmon.storage.feeds import (
    advance_validators,
    ensure_feed,
    ensure_source,
    feed_due,
    feed_validators,
    log_fetch,
    record_feed_result,
)
from newsmon.storage.models import ItemFailure
from newsmon.storage.outbox import alerts_created_since

ITEM_WORKERS = 4


@dataclass
class OutletReport:
    """One outlet's run. Every item is accounted for: items_seen (today's feeds) + retried (earlier failures not
    in them) = new + updated + duplicates + failed + still_failing + given_up + deferred. `errors` are the new
    failures (an item failing for the first time, a feed starting to fail): only they fail the run; known ones
    failing again are in `still_failing_errors`, the items given up this run in `given_up_items`."""

    outlet: str
    feeds_fetched: int = 0
    not_modified: int = 0
    feeds_failed: int = 0  # new and known failures alike
    feeds_deferred: int = 0  # failing feeds left alone until their back-off is over
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    failed: int = 0  # items failing for the first time
    still_failing: int = 0  # known failures tried again and failing again
    given_up: int = 0  # known failures failing once too often: given up now
    deferred: int = 0  # items of today's feeds whose failure waits for its next attempt, or was given up or dismissed
    retried: int = 0
    seconds: float = 0.0
    budget_ends_at: float | None = None  # time.time() by which the outlet's requests end: its time budget
    # feed url -> (ETag, Last-Modified) of this run's 200s: they move once the items they cover are stored
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    still_failing_errors: list[str] = field(default_factory=list)
    given_up_items: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        outcomes = self.new + self.updated + self.duplicates + self.failed + self.still_failing + self.given_up
        return self.items_seen + self.retried == outcomes + self.deferred

    def line(self) -> str:
        more = [f"{count} {what}" for count, what in [
            (self.feeds_deferred, "feeds deferred"), (self.still_failing, "still failing"),
            (self.given_up, "given up"), (self.deferred, "deferred"),
        ] if count]
        return (
            f"{self.outlet}: {self.feeds_fetched} feeds fetched, {self.not_modified} not modified, "
            f"{self.feeds_failed} feeds failed, {self.items_seen} items, {self.new} new, {self.updated} updated, "
            f"{self.duplicates} duplicates, {self.failed} failed{''.join(', ' + m for m in more)} "
            f"({self.seconds:.1f} s)"
        )

    def row(self) -> dict:
        return {
            "outlet": self.outlet, "feeds_fetched": self.feeds_fetched, "not_modified": self.not_modified,
            "feeds_failed": self.feeds_failed, "feeds_deferred": self.feeds_deferred, "items_seen": self.items_seen,
            "new": self.new, "updated": self.updated, "duplicates": self.duplicates, "failed": self.failed,
            "still_failing": self.still_failing, "given_up": self.given_up, "deferred": self.deferred,
            "retried": self.retried, "seconds": round(self.seconds),
            "errors": "; ".join(self.errors[:3]) + (" …" if len(self.errors) > 3 else ""),
        }


@dataclass
class Collected:
    """What an outlet's feeds gave this run (plus the earlier failures to retry), and the report so far."""

    items: list[FeedItem]
    report: OutletReport


@dataclass
class RunReport:
    outlets: list[OutletReport]
    delivery: DeliveryReport
    seconds: float = 0.0

    @property
    def failed(self) -> list[OutletReport]:
        return [report for report in self.outlets if report.errors]

    def message(self) -> str:
        """New failures are errors; known ones failing again and items given up are counted after them."""
        errors = sum(len(r.errors) for r in self.outlets)
        text = f"{sum(r.new for r in self.outlets)} new, {errors} errors"
        if still_failing := sum(len(r.still_failing_errors) for r in self.outlets):
            text += f", {still_failing} still failing"
        if given_up := sum(r.given_up for r in self.outlets):
            text += f", {given_up} given up"
        text += f", {self.delivery.sent} alerts sent"
        if self.delivery.failed:
            text += f", {self.delivery.failed} alerts failed"
        if self.failed:
            text += "; failed: " + "; ".join(
                f"{r.outlet}: {r.errors[0]}" + (f" (+{len(r.errors) - 1} more)" if len(r.errors) > 1 else "")
                for r in self.failed
            )
        return text

    def table(self) -> list[dict]:
        """The per-outlet rows and a totals row, for the ingest-summary artifact."""
        rows = [report.row() for report in self.outlets]
        keys = [key for key in rows[0] if key not in ("outlet", "errors")] if rows else []
        totals = {key: sum(row[key] for row in rows) for key in keys}
        return rows + [{"outlet": "total", **totals, "seconds": round(self.seconds), "errors": ""}]

    def summary_lines(self) -> list[str]:
        """The run as a terminal table (failed: everything that failed this run), then the new failures, the
        items given up and the known failures failing again."""
        columns = ["outlet", "feeds", "not_mod", "items", "new", "updated", "dups", "failed"]
        rows: list[list] = [
            [r.outlet, r.feeds_fetched, r.not_modified, r.items_seen, r.new, r.updated, r.duplicates,
             r.failed + r.still_failing + r.given_up + r.feeds_failed]
            for r in self.outlets
        ]
        rows.append(["total"] + [sum(row[i] for row in rows) for i in range(1, len(columns))])
        widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows, strict=False)]
        lines = [
            "  ".join(
                str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in [columns, *rows]
        ]
        return (
            lines
            + [f"  ! {r.outlet}: {error}" for r in self.outlets for error in r.errors]
            + [f"  ! {r.outlet}: given up: {item}" for r in self.outlets for item in r.given_up_items]
            + [f"  ~ {r.outlet}: still failing: {error}" for r in self.outlets for error in r.still_failing_errors]
        )


class ItemFailed(Exception):
    def __init__(self, stage: Stage, message: str, reason: Reason):
        super().__init__(message)
        self.stage = stage
        self.reason = reason


# --- resources ---------------------------------------------------------------------------------------------------


LOOPBACK = ("127.0.0.0/8", "::1/128")  # where the local replay site answers


def make_fetcher(registry: Registry, replay_base: str | None = None, budget_seconds: float | None = None) -> Fetcher:
    if replay_base:  # the local replay site answers at once: no politeness, short patience; it is on 127.0.0.1
        return Fetcher(
            user_agent=registry.user_agent, politeness=Politeness(2, 0.0), replay_base=replay_base, timeout=2.0,
            retries=1, allow_private=LOOPBACK, budget_seconds=budget_seconds,
        )
    return Fetcher(user_agent=registry.user_agent, host_politeness=registry.host_politeness(),
                   budget_seconds=budget_seconds)


# --- steps: plain values in and out ------------------------------------------------------------------------------


@trial_when_replayed
def collect_items(outlet: str, replay_base: str | None = None, run_id: str | None = None) -> Collected:
    """Fetch every feed of the outlet that is due (conditional GET): today's items, less those whose failure waits
    for its next attempt (or was given up or dismissed), plus the earlier failures due again."""
    registry = load_registry()
    source = registry.sources[outlet]
    engine = get_engine()
    report = OutletReport(outlet, budget_ends_at=time.time() + source.time_budget_seconds)
    with make_fetcher(registry, replay_base, source.time_budget_seconds) as fetcher:
        items = _poll_feeds(source, fetcher, engine, report, run_id, registry.failures)
    with session(engine) as s:
        failures = live_failures(s, source.key)
    todays = [item for item in items if item.key not in failures.waiting]
    report.deferred = len(items) - len(todays)
    retries = _retry_items(failures.due, items)
    report.retried = len(retries)
    return Collected(todays + retries, report)


@trial_when_replayed
def store_items(
    outlet: str, items: list[FeedItem], report: OutletReport, replay_base: str | None = None, run_id: str | None = None
) -> OutletReport:
    """Store each item as an article (fetching its page when the feed lacks the text), scored for UN relevance
    with its alerts queued in the same transaction; failures are recorded, one never stops the others. Then the
    feeds' validators move: a run killed before that fetches the same items again and stores what it had not."""
    registry = load_registry()
    source = registry.sources[outlet]
    engine = get_engine()
    budget_left = None if report.budget_ends_at is None else max(0.0, report.budget_ends_at - time.time())
    with (
        make_fetcher(registry, replay_base, budget_left) as fetcher,
        ThreadPoolExecutor(max_workers=ITEM_WORKERS) as pool,
    ):
        outcomes = list(pool.map(lambda item: _process_item(source, item, fetcher, engine, registry, run_id), items))
    with session(engine) as s:  # every item is stored or its failure recorded: the next poll may skip them
        for url, (etag, last_modified) in report.validators.items():
            advance_validators(s, url, etag, last_modified)
    report.validators = {}
    for item, (outcome, error) in zip(items, outcomes, strict=True):
        if outcome in ("duplicate", "older"):
            report.duplicates += 1
        elif outcome == "failed":
            report.failed += 1
            report.errors.append(f"item {item.key}: {error}")
        elif outcome == "still_failing":
            report.still_failing += 1
            report.still_failing_errors.append(f"item {item.key}: {error}")
        elif outcome == "given_up":
            report.given_up += 1
            report.given_up_items.append(f"item {item.key}: {error}")
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


@trial_when_replayed
def retry_failures(ids: list[int] | None = None, replay_base: str | None = None) -> list[OutletReport]:
    """Try failed items again now, whatever their back-off, through store_items: the live failures with these
    ids (given up or dismissed too), or every open one. One report per outlet; an outlet no longer in the
    registry, or a failure kept without its feed item, is an error of its report."""
    registry = load_registry()
    with session(get_engine()) as s:
        failures = pending_item_failures(s, ids=ids)
    by_outlet: dict[str, list[FeedItem]] = {}
    reports: dict[str, OutletReport] = {}
    for failure in failures:
        report = reports.setdefault(failure.outlet, OutletReport(failure.outlet))
        raw = failure_raw_input(failure)
        if failure.outlet not in registry.sources:
            report.errors.append(f"failure {failure.id}: outlet {failure.outlet} is not in {registry.path}")
        elif raw is None or raw.kind != "feed_item":
            report.errors.append(f"failure {failure.id}: kept without its feed item, cannot be retried")
        else:
            by_outlet.setdefault(failure.outlet, []).append(FeedItem.from_raw(raw.content))
    for outlet, items in by_outlet.items():
        reports[outlet].retried = len(items)
        store_items(outlet, items, reports[outlet], replay_base)
    return list(reports.values())


def deliver_alerts(
    since: datetime, senders: dict[str, Sender] | None = None, secret_lookup: SecretLookup | None = None
) -> DeliveryReport:
    """Send what is pending on every channel this process has a sender for (and can read the URL of: a channel
    naming a Prefect Secret block needs `secret_lookup`)."""
    return deliver_pending(get_engine(), load_registry().alerts, senders=senders, secret_lookup=secret_lookup)


def un_items_markdown(since: datetime) -> tuple[str, int]:
    """The articles that got alerts since a moment, as a markdown table (the run's `un-items` artifact), and how
    many they are."""
    with session(get_engine()) as s:
        facts = alert_facts(s, alerts_created_since(s, since))
    return items_markdown(facts, load_registry().alerts.zone), len(facts)


# --- the composition ---------------------------------------------------------------------------------------------


@trial_when_replayed
def ingest_outlet(
    outlet: str,
    replay_base: str | None = None,
    run_id: str | None = None,
    *,
    collect: Callable[..., Collected] = collect_items,
    store: Callable[..., OutletReport] = store_items,
) -> OutletReport:
    started = time.perf_counter()
    collected = collect(outlet, replay_base, run_id)
    report = store(outlet, collected.items, collected.report, replay_base, run_id)
    report.seconds = time.perf_counter() - started
    return report


@trial_when_replayed
def ingest_all(
    outlets: list[str] | None = None,
    replay_base: str | None = None,
    *,
    run_outlet: Callable[[str, str | None], OutletReport] = ingest_outlet,
    deliver: Callable[[datetime], DeliveryReport] = deliver_alerts,
) -> RunReport:
    """Every source in the registry (or the named ones), one after the other; one failing outlet never stops the
    others. Then the pending alerts go out."""
    started, clock = datetime.now(UTC), time.perf_counter()
    reports = []
    for source in load_registry().select(outlets):
        try:
            reports.append(run_outlet(source.key, replay_base))
        except Exception as error:  # a crash of one outlet's code is that outlet's failure, not the run's
            reports.append(OutletReport(source.key, errors=[f"crashed: {type(error).__name__}: {error}"]))
    delivery = deliver(started)
    return RunReport(reports, delivery, time.perf_counter() - clock)


# --- inside the steps --------------------------------------------------------------------------------------------


def _poll_feeds(
    source: Source, fetcher: Fetcher, engine: Engine, report: OutletReport, run_id, policy: FailurePolicy
) -> list[FeedItem]:
    with session(engine) as s:
        ensure_source(s, source.key, source.name, source.parser_key, source.time_zone)
    items: dict[str, FeedItem] = {}
    for url in source.feeds:
        with session(engine) as s:
            ensure_feed(s, source.key, url)
            due = feed_due(s, url)
            etag, last_modified = feed_validators(s, url)
        if not due:
            report.feeds_deferred += 1
            continue
        started = datetime.now(UTC)
        result = fetcher.get(url, etag=etag, last_modified=last_modified, allow=source.reach)
        error, feed_items = result.error, []
        if result.ok and not result.not_modified:
            try:
                feed_items = read_feed(result.content or b"", result.content_type)
            except ParseError as exc:
                error = str(exc)
        with session(engine) as s:
            _log_fetch(s, source, "feed", started, result, error, run_id)
            feed = record_feed_result(
                s, url, ok=error is None, status_code=result.status, error=error, items_seen=len(feed_items),
                policy=policy, not_before_seconds=result.retry_after,
            )
        if error:
            report.feeds_failed += 1
            if feed.consecutive_errors == 1:  # it starts failing: that fails the run
                report.errors.append(f"feed {url}: {error}")
            else:
                report.still_failing_errors.append(f"feed {url} ({feed.consecutive_errors} in a row): {error}")
            continue
        report.feeds_fetched += 1
        report.not_modified += result.not_modified
        if not result.not_modified:
            report.validators[url] = (result.etag, result.last_modified)
        for item in feed_items:
            add_distinct(items, item)
    report.items_seen = len(items)
    return list(items.values())


def _retry_items(due: list[ItemFailure], seen: list[FeedItem]) -> list[FeedItem]:
    """Failures due for another attempt whose items are not in today's feeds: tried again from their stored copy."""
    keys = {item.key for item in seen}
    raws = [failure_raw_input(f) for f in due if f.item_key not in keys]
    return [FeedItem.from_raw(raw.content) for raw in raws if raw and raw.kind == "feed_item"]


def _process_item(
    source: Source, item: FeedItem, fetcher: Fetcher, engine: Engine, registry: Registry, run_id
) -> tuple[str, str | None]:
    """(new|updated|duplicate|older, None), or the failure recorded: (failed|still_failing|given_up, why)."""
    parser = source.parser
    try:
        if not item.link:
            raise ItemFailed(Stage.PARSE, "feed item has no link", Reason.NO_LINK)
        if not source.allows(item.link):
            raise ItemFailed(Stage.PARSE, f"link {item.link} is outside the source's allowed hosts", Reason.OFF_SITE)
        raw: RawInput = item.raw()
        page = None
        if parser.needs_page(item):
            if _already_stored(source, parser, item, engine):
                with session(engine) as s:  # stored meanwhile (another feed, an import): a failure of it is over
                    resolve_item_failure(s, source.key, item.key)
                return "duplicate", None
            page, raw = _fetch_page(source, item.link, fetcher, engine, run_id)
        try:
            article = parser.from_feed_item(item, page)
        except ParseError as exc:
            raise ItemFailed(Stage.PARSE, str(exc), exc.reason) from exc
        if not article.paragraphs:
            where = "the page" if page else "the feed item"
            raise ItemFailed(Stage.PARSE, f"empty body: no paragraphs in {where}", Reason.EMPTY)
        article.outlet = source.key
        with session(engine) as s:
            now = datetime.now(UTC)
            result = store_article(s, article, raw, now, parser.version)
            score_and_queue(s, result.id, article, result.outcome, registry.alerts, now)
            resolve_item_failure(s, source.key, item.key)
        return result.outcome, None
    except ItemFailed as failure:
        with session(engine) as s:
            recorded = record_item_failure(s, source.key, item.key, item.link, failure.stage, str(failure),
                                           item.raw(), failure.reason, registry.failures)
            attempts, given_up = recorded.attempts, gave_up_now(recorded)
        why = f"{failure.stage}: {failure}"
        if attempts == 1:
            return "failed", why
        return ("given_up", f"{why} (after {attempts} attempts)") if given_up else ("still_failing", why)


def _already_stored(source: Source, parser: OutletParser, item: FeedItem, engine: Engine) -> bool:
    """A page-based item seen before with the same title needs no second page fetch."""
    url = parser.canonical_url(item.link or "")
    probe = Article(outlet=source.key, url=url, title="", paragraphs=[], article_id=parser.article_id(url))
    with session(engine) as s:
        existing = find_article(s, source.key, probe.dedup_key)
        return existing is not None and existing.title == parser.clean_title(item.title)


def _fetch_page(source: Source, url: str, fetcher: Fetcher, engine: Engine, run_id) -> tuple[str, RawInput]:
    started = datetime.now(UTC)
    result = fetcher.get(url, allow=source.reach)
    with session(engine) as s:
        _log_fetch(s, source, "page", started, result, result.error, run_id)
    if not result.ok or not result.content:
        reason = Reason.OFF_SITE if result.refused else Reason.FETCH
        raise ItemFailed(Stage.PAGE, f"page {url}: {result.error or 'empty response'}", reason)
    text, _ = decode_html(result.content, result.content_type)
    return text, RawInput("page", result.content, url, result.content_type)


def _log_fetch(s, source: Source, kind: str, started: datetime, result: FetchResult, error: str | None, run_id) -> None:
    """One fetch_log row; `error` may be the parser's verdict on a body the fetch itself got fine."""
    log_fetch(
        s, outlet=source.key, url=result.url, kind=kind, started_at=started, status_code=result.status,
        not_modified=result.not_modified, ok=error is None, error=error, elapsed_ms=result.elapsed_ms,
        bytes=len(result.content or b""), run_id=run_id,
    )
