"""python -m newsmon.replay [--port N] [--site DIR]: serve the replay site until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from newsmon.processes import exit_on_sigterm
from newsmon.replay import SITE_DIR, ReplayServer, load_manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m newsmon.replay", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--site", default=str(SITE_DIR), help="replay site directory")
    args = parser.parse_args(argv)
    exit_on_sigterm()

    with ReplayServer(args.site, port=args.port) as server:
        print(f"replay_base = {server.base_url}", flush=True)
        for outlet, entry in sorted(load_manifest(args.site)["outlets"].items()):
            for feed in entry["feeds"]:
                print(f"  {outlet:7} {server.url_for(feed['url'])}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped")


if __name__ == "__main__":
    main()
