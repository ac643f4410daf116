"""The nightly maintenance in plain steps: rescore when the UN lexicon changed, re-parse what a newer parser version
cuts differently, refresh feed health, prune by retention (newsmon.retention).

Each step takes dry_run (say what it would do, change nothing) and resolves its resources inside, like newsmon.ingest's
steps; `maintain` runs them one after the other, one crashing never stopping the others. flows/maintenance.py runs
them as tasks, with Prefect's old flow runs pruned beside them (flows/retention.py); `newsmon maintenance --dry-run`
shows what they would do. Nothing here imports Prefect.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from newsmon import unscore
from newsmon.fetch import decode_html
from newsmon.imports.parse import parse_record
from newsmon.imports.read import Failure, Post
from newsmon.model import ParseError, Reason
from newsmon.parsers import parser_for
from newsmon.parsers.feed import FeedItem
from newsmon.parsers.plaintext import PARSER_NAME as TEXT_PARSER
from newsmon.relevance.classify import classify, load_lexicon
from newsmon.sources import load_registry
from newsmon.storage import events as events_storage
from newsmon.storage import stories as stories_storage
from newsmon.storage.articles import article_row, parse_versions, parsed_with, store_reparse
from newsmon.storage.engine import get_engine, session
from newsmon.storage.feeds import ensure_feed, ensure_source, feed_fetches_since, feed_health
from newsmon.storage.models import Article, RawInput
from newsmon.storage.prune import PRUNABLE, count_older, delete_older
from newsmon.storage.relevance import save_relevances
from newsmon.storage.rows import unpack

REPARSE_BATCH = 200
STORY_BATCH = 500
EVENT_BATCH = 500


@dataclass
class StepReport:
    step: str
    count: int = 0  # what the step did (or, in a dry run, would do): articles scored, cut differently, rows pruned
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class MaintenanceReport:
    steps: list[StepReport]
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[StepReport]:
        return [step for step in self.steps if step.errors]

    def message(self) -> str:
        text = ("dry run: " if self.dry_run else "") + ", ".join(f"{s.step} {s.count:,}" for s in self.steps)
        if self.failed:
            text += "; failed: " + "; ".join(f"{s.step}: {s.errors[0]}" for s in self.failed)
        return text

    def lines(self) -> list[str]:
        """Every step's lines, then its errors, for the log and the terminal."""
        return [f"{s.step}: {line}" for s in self.steps for line in s.lines] + [
            f"{s.step}: ! {error}" for s in self.steps for error in s.errors
        ]

    def table(self) -> list[dict]:
        """One row per step, for the maintenance-summary artifact."""
        return [
            {"step": s.step, "count": s.count, "what": "; ".join(s.lines[:4]) + (" …" if len(s.lines) > 4 else ""),
             "errors": "; ".join(s.errors)}
            for s in self.steps
        ]


# --- steps -------------------------------------------------------------------------------------------------------


def rescore(dry_run: bool = False) -> StepReport:
    """Score again what another lexicon scored: nothing when the lexicon has not changed. No alerts: old news."""
    engine, lexicon = get_engine(), load_lexicon()
    if dry_run:
        count = unscore.count_unscored(engine, lexicon)
        return StepReport("rescore", count, [f"{count:,} articles to score with {lexicon.fingerprint}"])
    counts = unscore.rescore(engine, lexicon)
    line = f"{counts['scored']:,} articles scored with {lexicon.fingerprint}"
    if counts["levels"]:
        line += ": " + ", ".join(f"{level} {n:,}" for level, n in counts["levels"].items())
    changes = unscore.change_lines(counts["changed"]) if counts["scored"] else []
    return StepReport("rescore", counts["scored"], [line, *changes])


