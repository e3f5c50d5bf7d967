"""A local webhook receiver: a real HTTP server on 127.0.0.1, in a thread, that verifies each
request with the reference `standardwebhooks` library and records what it saw."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str = ""
    path: str = ""


@dataclass
class Receiver:
    secrets: list[str]
    # Status codes to answer in turn (the last repeats); "hang" holds the request open.
    answers: list[int | str] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def verify(self, body: bytes, headers: dict[str, str]) -> tuple[bool, str]:
        """Accepted if any of the receiver's secrets verifies it (the library's own check)."""
        error = ""
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
                return True, ""
            except WebhookVerificationError as exc:
                error = str(exc)
        return False, error

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok, error = receiver.verify(body, headers)
            with lock:
                receiver.received.append(Received(headers, body, ok, error, self.path))
                index = len(receiver.received) - 1
                answer = receiver.answers[min(index, len(receiver.answers) - 1)]
            if answer == "hang":
                receiver.release.wait(60)
                return
            status = int(answer) if ok else 401
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request, client_address) -> bool:  # type: ignore[no-untyped-def]
            receiver.connections += 1
            return True

    server = Server(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
