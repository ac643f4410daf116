"""Peak memory of `newsmon export` against the number of articles: flat means it streams.

    nice -n 19 python bench/export_memory.py [--corpus PATH] [--sizes 5000,20000]

For each size the first N posts of the archive corpus are imported (bench/import_corpus.py's way) into a new
embedded PostgreSQL, then every article is exported in each format by the `newsmon export` command, one process
each: its peak RSS (the process alone: the database server is another), seconds, rows and file size. The baseline
is the same command exporting one article (Python, psycopg, pyarrow loaded). Target (issue 11): constant memory on
the full corpus.
"""

from __future__ import annotations

import argparse
import atexit
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_corpus import first_posts, import_fresh, remove_scratch  # noqa: E402

FORMATS = ("jsonl", "csv", "parquet")
# The command, reporting its own peak RSS (VmHWM) as its last line on stderr. Not the child's ru_maxrss: Linux carries
# the high-water mark across exec, so a child spawned from this process would report this process's size.
_MEASURED_CLI = """
import atexit, re, sys
atexit.register(lambda: print(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1], file=sys.stderr))
from newsmon.cli import main
sys.exit(main(sys.argv[1:]))
"""


def export_run(home: Path, fmt: str, output: Path, *limit: str) -> tuple[float, float, str]:
    """Peak RSS in MB and seconds of one `newsmon export` process, and what it said."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | {"NEWSMON_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED_CLI, "export", "--format", fmt, "--output", str(output), *limit],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    *said, peak_kb = done.stderr.strip().splitlines()
    if done.returncode != 0:
        raise SystemExit(f"newsmon export failed: {done.stderr}")
    return int(peak_kb) / 1024, seconds, " ".join(said)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/archive-2020h2.jsonl.gz")
    ap.add_argument("--sizes", default="5000,20000", help="posts imported per run")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
    atexit.register(remove_scratch, scratch)
    for size in (int(s) for s in args.sizes.split(",")):
        home = scratch / f"home-{size}"
        _, report, _, _ = import_fresh(first_posts(args.corpus, size, scratch / f"first-{size}.jsonl"), home)
        print(f"{size:,} posts: {report.new:,} articles")
        for fmt in FORMATS:
            output = scratch / f"export-{size}.{fmt}"
            baseline, _, _ = export_run(home, fmt, output, "--limit", "1")
            peak, seconds, said = export_run(home, fmt, output)
            print(f"  {fmt:7}: peak RSS {peak:6.0f} MB (one article: {baseline:4.0f} MB), {seconds:5.1f} s,"
                  f" {output.stat().st_size / 2**20:6.1f} MB file; {said}")
            output.unlink()


if __name__ == "__main__":
    main()
