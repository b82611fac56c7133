"""Many at once: 20 concurrent uploads of 20 MiB, and 200 idle sockets beside an upload."""

from __future__ import annotations

import hashlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from reeleditor.cloud.server import wait_published
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.cloud.ingest_support import (
    Shape,
    make_reel,
    need_scale_out,
    published_sha256,
    sha256,
)

SIZE = 20 << 20


def upload_with_the_app(server, path, home) -> str:
    """One upload with the app's client (its own queue folder); returns the reel id."""
    data = path.read_bytes()
    queue = UploadQueue(home)
    entry = queue.add(path, len(data), sha256(data), f"{server.url}/files/", title=path.name)
    for _ in Uploader(queue, chunk_size=4 << 20).run(entry.id):
        pass
    done = queue.get(entry.id)
    assert done.state == "done", done.last_error
    assert done.verified.endswith("sha256 confirmed by server")
    return done.upload_url.rstrip("/").rsplit("/", 1)[-1]


def test_20_concurrent_uploads_of_20_mib_are_byte_identical_and_ready(shape, tmp_path):
    server = shape.start(workers=2)
    paths = [make_reel(tmp_path / f"reel{i}.mp4", pad=SIZE) for i in range(20)]
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    with ThreadPoolExecutor(20) as pool:
        ids = list(
            pool.map(lambda i: upload_with_the_app(server, paths[i], tmp_path / f"q{i}"), range(20))
        )
    assert len(set(ids)) == 20
    for path, reel_id in zip(paths, ids, strict=True):
        assert wait_published(server, reel_id, timeout=120) == "published"
        assert published_sha256(server, reel_id) == digests[path.name]
        assert len(server.cloud.catalog.jobs_for_reel(reel_id)) == 1


def test_200_idle_sockets_do_not_stop_an_upload_and_are_closed(request, tmp_path):
    """On both shapes at once (the 20 s are the point, so they are spent once)."""
    shapes = [Shape("embedded", tmp_path / "e")]
    shapes.append(Shape("scale-out", tmp_path / "s", need_scale_out(request, tmp_path)))
    idle = []
    try:
        servers = [s.start() for s in shapes]
        started = time.monotonic()
        for server in servers:
            host, port = server.server_address
            socks = [socket.create_connection((host, port), timeout=5) for _ in range(200)]
            for sock in socks[:100]:  # these send half a request, then nothing
                sock.sendall(b"PATCH /files/x HTTP/1.1\r\nHost: x\r\n")
            idle += socks
        for server in servers:
            path = make_reel(tmp_path / f"reel-{server.server_address[1]}.mp4", pad=2 << 20)
            reel_id = upload_with_the_app(server, path, tmp_path / f"q{server.server_address[1]}")
            assert wait_published(server, reel_id) == "published"
        assert time.monotonic() - started < 15  # not held up by the idle ones
        time.sleep(max(0.0, 20 - (time.monotonic() - started)))
        closed = 0
        for sock in idle:
            sock.settimeout(2)
            try:
                closed += sock.recv(1024) == b""
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
        assert closed == 400  # the idle timeout (15 s) ended every one of them
    finally:
        for sock in idle:
            sock.close()
        for made in shapes:
            made.close()


def test_a_big_patch_is_streamed_in_bounded_memory(tmp_path):
    """512 MiB in one chunked PATCH to `reeleditor serve`: its RSS grows by far less."""
    import os

    import requests

    from tests.cloud.ingest_support import TUS, start_serve

    proc, base = start_serve(tmp_path / "cloud", tmp_path / "home")

    def rss_kib() -> int:
        with open(f"/proc/{proc.pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))

    try:
        size, block = 512 << 20, os.urandom(1 << 20)
        created = requests.post(
            f"{base}/files/", headers={**TUS, "Upload-Length": str(size)}, timeout=10
        )
        before, peak = rss_kib(), 0

        def body():
            nonlocal peak
            for i in range(size >> 20):
                if i % 32 == 0:
                    peak = max(peak, rss_kib())
                yield block

        answer = requests.patch(
            base + created.headers["Location"],
            data=body(),
            timeout=120,
            headers={
                **TUS,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": "0",
            },
        )
        assert answer.status_code == 204 and answer.headers["Upload-Offset"] == str(size)
        assert max(peak, rss_kib()) - before < 64 << 10  # KiB: under 64 MiB of growth
    finally:
        proc.terminate()
        proc.wait(30)
