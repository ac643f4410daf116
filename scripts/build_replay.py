#!/usr/bin/env python3
"""Build the offline replay site (newsmon/replay/site/) from the real material in ../shared.

Run by hand after changing this script, scripts/replay/ or the shared material:

    python scripts/build_replay.py [--shared PATH]

Everything written is a plain file under `<host>/<path>` of the real URL, so a real
`https://www.bbc.com/zhongwen/simp/world-55121025` is served as
`{replay_base}/www.bbc.com/zhongwen/simp/world-55121025`. Output is deterministic:
re-running on the same inputs gives a byte-identical tree.

This file is the driver; each outlet has its module in scripts/replay/ (zaobao, bbc, voa, un_news, faults, and
common helpers), whose docstring says which parts of its pages and feeds are real captured material and which are
synthetic.

Sources (see /work/shared/research/outlets-feeds-and-pages.md for the real formats):
  * labels/extraction_dev.jsonl     45 archived posts (15 Zaobao, 15 VOA, 15 BBC) with gold paragraphs
  * pages/zaobao/...EXCERPT.xml     3 zaobao.com.sg stories (2026) -> teaser feed + article pages (synthetic pages
                                    around the real bodies, built from the parser's selectors)
  * pages/bbc-main-captures/*.md    2 real BBC <main> captures (2023) -> feed items + pages
  * pages/voa/...html.gz            a real Pangea CMS (voanews.com) page, used as the VOA page skeleton
  * scripts/replay_un_news.json     synthetic UN News 中文 stories (no real capture exists), laid out as the
                                    Drupal pages public scrapers document (the parser's selectors)
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # scripts/replay/ is imported as `replay`, also when this file is loaded by path

from replay.bbc import build_bbc  # noqa: E402
from replay.common import Site, load_posts  # noqa: E402
from replay.faults import build_faults  # noqa: E402
from replay.un_news import build_un_news  # noqa: E402
from replay.voa import build_voa  # noqa: E402
from replay.zaobao import build_zaobao  # noqa: E402

REPO = HERE.parent
SITE = REPO / "newsmon" / "replay" / "site"


def build(shared: Path) -> Site:
    posts = load_posts(shared)
    by_outlet = {name: [p for p in posts if p.outlet == name] for name in ("zaobao", "voa", "bbc")}
    assert [len(v) for v in by_outlet.values()] == [15, 15, 15], {k: len(v) for k, v in by_outlet.items()}
    site = Site()
    outlets = {
        "zaobao": build_zaobao(shared, by_outlet["zaobao"], site),
        "bbc": build_bbc(shared, by_outlet["bbc"], site),
        "voa": build_voa(shared, by_outlet["voa"], site),
        "un_news": build_un_news(site),
    }
    faults, routes = build_faults(by_outlet["zaobao"], site)
    manifest = {
        "about": "Offline replay of the newsmon outlets, built by scripts/build_replay.py from /work/shared. "
        "A real URL https://HOST/PATH is served at {replay_base}/HOST/PATH (query ignored). "
        "`paragraphs` is the gold body: from labels/extraction_dev.jsonl for the 45 archived posts, the "
        "<p>/sub-heading texts of the excerpt for the 3 zaobao.com.sg stories, null for the 2 BBC captures, "
        "the lead and text of the 4 synthetic UN News stories.",
        "outlets": outlets,
        "faults": faults,
    }
    manifest["archive"] = {
        "path": "../archive/extraction_dev.jsonl.gz",
        "about": "The 45 extraction_dev posts as a news archive stores them ({path, text} JSON lines): the same "
        "stories the feeds above serve, for importing an archive after live polling (it must add nothing).",
    }
    site.add("MANIFEST.json", json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    site.add("_routes.json", json.dumps(routes, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return site


ARCHIVE = REPO / "newsmon" / "replay" / "archive" / "extraction_dev.jsonl.gz"  # beside the site: not served


def archive_jsonl(shared: Path) -> bytes:
    lines = []
    for line in (shared / "labels" / "extraction_dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        lines.append(json.dumps({"path": record["path"], "text": record["raw"]}, ensure_ascii=False) + "\n")
    return gzip.compress("".join(lines).encode("utf-8"), mtime=0)  # mtime 0: the same bytes on every build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared material (default: ../shared)"
    )
    parser.add_argument("--out", type=Path, default=SITE, help="site directory to (re)write")
    args = parser.parse_args(argv)
    site = build(args.shared.resolve())
    site.write(args.out)
    ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    ARCHIVE.write_bytes(archive_jsonl(args.shared.resolve()))
    size = sum(len(b) for b in site.files.values())
    print(f"wrote {len(site.files)} files, {size / 1024:.0f} KiB, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
