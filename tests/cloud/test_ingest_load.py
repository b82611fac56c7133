"""Many at once: 20 concurrent uploads of 20 MiB, and 200 idle sockets beside an upload."""

from __future__ import annotations

import hashlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from reeleditor.cloud.server import wait_published
from reeleditor.upload.queue import UploadQueue
from reeleditor.upload.transfer import Uploader
from tests.cloud.ingest_support import make_reel, published_original, sha256

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
        assert sha256(published_original(server, reel_id)) == digests[path.name]
        assert len(server.cloud.catalog.jobs_for_reel(reel_id)) == 1


def test_200_idle_sockets_do_not_stop_an_upload_and_are_closed(shape, tmp_path):
    server = shape.start()
    host, port = server.server_address
    started = time.monotonic()
    idle = [socket.create_connection((host, port), timeout=5) for _ in range(200)]
    try:
        half = idle[:100]  # these send half a request, then nothing
        for sock in half:
            sock.sendall(b"PATCH /files/x HTTP/1.1\r\nHost: x\r\n")
        path = make_reel(tmp_path / "reel.mp4", pad=2 << 20)
        reel_id = upload_with_the_app(server, path, tmp_path / "q")
        assert time.monotonic() - started < 10  # not held up by the idle ones
        assert wait_published(server, reel_id) == "published"
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
        assert closed == 200  # the idle timeout (15 s) ended every one of them
    finally:
        for sock in idle:
            sock.close()
