"""The `newsmon` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .config import home


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.handler(args) or 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="newsmon", description="Chinese-language news ingestion and monitoring.")
    sub = ap.add_subparsers(required=True, metavar="COMMAND")

    cmd = sub.add_parser("parse", help="parse archived posts; one JSON object per post on stdout")
    cmd.add_argument("files", nargs="+", type=Path)
    cmd.set_defaults(handler=cmd_parse)

    cmd = sub.add_parser("demo", help="ingest the offline replay site through the Prefect flow")
    cmd.add_argument("--serve", action="store_true", help="only serve the replay site until Ctrl-C")
    cmd.set_defaults(handler=cmd_demo)

    cmd = sub.add_parser("run", help="poll the real outlets once")
    cmd.add_argument("--outlet", action="append", help="only this outlet (repeatable)")
    cmd.add_argument("--no-prefect", action="store_true", help="plain run, not tracked by Prefect")
    cmd.set_defaults(handler=cmd_run)

    cmd = sub.add_parser("db", help="database maintenance")
    cmd.add_argument("action", choices=["upgrade", "status", "url"])
    cmd.set_defaults(handler=cmd_db)

    cmd = sub.add_parser("search", help="find stored articles by a word or phrase (Chinese works)")
    cmd.add_argument("query")
    cmd.add_argument("--outlet")
    cmd.add_argument("--limit", type=int, default=20)
    cmd.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    cmd.set_defaults(handler=cmd_search)

    cmd = sub.add_parser("status", help="feed health and article counts")
    cmd.set_defaults(handler=cmd_status)
    return ap


def cmd_parse(args) -> int:
    from parsers.parse import parse_post

    failed = 0
    for path in args.files:
        try:
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError as error:
            result = {"path": str(path), "error": f"{type(error).__name__}: {error.strerror}"}
        else:
            result = parse_post(str(path), text)
        failed += "error" in result
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failed == len(args.files) else 0


def cmd_demo(args) -> int:
    from .replay.server import ReplayServer

    with ReplayServer() as replay:
        if args.serve:
            print(f"replay site at {replay.base_url} (Ctrl-C to stop)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        print(f"newsmon demo: replay site at {replay.base_url}, database {_database_label()}")
        return _run_flow(outlets=None, replay_base=replay.base_url)


def cmd_run(args) -> int:
    if args.no_prefect:
        from storage.engine import get_engine, upgrade

        from .config import load_registry
        from .ingest import ingest_source, make_fetcher

        upgrade()
        registry = load_registry()
        reports = []
        with make_fetcher(registry) as fetcher:
            for source in registry.select(args.outlet):
                reports.append(ingest_source(source, fetcher, get_engine()))
                print(reports[-1].line(), flush=True)
        _print_summary(reports)
        return 1 if any(r.errors for r in reports) else 0
    return _run_flow(outlets=args.outlet, replay_base=None)


def _run_flow(outlets, replay_base) -> int:
    _prefect_defaults()
    from flows.ingest import ingest_all

    started = time.perf_counter()
    state = ingest_all(outlets=outlets, replay_base=replay_base, return_state=True)
    reports = state.result(raise_on_failure=False)
    if not isinstance(reports, list):
        print(f"run {state.name}: {state.message or reports}", file=sys.stderr)
        return 1
    _print_summary(reports)
    print(f"run {state.name}: {state.message} ({time.perf_counter() - started:.1f} s)")
    return 0 if state.is_completed() else 1


def _print_summary(reports) -> None:
    columns = ["outlet", "feeds", "not_mod", "items", "new", "updated", "dups", "failed"]
    rows = [
        [r.outlet, r.feeds_fetched, r.not_modified, r.items_seen, r.new, r.updated, r.duplicates, r.failed + r.feeds_failed]
        for r in reports
    ]
    rows.append(["total"] + [sum(row[i] for row in rows) for i in range(1, len(columns))])
    widths = [max(len(str(x)) for x in col) for col in zip(columns, *rows)]
    for row in [columns, *rows]:
        print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths))))
    for report in reports:
        for error in report.errors:
            print(f"  ! {report.outlet}: {error}")


def _prefect_defaults() -> None:
    """Keep Prefect's local state beside newsmon's unless the user points Prefect elsewhere."""
    os.environ.setdefault("PREFECT_HOME", str(home() / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def _database_label() -> str:
    url = os.environ.get("DATABASE_URL")
    return "DATABASE_URL" if url else f"embedded PostgreSQL in {home() / 'pgdata'}"


def cmd_db(args) -> int:
    from storage.engine import current_revision, database_url, upgrade

    if args.action == "upgrade":
        upgrade()
    if args.action == "url":
        print(database_url())
        return 0
    print(f"schema revision {current_revision()}")
    return 0


def cmd_search(args) -> int:
    from storage import queries
    from storage.engine import get_engine, session, upgrade

    upgrade()
    with session(get_engine()) as s:
        found = queries.search_articles(s, args.query, outlet=args.outlet, limit=args.limit)
        for article in found:
            when = article.published_at.isoformat(timespec="minutes") if article.published_at else "?"
            if args.json:
                print(json.dumps({"id": article.id, "outlet": article.outlet, "published_at": when,
                                  "title": article.title, "url": article.url}, ensure_ascii=False))
            else:
                print(f"{article.id:>6}  {when:16}  {article.outlet:7} {article.title}\n        {article.url}")
    return 0


def cmd_status(args) -> int:
    from storage import queries
    from storage.engine import get_engine, session, upgrade

    upgrade()
    with session(get_engine()) as s:
        for outlet, count in sorted(queries.article_counts(s).items()):
            print(f"{outlet:8} {count:>7} articles")
        for feed in queries.feed_health(s):
            state = "ok" if not feed.consecutive_errors else f"{feed.consecutive_errors} errors: {feed.last_error}"
            last = feed.last_success_at.isoformat(timespec="minutes") if feed.last_success_at else "never"
            print(f"  {feed.outlet:8} {feed.url}\n           last success {last}; {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
