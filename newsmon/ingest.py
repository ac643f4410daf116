"""Poll an outlet's feeds, cut out each new article, store it once: the plain logic the Prefect flows wrap.

Nothing here imports Prefect, so the same code runs in tests, in `newsmon run --no-prefect`, and in flows.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from newsmon.fetch import Fetcher, decode_html
from newsmon.parsers import parser_for
from newsmon.parsers.feed import FeedItem, read_feed
from newsmon.model import Article, ParseError, RawInput
from newsmon.storage.articles import store_article
from newsmon.storage.failures import failure_raw_input, pending_item_failures, record_item_failure, resolve_item_failure
from newsmon.storage.feeds import ensure_feed, ensure_source, feed_validators, log_fetch, record_feed_result
from newsmon.storage.articles import find_article
from newsmon.storage.engine import session

from newsmon.alerts.outbox import score_and_queue
from newsmon.alerts.settings import AlertSettings

from .config import Registry, Source

ITEM_WORKERS = 4


@dataclass
class OutletReport:
    outlet: str
    feeds_fetched: int = 0
    not_modified: int = 0
    feeds_failed: int = 0
    items_seen: int = 0
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    failed: int = 0
    retried: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.outlet}: {self.feeds_fetched} feeds fetched, {self.not_modified} not modified, "
            f"{self.items_seen} items, {self.new} new, {self.updated} updated, {self.duplicates} duplicates, "
            f"{self.failed} failed ({self.seconds:.1f} s)"
        )

    def row(self) -> dict:
        data = asdict(self)
        data["errors"] = "; ".join(self.errors[:3]) + (" …" if len(self.errors) > 3 else "")
        return data


class ItemFailed(Exception):
    def __init__(self, stage: str, message: str, reason: str | None = None):
        super().__init__(message)
        self.stage = stage
        self.reason = reason


def make_fetcher(registry: Registry, replay_base: str | None = None) -> Fetcher:
    if replay_base:  # the local replay site answers at once: no politeness, short patience
        return Fetcher(
            user_agent=registry.user_agent, per_host_delay=0.0, replay_base=replay_base, timeout=2.0, retries=1
        )
    return Fetcher(user_agent=registry.user_agent, host_delays=registry.host_delays())


def poll_feeds(source: Source, fetcher: Fetcher, engine: Engine, report: OutletReport, run_id=None) -> list[FeedItem]:
    """Fetch every feed of the source (conditional GET) and return their items; failures go to the report."""
    with session(engine) as s:
        ensure_source(s, source.key, source.name, source.parser, source.time_zone)
    items: dict[str, FeedItem] = {}
    for url in source.feeds:
        with session(engine) as s:
            ensure_feed(s, source.key, url)
            etag, last_modified = feed_validators(s, url)
        started = datetime.now(UTC)
        result = fetcher.get(url, etag=etag, last_modified=last_modified)
        error, feed_items = result.error, []
        if result.ok and not result.not_modified:
            try:
                feed_items = read_feed(result.content or b"")
            except ParseError as exc:
                error = str(exc)
        with session(engine) as s:
            _log_fetch(s, source, "feed", started, result, error, run_id)
            record_feed_result(
                s, url, ok=error is None, status_code=result.status, error=error, etag=result.etag,
                last_modified=result.last_modified, not_modified=result.not_modified, items_seen=len(feed_items),
            )
        if error:
            report.feeds_failed += 1
            report.errors.append(f"feed {url}: {error}")
            continue
        report.feeds_fetched += 1
        report.not_modified += result.not_modified
        for item in feed_items:
            items.setdefault(item.key, item)
    report.items_seen = len(items)
    return list(items.values())


def retry_items(source: Source, engine: Engine, seen: list[FeedItem]) -> list[FeedItem]:
    """Items that failed on an earlier run and are not in today's feeds: tried again from their stored copy."""
    keys = {item.key for item in seen}
    with session(engine) as s:
        failures = pending_item_failures(s, source.key)
        raws = [(f.item_key, failure_raw_input(f)) for f in failures]
    return [FeedItem.from_raw(raw.content) for key, raw in raws if raw and raw.kind == "feed_item" and key not in keys]