def reparse(dry_run: bool = False) -> StepReport:
    """Parse again, from its stored raw input, every article an older version of its parser cut: a text cut
    differently becomes a revision (the old text kept) and is scored again, without alerts; the same text only gets
    the new version. An input today's parser refuses is left as it was, and tried again next time."""
    engine = get_engine()
    with session(engine) as s:
        stale = [(key, version, n) for key, version, n in parse_versions(s) if version != current_parser_version(key)]
    report = StepReport("reparse", lines=[
        f"{n:,} articles parsed by {version}, now {current_parser_version(key)}" for key, version, n in stale
    ])
    if dry_run or not stale:
        report.count = sum(n for _, _, n in stale) if dry_run else 0
        report.lines = report.lines or ["every article is parsed by its parser's current version"]
        return report
    parses = [(key, version) for key, version, _ in stale]
    same, refused, after, now = 0, [], 0, datetime.now(UTC)
    while True:
        with session(engine) as s:
            batch = parsed_with(s, parses, after, REPARSE_BATCH)
            if not batch:
                break
            rescored = []
            for article, raw in batch:
                assert article.id is not None  # a stored row
                parsed = _parse_again(article, raw)
                if isinstance(parsed, str):
                    refused.append(f"article {article.id}: {parsed}")
                elif store_reparse(s, article.id, parsed[0], now):
                    report.count += 1
                    rescored.append((article.id, parsed[1], parsed[1]["model"], now))
                else:
                    same += 1
            save_relevances(s, rescored)
            after = batch[-1][0].id or after
    report.lines.append(f"{report.count:,} cut differently (the old text kept as a revision), {same:,} the same, "
                        f"{len(refused):,} refused by today's parser (left as they were)")
    report.lines += refused[:5]
    return report


def current_parser_version(key: str) -> str:
    """The version today's parser of this key stores: plain-text documents have their own."""
    return TEXT_PARSER if key == TEXT_PARSER.split(".")[0] else parser_for(key).version


def _parse_again(article: Article, raw: RawInput | None) -> tuple[dict, dict] | str:
    """The article's row (article_row()) and relevance as today's parser makes them from its raw input, or why not.
    A page was fetched for a feed item that is not kept: its title, link, date and authors are the article's."""
    if raw is None:
        return "no raw input kept"
    content = unpack(raw.content)
    if raw.kind == "archive_post":
        parsed = parse_record(Post(raw.url or "", raw.url or "", content, as_text=raw.content_type == "text/plain"),
                              outlet=article.outlet)
        return f"{parsed.reason}: {parsed.message}" if isinstance(parsed, Failure) else (parsed.row, parsed.relevance)
    parser = parser_for(article.parser.split(".")[0])
    try:
        if raw.kind == "page":
            item = FeedItem(title=article.title, link=article.url, guid=article.guid,
                            published_raw=article.published_raw, authors=list(article.authors))
            new = parser.from_feed_item(item, decode_html(content, raw.content_type)[0])
        else:
            new = parser.from_feed_item(FeedItem.from_raw(content))
    except ParseError as error:
        return f"{error.reason}: {error}"
    except Exception as error:  # a parser bug costs this article's re-parse, not the step
        return f"{Reason.PARSER_CRASH}: {type(error).__name__}: {error}"
    new.summary = new.summary or article.summary  # a page alone has no feed summary: keep the one stored
    relevance = classify(new.title, new.paragraphs)
    return article_row(new, article.updated_at, parser.version), relevance.to_json() | {"model": relevance.model}


