"""A webhook receiver on 127.0.0.1 that keeps what it is sent: the demo's alert channel, and the tests' witness
of exact payloads. Point a channel at `json://127.0.0.1:PORT/alerts` (Apprise's generic JSON webhook)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, status: int = 200):
        self.received: list[dict] = []  # {"path", "headers", "json"}
        self.status = status  # what it answers; tests set 500 to play a failing service
        # cleared, requests are kept but their answers wait until it is set again: a test's service that got the
        # message and has not answered yet
        self.answering = threading.Event()
        self.answering.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"raw": body.decode("utf-8", "replace")}
                if receiver.status < 400:
                    receiver.received.append({"path": self.path, "headers": dict(self.headers), "json": payload})
                receiver.answering.wait()
                try:
                    self.send_response(receiver.status)
                    self.end_headers()
                except OSError:  # the sender is gone (killed while waiting): nobody to answer
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.answering.set()  # a held answer must not outlive the receiver
        self.server.shutdown()
        self.server.server_close()