def process_item(
    source: Source, item: FeedItem, fetcher: Fetcher, engine: Engine, run_id=None, alerts: AlertSettings | None = None
) -> tuple[str, str | None]:
    """Store one feed item as an article, scored for UN relevance with its alerts queued in the same transaction:
    (new|updated|duplicate, None), or record the failure: (failed, why)."""
    parser = parser_for(source.parser)
    try:
        if not item.link:
            raise ItemFailed("parse", "feed item has no link", "no-link")
        if not source.allows(item.link):
            raise ItemFailed("parse", f"link {item.link} is outside the source's allowed_hosts", "off-site")
        raw: RawInput = item.raw()
        page = None
        if parser.needs_page(item):
            if _already_stored(parser, item, engine):
                return "duplicate", None
            page, raw = _fetch_page(source, item.link, fetcher, engine, run_id)
        try:
            article = parser.from_feed_item(item, page)
        except ParseError as exc:
            raise ItemFailed("parse", str(exc), exc.reason) from exc
        if not article.paragraphs:
            raise ItemFailed("parse", f"empty body: no paragraphs in {'the page' if page else 'the feed item'}", "empty")
        with session(engine) as s:
            now = datetime.now(UTC)
            result = store_article(s, article, raw, now, parser.version)
            score_and_queue(s, result.id, article, result.outcome, alerts, now)
            resolve_item_failure(s, source.key, item.key)
        return result.outcome, None
    except ItemFailed as failure:
        with session(engine) as s:
            record_item_failure(
                s, source.key, item.key, item.link, failure.stage, str(failure), item.raw(), failure.reason
            )
        return "failed", f"{failure.stage}: {failure}"


def _already_stored(parser, item: FeedItem, engine: Engine) -> bool:
    """A page-based item seen before with the same title needs no second page fetch."""
    url = parser.canonical_url(item.link)
    probe = Article(outlet=parser.key, url=url, title="", paragraphs=[], article_id=parser.article_id(url))
    with session(engine) as s:
        existing = find_article(s, parser.key, probe.dedup_key)
        return existing is not None and existing.title == parser.clean_title(item.title)


def _fetch_page(source: Source, url: str, fetcher: Fetcher, engine: Engine, run_id) -> tuple[str, RawInput]:
    started = datetime.now(UTC)
    result = fetcher.get(url)
    with session(engine) as s:
        _log_fetch(s, source, "page", started, result, result.error, run_id)
    if not result.ok or not result.content:
        raise ItemFailed("page", f"page {url}: {result.error or 'empty response'}", "fetch")
    text, _ = decode_html(result.content, result.content_type)
    return text, RawInput("page", result.content, url, result.content_type)


def _log_fetch(s, source: Source, kind: str, started: datetime, result, error: str | None, run_id) -> None:
    """One fetch_log row; `error` may be the parser's verdict on a body the fetch itself got fine."""
    log_fetch(
        s, outlet=source.key, url=result.url, kind=kind, started_at=started, status_code=result.status,
        not_modified=result.not_modified, ok=error is None, error=error, elapsed_ms=result.elapsed_ms,
        bytes=len(result.content or b""), run_id=run_id,
    )


def process_items(
    source: Source,
    items: list[FeedItem],
    fetcher: Fetcher,
    engine: Engine,
    report: OutletReport,
    run_id=None,
    alerts: AlertSettings | None = None,
) -> OutletReport:
    with ThreadPoolExecutor(max_workers=ITEM_WORKERS) as pool:
        outcomes = list(pool.map(lambda item: process_item(source, item, fetcher, engine, run_id, alerts), items))
    for item, (outcome, error) in zip(items, outcomes):
        if outcome in ("duplicate", "older"):
            report.duplicates += 1
        elif outcome == "failed":
            report.failed += 1
            report.errors.append(f"item {item.key}: {error}")
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def collect_items(source: Source, fetcher: Fetcher, engine: Engine, run_id=None) -> tuple[list[FeedItem], OutletReport]:
    """Today's feed items plus the ones that failed before, with a report of the feed fetches."""
    report = OutletReport(source.key)
    items = poll_feeds(source, fetcher, engine, report, run_id)
    retries = retry_items(source, engine, items)
    report.retried = len(retries)
    return items + retries, report


def ingest_source(
    source: Source, fetcher: Fetcher, engine: Engine, run_id=None, alerts: AlertSettings | None = None
) -> OutletReport:
    started = time.perf_counter()
    items, report = collect_items(source, fetcher, engine, run_id)
    process_items(source, items, fetcher, engine, report, run_id, alerts)
    report.seconds = time.perf_counter() - started
    return report
