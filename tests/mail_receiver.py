"""An SMTP server on 127.0.0.1 that keeps the mail it is sent: the witness of what a mail client would get from an
Apprise mailto:// channel (`mailto://user:password@127.0.0.1:PORT?mode=insecure&to=...`). Plain SMTP, AUTH PLAIN
accepted with any password (recorded), no TLS."""

from __future__ import annotations

import base64
import email
import socketserver
import threading
from email.message import EmailMessage
from email.policy import default


class MailReceiver:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []  # (user, password) of each AUTH PLAIN
        receiver = self

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self):  # socketserver's naming
                self.reply("220 127.0.0.1 newsmon test SMTP")
                while line := self.rfile.readline():
                    verb = line.decode("ascii", "replace").strip()
                    command = verb.upper()
                    if command.startswith("EHLO"):
                        self.reply("250-127.0.0.1\r\n250-AUTH PLAIN\r\n250 8BITMIME")
                    elif command.startswith("HELO"):
                        self.reply("250 127.0.0.1")
                    elif command.startswith("AUTH PLAIN"):
                        _, user, password = base64.b64decode(verb.split()[2]).decode().split("\0")
                        receiver.logins.append((user, password))
                        self.reply("235 2.7.0 accepted")
                    elif command == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = bytearray()
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        receiver.messages.append(email.message_from_bytes(bytes(data), policy=default))
                        self.reply("250 2.0.0 kept")
                    elif command == "QUIT":
                        self.reply("221 2.0.0 bye")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.reply("250 2.0.0 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> MailReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