def refresh_feed_health(dry_run: bool = False) -> StepReport:
    """Every feed of the registry gets its row (a feed added shows in `newsmon status` before its first poll); then
    each feed's last day from the fetch log and its health. Feeds no longer in the registry are named; their rows
    and articles stay. The count: feeds failing now."""
    registry, engine = load_registry(), get_engine()
    report = StepReport("refresh-feed-health")
    with session(engine) as s:
        if not dry_run:
            for source in registry.sources.values():
                ensure_source(s, source.key, source.name, source.parser_key, source.time_zone)
                for url in source.feeds:
                    ensure_feed(s, source.key, url)
        fetches = feed_fetches_since(s, datetime.now(UTC) - timedelta(days=1))
        feeds = feed_health(s)
    registered = {url: source.key for source in registry.sources.values() for url in source.feeds}
    for feed in feeds:
        fetched, failed, not_modified = fetches.get(feed.url, (0, 0, 0))
        state = f"{feed.consecutive_errors} errors in a row: {feed.last_error}" if feed.consecutive_errors else "ok"
        retired = "" if feed.url in registered else " (no longer in the registry: not polled)"
        report.lines.append(f"{feed.outlet} {feed.url}: {fetched} fetches in the last day, {failed} failed, "
                            f"{not_modified} not modified; {state}{retired}")
        report.count += bool(feed.consecutive_errors)
    known = {feed.url for feed in feeds}
    report.lines += [f"{outlet} {url}: in the registry, not polled yet" for url, outlet in registered.items()
                     if url not in known]
    return report


def prune(dry_run: bool = False) -> StepReport:
    """Delete newsmon's rows older than the retention's ages (a dry run counts them). Prefect's flow runs are
    flows/retention.py's."""
    retention, engine = load_registry().retention, get_engine()
    cutoffs = retention.cutoffs(datetime.now(UTC))
    report = StepReport("prune")
    for name in PRUNABLE:
        days = getattr(retention, f"{name}_days")
        if name not in cutoffs:
            report.lines.append(f"{name}: kept ({name}_days = 0)")
            continue
        pruned = count_older(engine, name, cutoffs[name]) if dry_run else delete_older(engine, name, cutoffs[name])
        report.count += pruned
        report.lines.append(f"{name}: {pruned:,} rows older than {days} days {'to delete' if dry_run else 'deleted'}")
    return report


def assign_stories(dry_run: bool = False) -> StepReport:
    """Give a story to every article stored before stories existed (migration 0009), oldest first, a batch per
    transaction. Articles stored since get theirs as they are stored."""
    engine = get_engine()
    if dry_run:
        with session(engine) as s:
            count = stories_storage.count_unassigned(s)
        return StepReport("assign-stories", count, [f"{count:,} articles without a story to assign"])
    report = StepReport("assign-stories")
    while True:
        with session(engine) as s:
            batch = stories_storage.unassigned_articles(s, STORY_BATCH)
            stories_storage.assign_stories(s, batch)
        report.count += len(batch)
        if len(batch) < STORY_BATCH:
            break
    report.lines.append(f"{report.count:,} articles given a story")
    return report


def assign_events(dry_run: bool = False) -> StepReport:
    """Give an event to every article without one (newsmon.events: the same happening in other words), oldest first
    by its time, a batch per transaction. The import leaves this to the maintenance: it costs about 6 ms of CPU an
    article."""
    engine = get_engine()
    if dry_run:
        with session(engine) as s:
            count = events_storage.count_unassigned_events(s)
        return StepReport("assign-events", count, [f"{count:,} articles without an event to assign"])
    report = StepReport("assign-events")
    while True:
        with session(engine) as s:
            batch = events_storage.unassigned_event_articles(s, EVENT_BATCH)
            events_storage.assign_events(s, batch)
        report.count += len(batch)
        if len(batch) < EVENT_BATCH:
            break
    report.lines.append(f"{report.count:,} articles given an event")
    return report


STEPS: tuple[Callable[[bool], StepReport], ...] = (rescore, reparse, assign_stories, assign_events,
                                                   refresh_feed_health, prune)


# --- the composition ---------------------------------------------------------------------------------------------


def maintain(dry_run: bool = False, steps: Sequence[Callable[[bool], StepReport]] = STEPS) -> MaintenanceReport:
    """Every step, one after the other (a flow passes its tasks); one crashing is that step's failure only."""
    clock = time.perf_counter()
    reports = []
    for step in steps:
        try:
            reports.append(step(dry_run))
        except Exception as error:
            name = step.__name__.replace("_", "-")
            reports.append(StepReport(name, errors=[f"crashed: {type(error).__name__}: {error}"]))
    return MaintenanceReport(reports, dry_run, time.perf_counter() - clock)
