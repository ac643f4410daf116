"""Offline replay of the outlets: a packaged site of real feeds/pages and a local server for it.

See server.py for the URL scheme and scripts/build_replay.py for how the site is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsmon.replay.server import SITE_DIR, ReplayServer, replay_url, site_path_of

__all__ = ["ARCHIVE", "SITE_DIR", "ReplayServer", "load_manifest", "replay_url", "served", "site_path_of"]

# The replayed Zaobao, BBC and VOA stories as a news archive keeps them, for `newsmon import` after polling.
ARCHIVE = Path(__file__).with_name("archive") / "extraction_dev.jsonl.gz"


def load_manifest(site_dir: Path | str = SITE_DIR) -> dict:
    """MANIFEST.json of a replay site: feeds and items per outlet, gold paragraphs, faults."""
    return json.loads((Path(site_dir) / "MANIFEST.json").read_text(encoding="utf-8"))


@contextmanager
def served(replay: bool, replay_base: str | None = None) -> Iterator[str | None]:
    """A run's replay site: replay_base when given, else (`replay`) the packaged site served on a free port of
    127.0.0.1 for the block, else None: the real outlets. A deployed replay run needs nothing else running."""
    if replay and not replay_base:
        with ReplayServer() as server:
            yield server.base_url
    else:
        yield replay_base
