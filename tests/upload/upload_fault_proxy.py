"""A fault-injecting TCP proxy for loopback tests: cut, stall, corrupt, throttle, canned answers.

It forwards bytes unchanged, but reads each request's head (method, Content-Length) on the
way, so faults can target one request and it can count the body bytes that went upstream.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

PIECE = 64 * 1024


@dataclass
class Canned:
    method: str
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    times: int = 1


class FaultProxy:
    """`FaultProxy(upstream_port)` listens on 127.0.0.1:`port`; arm faults, then use `url()`."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._canned: list[Canned] = []
        self._cut_at: int | None = None
        self._stall: tuple[int, float] | None = None
        self._corrupt: int = 0
        self.rate: float | None = None  # bytes per second upstream, None: as fast as possible
        self.body_bytes = 0  # request-body bytes forwarded upstream (PATCH and POST)
        self.requests: list[str] = []  # "METHOD status-or-forwarded"
        self.faults_fired = 0
        self.first_byte_at: float | None = None  # monotonic time of the first body byte
        self._socks: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/files/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- arming faults -------------------------------------------------------------------
    def cut_after(self, nbytes: int) -> None:
        """Reset the connection after `nbytes` more body bytes went upstream."""
        with self._lock:
            self._cut_at = self.body_bytes + nbytes

    def stall_after(self, nbytes: int, seconds: float) -> None:
        """After `nbytes` more body bytes, stop forwarding for `seconds`, then drop it."""
        with self._lock:
            self._stall = (self.body_bytes + nbytes, seconds)

    def answer(self, method: str, status: int, headers=None, body=b"", times=1) -> None:
        """Answer the next `times` requests of `method` ourselves; the server never sees them.

        A header given as None is left out of the answer (e.g. Tus-Resumable).
        """
        with self._lock:
            self._canned.append(Canned(method, status, dict(headers or {}), body, times))

    def corrupt_next(self, times: int = 1) -> None:
        """Flip a byte in the body of the next `times` PATCH requests."""
        with self._lock:
            self._corrupt += times

    def watch_first_byte(self) -> None:
        """Record when the next request-body byte passes (see `first_byte_at`)."""
        with self._lock:
            self.first_byte_at = None

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in list(self._socks):
            _hard_close(sock)

    # -- plumbing ------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            _hard_close(client)
            return
        upstream.settimeout(None)
        self._socks |= {client, upstream}
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        try:
            self._requests(client, upstream)
        except OSError:
            pass
        finally:
            _hard_close(client)
            _hard_close(upstream)
            self._socks -= {client, upstream}

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(PIECE):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = client.recv(PIECE)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            canned = self._take_canned(method)
            if canned is not None:
                self._drain(client, buf, length)
                self._reply(client, canned)
                self.requests.append(f"{method} {canned.status}")
                return  # close the connection after a canned answer
            self.requests.append(f"{method} forwarded")
            upstream.sendall(head + b"\r\n\r\n")
            buf = self._forward_body(client, upstream, buf, length, method)
            if buf is None:
                return

    def _take_canned(self, method: str) -> Canned | None:
        with self._lock:
            for canned in self._canned:
                if canned.method == method and canned.times > 0:
                    canned.times -= 1
                    self.faults_fired += 1
                    return canned
        return None

    def _drain(self, client: socket.socket, buf: bytes, length: int) -> None:
        left = length - len(buf)
        while left > 0:
            data = client.recv(min(PIECE, left))
            if not data:
                return
            left -= len(data)

    def _reply(self, client: socket.socket, canned: Canned) -> None:
        headers = {
            "Tus-Resumable": "1.0.0",
            "Content-Length": str(len(canned.body)),
            "Connection": "close",
            **canned.headers,
        }
        headers = {k: v for k, v in headers.items() if v is not None}  # None: leave it out
        head = f"HTTP/1.1 {canned.status} Fault\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        client.sendall(head.encode() + b"\r\n" + canned.body)

    def _forward_body(self, client, upstream, buf: bytes, length: int, method: str):
        """Send `length` body bytes upstream, applying faults; returns leftover bytes or None."""
        left = length
        corrupt = False
        if method == "PATCH" and length:
            with self._lock:
                if self._corrupt:
                    self._corrupt -= 1
                    self.faults_fired += 1
                    corrupt = True
        while left > 0:
            if buf:
                piece, buf = buf[:left], buf[left:]
            else:
                piece = client.recv(min(PIECE, left))
                if not piece:
                    return None
            if corrupt:
                piece = bytes([piece[0] ^ 0xFF]) + piece[1:]
                corrupt = False
            piece, stop = self._apply_limits(piece)
            if piece:
                upstream.sendall(piece)
            left -= len(piece)
            if stop:
                return None
            if self.rate:
                time.sleep(len(piece) / self.rate)
        return buf

    def _apply_limits(self, piece: bytes) -> tuple[bytes, bool]:
        """Trim `piece` at an armed cut or stall; count what goes upstream."""
        with self._lock:
            start = self.body_bytes
            end = start + len(piece)
            cut = self._cut_at if self._cut_at is not None and self._cut_at < end else None
            stall = self._stall if self._stall is not None and self._stall[0] < end else None
            limit = min(x for x in (cut, stall[0] if stall else None, end) if x is not None)
            piece = piece[: max(0, limit - start)]
            self.body_bytes = start + len(piece)
            if piece and self.first_byte_at is None:
                self.first_byte_at = time.monotonic()
            if cut is not None:
                self._cut_at = None
                self.faults_fired += 1
            if stall is not None:
                self._stall = None
                self.faults_fired += 1
        if stall is not None:
            time.sleep(stall[1])
        return piece, cut is not None or stall is not None


def _hard_close(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0): what a reset connection looks like to the other side."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
