"""A real local HTTP server whose answers the test sets (headers, bodies), counting requests."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Clock:
    """Real time plus what the test lets pass: freshness is tested without waiting."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.time() + self.skew


@dataclass
class Resource:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # ETag, Cache-Control, ...


class ControlledServer:
    """`resources[path]` is what a GET answers; a matching If-None-Match gets a 304.

    `requests` records (method, path, headers) of each request, so a test proves a fresh
    hit made none and a stale one made a conditional one.
    """

    def __init__(self, clock=time.time) -> None:
        self.clock = clock  # the Date it sends: a test's clock that lets time pass
        self.resources: dict[str, Resource] = {}
        self.requests: list[tuple[str, str, dict]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(("GET", self.path, dict(self.headers)))
                res = owner.resources.get(self.path)
                if res is None:
                    self.send_error(404)
                    return
                etag = res.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    for k, v in res.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    return
                self.send_response(200)
                for k, v in res.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(res.body)))
                self.end_headers()
                self.wfile.write(res.body)

            def do_DELETE(self) -> None:
                owner.requests.append(("DELETE", self.path, dict(self.headers)))
                gone = owner.resources.pop(self.path, None)
                self.send_response(204 if gone is not None else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def date_time_string(self, timestamp=None) -> str:
                return formatdate(owner.clock() if timestamp is None else timestamp, usegmt=True)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def get_count(self, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == "GET" and p == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
