"""A fake status-page server, run as its own process by the tests and the bench:

    python -m tests.official.fake_status PORT DIRECTORY

GET /<name> serves DIRECTORY/<name> with an ETag and a Last-Modified taken from the file, and
answers 304 to a matching If-None-Match or If-Modified-Since, as Statuspage's CDN does.
Rewrite a file to change what a page says. Bad answers, on purpose:
/bad/html (an HTML 503 error page), /bad/html200 (a login page answered 200),
/bad/truncated (JSON cut short), /bad/truncated-xml (a feed cut short), /bad/huge (10 MB),
/bad/loop (a redirect loop), /bad/slow (answers after 30 s).
GET /__hits answers {path: [fetches answered 200, answered 304]}.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HUGE = 10 * 1024 * 1024


def serve(port: int, directory: Path) -> None:
    hits: dict[str, list[int]] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/__hits":
                with lock:
                    return self._send(200, json.dumps(hits).encode(), "application/json")
            if path.startswith("/bad/"):
                return self._bad(path.removeprefix("/bad/"))
            file = directory / path.lstrip("/")
            if ".." in path or not file.is_file():
                return self._send(404, b"not found", "text/plain")
            body = file.read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = file.stat().st_mtime
            fresh = self.headers.get("if-none-match") == etag
            since = self.headers.get("if-modified-since")
            if not fresh and since and not self.headers.get("if-none-match"):
                fresh = parsedate_to_datetime(since).timestamp() >= int(modified)
            with lock:
                hits.setdefault(path, [0, 0])[1 if fresh else 0] += 1
            headers = {"etag": etag, "last-modified": formatdate(modified, usegmt=True)}
            if fresh:
                return self._send(304, b"", "", headers)
            kind = "application/json" if file.suffix == ".json" else "application/xml"
            self._send(200, body, kind, headers)

        def _bad(self, name: str) -> None:
            with lock:
                hits.setdefault(self.path, [0, 0])[0] += 1
            if name == "html":
                page = b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>"
                self._send(503, page, "text/html")
            elif name == "html200":
                self._send(200, b"<html><body>Sign in</body></html>", "text/html")
            elif name == "truncated":
                self._send(200, b'{"page": {"id": "x", "name": "Git', "application/json")
            elif name == "truncated-xml":
                cut = b'<?xml version="1.0"?><rss version="2.0"><channel><title>EC2</ti'
                self._send(200, cut, "application/rss+xml")
            elif name == "huge":
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(HUGE))
                self.end_headers()
                chunk = b" " * 65536
                try:
                    for _ in range(HUGE // len(chunk)):
                        self.wfile.write(chunk)
                except OSError:
                    pass  # the client stopped reading: that is the point
            elif name == "loop":
                self._send(302, b"", "", {"location": "/bad/loop2"})
            elif name == "loop2":
                self._send(302, b"", "", {"location": "/bad/loop"})
            elif name == "slow":
                time.sleep(30)
                self._send(200, b"{}", "application/json")
            else:
                self._send(404, b"not found", "text/plain")

        def _send(
            self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            if kind:
                self.send_header("content-type", kind)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("content-length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    Server(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
