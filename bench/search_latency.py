"""Search latency on an imported corpus: 20 typical queries (single words, two words, traditional script, English
body names, with and without filters), each timed inside the database (EXPLAIN ANALYZE's execution time of
search_articles' statement, the best of --runs) and end to end through the CLI (`newsmon search ... --format json`,
a new process each time, median of --runs); prints each query's figures, then p50 and p95 over the queries.

Runs against the settings in the environment (NEWSMON_HOME, DATABASE_URL): import the corpus there first.

    NEWSMON_HOME=/data/newsmon python bench/search_latency.py [--runs 3]

Target (issue 11): p95 under 50 ms in the database.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES: list[list[str]] = [
    ["联合国"], ["安理会"], ["世卫组织"], ["古特雷斯"], ["拜登"], ["疫苗"], ["香港"], ["特朗普"], ["人权理事会"],
    ["联合国", "安理会"], ["世卫组织", "谭德塞"], ["拜登", "习近平"], ["香港", "国安法"],
    ["聯合國"], ["武漢肺炎"],
    ['"Security Council"'], ["WHO"],
    ["联合国", "--un", "core"], ["疫苗", "--since", "2020-10-01", "--outlet", "bbc"],
    ["安理会", "--body", "Security Council"],
]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value at least share of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def database_ms(connection, words: list[str], runs: int) -> tuple[float, int]:
    """The best execution time of the query's statement in the database (ms), and how many rows it returned."""
    from newsmon.cli import _article_filter, _parser
    from newsmon.search_text import parse_query
    from newsmon.storage.search import INDEX_ONLY, search_statement

    args = _parser().parse_args(["search", *words])
    statement, parameters = search_statement(parse_query(" ".join(args.query)), _article_filter(args), args.limit)
    best, rows = float("inf"), 0
    connection.execute(INDEX_ONLY)
    for _ in range(runs):
        plan = connection.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).fetchone()[0][0]
        best = min(best, plan["Execution Time"])
        rows = round(plan["Plan"]["Actual Rows"])  # PostgreSQL 18 gives rows as a mean over loops, a float
    return best, rows


def cli_seconds(words: list[str], runs: int) -> float:
    script = Path(sys.executable).with_name("newsmon")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "newsmon.cli"]
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run([*command, "search", *words, "--format", "json"], capture_output=True, text=True)
        seconds.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"newsmon search {' '.join(words)} failed: {result.stderr.strip()}")
        for line in result.stdout.splitlines():
            json.loads(line)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from newsmon.reading import fit
    from newsmon.storage.connect import connect

    with connect() as connection:
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        index_mb = connection.execute("SELECT pg_relation_size('ix_articles_search') / 1e6").fetchone()[0]
        print(f"{articles:,} articles; search index {index_mb:,.0f} MB")
        print(f"{'query':44} {'rows':>5} {'db ms':>8} {'cli s':>7}")
        database, end_to_end = [], []
        for words in QUERIES:
            ms, rows = database_ms(connection, words, args.runs)
            seconds = cli_seconds(words, args.runs)
            database.append(ms)
            end_to_end.append(seconds)
            print(f"{fit(' '.join(words), 44)} {rows:>5} {ms:8.1f} {seconds:7.3f}")
    print(f"database  p50 {percentile(database, 0.5):6.1f} ms  p95 {percentile(database, 0.95):6.1f} ms"
          "  (target p95 < 50 ms)")
    print(f"CLI       p50 {percentile(end_to_end, 0.5):6.3f} s   p95 {percentile(end_to_end, 0.95):6.3f} s")
    if Path("/proc/loadavg").exists():  # the machine's other work weighs on every figure
        print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
