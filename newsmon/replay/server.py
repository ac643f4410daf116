"""A local HTTP server that replays the outlets' feeds and pages from newsmon/replay/site/.

A real URL `https://HOST/PATH?QUERY` is requested as `{base_url}/HOST/PATH?QUERY` and
answered from the file `site/HOST/PATH` (the query is ignored, so BBC's
`?at_medium=RSS&at_campaign=KARANGA` links hit the same page). `site/_routes.json` can
override a path's status, delay, Content-Type and headers, which is how the fault cases
under `faults.test/` are made.

    with ReplayServer() as server:
        httpx.get(server.url_for("https://feeds.bbci.co.uk/zhongwen/simp/rss.xml"))
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
from collections import Counter
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_DIR = Path(__file__).resolve().parent / "site"
ROUTES_FILE = "_routes.json"

# One fixed date for every file: the site is a snapshot, and a fixed value keeps
# conditional GETs (If-Modified-Since) deterministic across machines and rebuilds.
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"

FEED_TYPE = "application/rss+xml; charset=utf-8"
PAGE_TYPE = "text/html; charset=utf-8"

log = logging.getLogger(__name__)


def site_path_of(url: str) -> str:
    """`https://www.bbc.com/zhongwen/simp/x?a=1` -> `www.bbc.com/zhongwen/simp/x` (the key of hits and routes)."""
    parts = urlsplit(url)
    return parts.netloc + unquote(parts.path)


def replay_url(base_url: str, real_url: str) -> str:
    """Where the replay site serves a real URL: `{base_url}/{host}{path}[?query]`."""
    parts = urlsplit(real_url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{base_url.rstrip('/')}/{parts.netloc}{parts.path}{query}"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def content_type_of(path: str, body: bytes) -> str:
    if path.endswith(".json"):
        return "application/json; charset=utf-8"
    head = body[:200].lstrip()
    return FEED_TYPE if head.startswith((b"<?xml", b"<rss")) else PAGE_TYPE


class ReplayServer:
    """Serve a replay site on 127.0.0.1 from a daemon thread; use as a context manager.

    route_overrides: {site_path: {...}} merged over `_routes.json`, e.g. to make the
    slow fault page answer after 1 s instead of 30 s in a test.
    """

    def __init__(
        self,
        site_dir: Path | str = SITE_DIR,
        host: str = "127.0.0.1",
        port: int = 0,
        route_overrides: dict[str, dict] | None = None,
    ) -> None:
        self.site_dir = Path(site_dir).resolve()
        self.host, self.port = host, port
        routes_file = self.site_dir / ROUTES_FILE
        self.routes: dict[str, dict] = json.loads(routes_file.read_text("utf-8")) if routes_file.exists() else {}
        for path, override in (route_overrides or {}).items():
            self.routes[path] = {**self.routes.get(path, {}), **copy.deepcopy(override)}
        self.hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()
        self._stopping = threading.Event()  # wakes delayed responses when the server stops
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> ReplayServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._httpd.daemon_threads = True  # a slow response must not hold up shutdown
        self._httpd.replay = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- addressing

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, real_url: str) -> str:
        return replay_url(self.base_url, real_url)

    def hits_for(self, real_url: str) -> int:
        with self._hits_lock:
            return self.hits[site_path_of(real_url)]

    # -- serving (called from handler threads)

    def _count(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def _read(self, path: str) -> bytes | None:
        """The file for a site path, or None; never anything outside the site directory."""
        try:
            target = (self.site_dir / path).resolve()
            if not target.is_relative_to(self.site_dir) or not target.is_file():
                return None
            return target.read_bytes()
        except (OSError, ValueError):  # e.g. a NUL byte or an over-long name in the request path
            return None


class _Handler(BaseHTTPRequestHandler):
    server_version = "newsmon-replay/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive like the real sites; every response has Content-Length
    timeout = 30  # close idle keep-alive connections, so no handler thread outlives its use for long

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args) -> None:  # the stdlib signature (`format` shadows the builtin)
        log.debug("%s %s", self.address_string(), format % args)

    def _respond(self, send_body: bool) -> None:
        replay: ReplayServer = self.server.replay  # type: ignore[attr-defined]
        if replay._stopping.is_set():  # a kept-alive connection outliving stop()
            self.close_connection = True
            return
        path = unquote(urlsplit(self.path).path).lstrip("/")
        replay._count(path)
        route = replay.routes.get(path, {})

        delay = float(route.get("delay", 0))
        if delay and replay._stopping.wait(delay):
            self.close_connection = True
            return  # server is stopping: drop the request rather than keep a thread asleep

        body = replay._read(path)
        status = int(route.get("status", 200 if body is not None else 404))
        if body is None:  # an error page (a route that says 200 for a missing file gets "200 OK" as its page)
            reason = HTTPStatus(status).phrase
            body = (
                f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>"
                f"<body><h1>{status} {reason}</h1></body></html>\n"
            ).encode()
        headers = {"Content-Type": route.get("content_type") or content_type_of(path, body)}

        if status == 200:
            etag = etag_of(body)
            headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=60"})
            if self._not_modified(etag):
                # 304 carries the validators but no content (and so no Content-Type/Length)
                status, body = 304, b""
                del headers["Content-Type"]
        headers.update(route.get("headers", {}))
        if status != 304:
            headers["Content-Length"] = str(len(body))

        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout hit during a delay)

    def _not_modified(self, etag: str) -> bool:
        """RFC 9110: If-None-Match decides when present; If-Modified-Since only without it."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            return parsedate_to_datetime(since) >= parsedate_to_datetime(LAST_MODIFIED)
        except (TypeError, ValueError):
            return False  # unparseable date: ignore the condition, as RFC 9110 says
