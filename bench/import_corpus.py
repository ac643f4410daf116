"""Import the archive corpus into fresh embedded databases and print what it costs.

    python bench/import_corpus.py [--corpus PATH] [--sizes 1000,10000,0] [--trafilatura-posts 0]

For each size (0 = the whole corpus) the first N posts are imported, by the same code as
`newsmon import --no-prefect`, into a new embedded PostgreSQL: wall time, posts/s, per-post cost, the outcome
counts, the CPU per post of the parse workers, this process and the server (where the time goes), and the time per
10k posts along the way (flat = cost does not grow with the table). Then peak RSS (this process and its worker
processes; the PostgreSQL server is a separate process), and the extraction-only comparison with trafilatura's
`extract` on the same posts (the whole corpus unless --trafilatura-posts N), one process each.
Targets (issue 3): whole corpus < 3 min on 2 cores, peak RSS < 1 GB, full/1k per-post cost < 1.3, at least 3x
trafilatura's throughput.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gzip
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def first_posts(corpus: Path, count: int, target: Path) -> Path:
    with gzip.open(corpus, "rb") as source, open(target, "wb") as out:
        for number, line in enumerate(source):
            if number >= count:
                break
            out.write(line)
    return target


def import_fresh(path: Path, home: Path) -> tuple[float, object, list[float], dict[str, float]]:
    """Import into a new database under home: seconds, the report, the seconds at each 10,000 posts, and the CPU
    seconds of the import's three parts (parse workers, this process, the PostgreSQL server)."""
    from newsmon import settings
    from newsmon.imports import import_archives
    from newsmon.storage.engine import get_engine, upgrade

    # settings are read from the environment once per process: each size gets its own home (and database) this way
    with settings.use(settings.Settings.from_environ({**os.environ, "NEWSMON_HOME": str(home)})):
        engine = get_engine()
    upgrade(engine)
    marks: list[float] = []
    before = cpu_seconds(home)
    started = time.perf_counter()

    def progress(progress) -> None:
        if progress.posts // 10_000 > len(marks):
            marks.append(time.perf_counter() - started)

    report = import_archives([str(path)], engine=engine, on_progress=progress)
    seconds = time.perf_counter() - started
    return seconds, report, marks, {part: used - before[part] for part, used in cpu_seconds(home).items()}


def cpu_seconds(home: Path) -> dict[str, float]:
    """CPU seconds used so far by the parse workers (this process's ended children), this process, and the embedded
    server of home (the postmaster, the backends it has reaped and those alive)."""
    import psutil

    from newsmon.storage.server import EmbeddedServer

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    server = 0.0
    if (postmaster := EmbeddedServer(home).running()) is not None:
        process = psutil.Process(postmaster.pid)
        times = process.cpu_times()
        server = times.user + times.system + times.children_user + times.children_system
        for backend in process.children():
            with contextlib.suppress(psutil.Error):  # a backend may end meanwhile: then it is counted above next time
                server += sum(backend.cpu_times()[:2])
    return {"workers": children.ru_utime + children.ru_stime, "main": own.ru_utime + own.ru_stime, "server": server}


def extraction_speed(corpus: Path, count: int) -> tuple[float, float]:
    """ms/post of newsmon's parser and of trafilatura.extract on the same first `count` posts (0: all), one
    process each."""
    import trafilatura

    from newsmon.parsers.archive import read_post
    from newsmon.parsers.parse import parse_post

    posts = []
    with gzip.open(corpus, "rt", encoding="utf-8") as source:
        for number, line in enumerate(source):
            if count and number >= count:
                break
            record = json.loads(line)
            posts.append((record["path"], record["text"]))
    started = time.perf_counter()
    for path, text in posts:
        parse_post(path, text)
    ours = (time.perf_counter() - started) / len(posts) * 1000
    htmls = []
    for path, text in posts:
        try:
            post = read_post(path, text)
        except ValueError:
            continue
        htmls.append((post.html, post.url))
    started = time.perf_counter()
    for markup, url in htmls:
        trafilatura.extract(markup, url=url)
    theirs = (time.perf_counter() - started) / len(htmls) * 1000
    return ours, theirs


def remove_scratch(scratch: Path) -> None:
    """Stop the embedded servers of the run's homes (they outlive the process that starts them), then delete."""
    from newsmon.storage.server import EmbeddedServer

    for home in scratch.glob("home-*"):
        EmbeddedServer(home).stop()
    shutil.rmtree(scratch, True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz")
    ap.add_argument("--sizes", default="1000,10000,0", help="posts per run, 0 = the whole corpus")
    ap.add_argument("--trafilatura-posts", type=int, default=0, help="0 = every post of the corpus; -1 = skip")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
    atexit.register(remove_scratch, scratch)
    per_post = {}
    full_rate = None
    for size in (int(s) for s in args.sizes.split(",")):
        path = args.corpus if size == 0 else first_posts(args.corpus, size, scratch / f"first-{size}.jsonl")
        seconds, report, marks, cpu = import_fresh(path, scratch / f"home-{size}")
        label = "full" if size == 0 else f"{size // 1000}k"
        per_post[label] = seconds / report.read * 1000
        print(f"{label:>5}: {report.read:,} posts in {seconds:.1f} s = {report.read / seconds:,.0f} posts/s, "
              f"{per_post[label]:.2f} ms/post; new {report.new:,}, duplicates {report.duplicates:,}, "
              f"revisions {report.revisions:,}, failed {report.failed:,}, accounted {report.accounted}")
        print(f"       CPU ms/post: parse workers {cpu['workers'] / report.read * 1000:.2f}, main process "
              f"{cpu['main'] / report.read * 1000:.2f}, PostgreSQL {cpu['server'] / report.read * 1000:.2f}")
        if marks:
            steps = [b - a for a, b in zip([0.0, *marks], marks, strict=False)]
            print(f"       s per 10k posts along the way: {', '.join(f'{s:.1f}' for s in steps)}"
                  f"; index build and the rest: {seconds - marks[-1]:.1f} s")
        if size == 0:
            full_rate = report.read / seconds
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {own:.0f} MB, largest worker {workers:.0f} MB")
    if "full" in per_post and "1k" in per_post:
        print(f"per-post cost full/1k: {per_post['full'] / per_post['1k']:.2f}")
    if args.trafilatura_posts >= 0:
        ours, theirs = extraction_speed(args.corpus, args.trafilatura_posts)
        which = f"first {args.trafilatura_posts:,} posts" if args.trafilatura_posts else "every post"
        print(f"extraction only, {which}, one process: newsmon {ours:.2f} ms/post, "
              f"trafilatura {theirs:.2f} ms/post ({theirs / ours:.1f}x)")
        if full_rate:
            ideal = 2 * 1000 / theirs  # trafilatura on both cores, extraction alone, no database
            print(f"full import {full_rate:,.0f} posts/s vs trafilatura extract alone on 2 cores "
                  f"{ideal:,.0f} posts/s: {full_rate / ideal:.1f}x")


if __name__ == "__main__":
    main()
