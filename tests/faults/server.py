"""A hostile HTTP server on 127.0.0.1 that plays a fault on demand, per path, and records every request it saw.

Routes: /ok (a small page), /redirect?to=URL (302 to URL), /trickle (a status line, then one header line every
half second, never the body), /hang (reads the request, never answers). Any other path is 404. Paths under
/{host}/... (the replay site's layout) are served by their tail, so the server can stand in for several hosts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = b"<html><body><p>ok</p></body></html>"


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []  # every request's path, in arrival order
        self.routes: dict[str, bytes] = {}  # extra fixed answers: path -> RSS body
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        parts = urlsplit(self.path)
        if parts.path in self.server.routes:
            return self._answer(200, self.server.routes[parts.path], "application/rss+xml; charset=utf-8")
        fault = parts.path.rsplit("/", 1)[-1]
        if fault == "ok":
            return self._answer(200, PAGE, "text/html; charset=utf-8")
        if fault == "redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if fault == "trickle":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for n in range(10_000):  # hours, unless the client gives up
                if self.server.stopping.wait(0.5):
                    return
                self.wfile.write(f"X-Trickle-{n}: 1\r\n".encode())
                self.wfile.flush()
        if fault == "hang":
            self.server.stopping.wait()
            return
        self._answer(404, b"", "text/plain")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def hostile_server() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

