"""A hostile HTTP server on 127.0.0.1 that plays a fault on demand, per path, and records every request it saw.

Routes: /ok (a small page), /redirect?to=URL (302 to URL), /trickle (a status line, then one header line every
half second, never the body), /hang (reads the request, never answers). Any other path is 404. Paths under
/{host}/... (the replay site's layout) are served by their tail, so the server can stand in for several hosts.

A test may also set `answers[path]` to one of the answers made below (a status with Retry-After, a body cut off, an
endless body, a gzip bomb, a redirect, given bytes as any content type), or several `in_turn`.
"""

from __future__ import annotations

import itertools
import threading
import zlib
from collections.abc import Callable, Iterator
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
        self.answers: dict[str, Answer] = {}  # path -> how to answer it (the makers below)
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
        if parts.path in self.server.answers:
            return self.server.answers[parts.path](self)
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

    def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


Answer = Callable[[_Handler], None]


def served(body: bytes, content_type: str = "application/rss+xml; charset=utf-8", *, status: int = 200,
           headers: dict[str, str] | None = None) -> Answer:
    """These bytes, as this content type, with this status and these headers."""
    return lambda handler: handler._answer(status, body, content_type, headers)


def in_turn(*answers: Answer) -> Answer:
    """The first answer to the first request, the second to the second, ...; the last one ever after."""
    turns = itertools.chain(answers[:-1], itertools.repeat(answers[-1]))
    lock = threading.Lock()

    def answer(handler: _Handler) -> None:
        with lock:
            turn = next(turns)
        turn(handler)

    return answer


def redirect(location: str) -> Answer:
    return served(b"", "text/plain", status=302, headers={"Location": location})


def cut_off(body: bytes, missing: int) -> Answer:
    """Headers promising `missing` bytes more than the body, the body, then the connection closed (HTTP/1.0)."""
    return served(body, headers={"Content-Length": str(len(body) + missing)})


def endless(content_type: str = "application/rss+xml; charset=utf-8") -> Answer:
    """A body without a length that never ends: 64 KB after 64 KB until the client hangs up."""
    def answer(handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.end_headers()
        chunk = b"<item><title>" + b"x" * 65_536 + b"</title></item>"
        try:
            while not handler.server.stopping.is_set():
                handler.wfile.write(chunk)
        except OSError:  # the client hung up: what it should do
            pass

    return answer


def gzip_bomb(expands_to: int) -> Answer:
    """A small gzip body (Content-Encoding: gzip) that expands to `expands_to` zero bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte = bytes(1_000_000)  # compressed a megabyte at a time: the bomb is never held expanded
    bomb = b"".join(compressor.compress(megabyte) for _ in range(expands_to // len(megabyte))) + compressor.flush()
    return served(bomb, headers={"Content-Encoding": "gzip"})


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

