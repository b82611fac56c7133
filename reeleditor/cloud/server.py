"""The reference cloud (`reeleditor serve`): tus 1.0.0 ingest, processing, delivery, feed.

One process on stdlib HTTP: good for one machine and for tests. Past one machine, ingest
moves to tusd or the Node tus server with an S3 store, processing to workers fed by the
upload-finished hook, and /media behind a CDN; the app keeps speaking tus and plain HTTP.

Beyond tus 1.0.0, a complete upload is answered (final PATCH or POST, and HEAD) with
`Upload-Sha256-Verified: <hex>`, the sha256 of the bytes stored, so a client can check that
the server holds its file; a tus server without it is simply not asked.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from reeleditor import __version__
from reeleditor.cloud.delivery import feed_entries, send_file
from reeleditor.cloud.tus_store import UploadStore, parse_metadata

log = logging.getLogger("reeleditor.cloud")
TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
CHECKSUMS = {"sha256": hashlib.sha256, "sha1": hashlib.sha1, "md5": hashlib.md5}
MAX_SIZE = 4 << 30
BLOCK = 1 << 18
SHA256_HEADER = "Upload-Sha256-Verified"
_FILE_RE = re.compile(r"^/files/([a-f0-9]{32})$")
_MEDIA_RE = re.compile(r"^/media/([A-Za-z0-9_-]{1,64})/([A-Za-z0-9_.-]{1,64})$")


class CloudState:
    """What the handlers share: the upload store, the media folder, the processing lane."""

    def __init__(self, data: Path, token: str | None = None) -> None:
        self.data = Path(data)
        self.uploads = UploadStore(self.data / "uploads")
        self.media = self.data / "media"
        self.media.mkdir(parents=True, exist_ok=True)
        self.token = token
        self.processing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cloud-process")
        self.status: dict[str, str] = {}

    def process(self, upload_id: str) -> None:
        from reeleditor.cloud.processing import publish

        info = self.uploads.get(upload_id)
        self.status[upload_id] = "processing"
        try:
            publish(self.uploads.data_path(upload_id), info.metadata, self.media, upload_id)
            self.status[upload_id] = "published"
            log.info("published %s", upload_id)
        except Exception as exc:  # reported per upload on /status; the server goes on
            self.status[upload_id] = f"failed: {exc}"
            log.warning("processing %s failed", upload_id, exc_info=True)


class TusHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses one connection
    server_version = f"reeleditor-cloud/{__version__}"
    state: CloudState  # set on the subclass made by make_server

    def log_message(self, fmt, *args) -> None:
        log.debug("%s %s", self.address_string(), fmt % args)

    # -- helpers ------------------------------------------------------------------------------
    def _reply(self, status: int, headers: dict | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Tus-Resumable", TUS_VERSION)
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._reply(status, {"Content-Type": "text/plain; charset=utf-8"}, message.encode())

    def _authorised(self) -> bool:
        token = self.state.token
        if not token:
            return True
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given, f"Bearer {token}"):
            return True
        self._drain()
        self._error(401, "missing or wrong bearer token")
        return False

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(BLOCK, length))
            if not got:
                break
            length -= len(got)

    def _upload(self):
        match = _FILE_RE.match(self.path.split("?")[0])
        info = self.state.uploads.get(match.group(1)) if match else None
        if info is None:
            self._drain()
            self._error(404, "no such upload")
            return None
        if info.expired:
            self._drain()
            self.state.uploads.delete(info.id)
            self._error(410, "this upload expired; create a new one")
            return None
        return info

    # -- tus ------------------------------------------------------------------------------------
    def do_OPTIONS(self) -> None:
        self._reply(
            204,
            {
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": EXTENSIONS,
                "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
                "Tus-Max-Size": MAX_SIZE,
            },
        )

    def do_POST(self) -> None:
        if self.path.split("?")[0].rstrip("/") != "/files":
            self._drain()
            return self._error(404, "not found")
        if not self._authorised():
            return
        try:
            length = int(self.headers["Upload-Length"])
            if length < 0:
                raise ValueError
            metadata = parse_metadata(self.headers.get("Upload-Metadata", ""))
        except (TypeError, ValueError):
            self._drain()
            return self._error(400, "Upload-Length must be a whole number; metadata key base64")
        if length > MAX_SIZE:
            self._drain()
            return self._error(413, f"uploads are limited to {MAX_SIZE} bytes")
        info = self.state.uploads.create(length, metadata)
        headers = {
            "Location": f"/files/{info.id}",
            "Upload-Expires": email.utils.formatdate(info.expires, usegmt=True),
        }
        if int(self.headers.get("Content-Length") or 0) > 0:
            with self.state.uploads.lock(info.id):
                status = self._receive(info)
            if status != 204:
                return
            headers["Upload-Offset"] = info.offset
            if info.complete:
                headers[SHA256_HEADER] = info.sha256
        self._reply(201, headers)

    def do_HEAD(self) -> None:
        match = _MEDIA_RE.match(self.path.split("?")[0])
        if match:
            return send_file(self, self.state.media / match.group(1) / match.group(2))
        if not self._authorised():
            return
        info = self._upload()
        if info is None:
            return
        headers = {
            "Upload-Offset": info.offset,
            "Cache-Control": "no-store",
            "Upload-Expires": email.utils.formatdate(info.expires, usegmt=True),
        }
        if info.length is not None:
            headers["Upload-Length"] = info.length
        if info.complete:
            with self.state.uploads.lock(info.id):
                headers[SHA256_HEADER] = self.state.uploads.seal(info)
        self._reply(200, headers)

    def do_PATCH(self) -> None:
        if not self._authorised():
            return
        info = self._upload()
        if info is None:
            return
        if self.headers.get("Content-Type") != "application/offset+octet-stream":
            self._drain()
            return self._error(415, "PATCH needs Content-Type: application/offset+octet-stream")
        lock = self.state.uploads.lock(info.id)
        if not lock.acquire(blocking=False):
            self._drain()
            return self._error(423, "another request is writing this upload")
        try:
            info = self.state.uploads.get(info.id)  # fresh, under the lock
            if self._receive(info) == 204:
                headers = {
                    "Upload-Offset": info.offset,
                    "Upload-Expires": email.utils.formatdate(info.expires, usegmt=True),
                }
                if info.complete:
                    headers[SHA256_HEADER] = info.sha256
                self._reply(204, headers)
        finally:
            lock.release()

    def _receive(self, info) -> int:
        """Append the request body at the client's offset; answers errors itself."""
        try:
            offset = int(self.headers.get("Upload-Offset", info.offset))
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._drain()
            self._error(400, "Upload-Offset and Content-Length must be whole numbers")
            return 400
        if offset != info.offset:
            self._drain()
            self._error(409, f"offset {offset} is not the upload's offset {info.offset}")
            return 409
        if info.length is not None and offset + size > info.length:
            self._drain()
            self._error(413, "the body runs past Upload-Length")
            return 413
        checksum = self.headers.get("Upload-Checksum")
        digest = None
        if checksum:
            algo, _, expected = checksum.partition(" ")
            if algo not in CHECKSUMS:
                self._drain()
                self._error(400, f"checksum algorithm {algo!r} is not supported")
                return 400
            digest = CHECKSUMS[algo]()
        received = bytearray()
        while len(received) < size:
            block = self.rfile.read(min(BLOCK, size - len(received)))
            if not block:
                break
            received += block
        if digest is not None:
            digest.update(received)
            if len(received) < size or base64.b64encode(digest.digest()).decode() != expected:
                self._error(460, "checksum mismatch: send the chunk again")
                return 460
        if received:
            self.state.uploads.append(info, bytes(received))
        if len(received) < size:
            self.close_connection = True
            return 400  # the client went away; what arrived is kept for its resume
        if info.complete:
            sha256 = self.state.uploads.seal(info)  # under the upload's lock, once
            expected = info.metadata.get("sha256", "").lower()
            if expected and expected != sha256:
                log.warning("upload %s does not match the sha256 in its metadata", info.id)
            self.state.processing.submit(self.state.process, info.id)
        return 204

    def do_DELETE(self) -> None:
        if not self._authorised():
            return
        info = self._upload()
        if info is None:
            return
        self.state.uploads.delete(info.id)
        self._reply(204)

    # -- delivery -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/feed.json":
            body = json.dumps(feed_entries(self.state.media)).encode()
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._reply(304, {"ETag": etag, "Cache-Control": "public, max-age=10"})
            return self._reply(
                200,
                {
                    "Content-Type": "application/json",
                    "ETag": etag,
                    "Cache-Control": "public, max-age=10",
                },
                body,
            )
        match = _MEDIA_RE.match(path)
        if match:
            return send_file(self, self.state.media / match.group(1) / match.group(2))
        status = re.match(r"^/status/([a-f0-9]{32})$", path)
        if status:
            state = self.state.status.get(status.group(1))
            if state is None:
                info = self.state.uploads.get(status.group(1))
                state = "uploading" if info and not info.complete else "unknown"
            return self._reply(
                200, {"Content-Type": "application/json"}, json.dumps({"state": state}).encode()
            )
        self._error(404, "not found")


def make_server(host: str, port: int, data: Path, token: str | None = None):
    state = CloudState(data, token)
    state.uploads.purge_expired()
    handler = type("Handler", (TusHandler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.cloud = state
    return server


def serve_in_thread(host: str, port: int, data: Path, token: str | None = None):
    """Start a server on a daemon thread (tests, the app's built-in cloud); returns it."""
    server = make_server(host, port, data, token)
    threading.Thread(target=server.serve_forever, name="cloud", daemon=True).start()
    return server


def wait_published(server, upload_id: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = server.cloud.status.get(upload_id, "")
        if state == "published" or state.startswith("failed"):
            return state
        time.sleep(0.05)
    return "timeout"
