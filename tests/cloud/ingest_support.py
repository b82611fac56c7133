"""Starting the cloud in either shape for the ingest tests, and a small tus vocabulary."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import time
from dataclasses import dataclass, field

import pytest
import requests

from reeleditor.cloud.api import media_url
from reeleditor.cloud.app import Options
from reeleditor.cloud.server import CloudServer, serve_in_thread

TUS = {"Tus-Resumable": "1.0.0"}
PATCH = {**TUS, "Content-Type": "application/offset+octet-stream"}
SHAPES = ("embedded", "scale-out")


def required() -> bool:
    """In CI nothing here may skip: a missing engine is a failure."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass
class Shape:
    """Starts nodes of one shape; every node started is closed at the end."""

    name: str
    tmp: object  # pathlib.Path
    urls: tuple[str, str, str] | None = None  # storage, catalog, queue (scale-out)
    servers: list[CloudServer] = field(default_factory=list)

    def start(self, token: str | None = None, **options) -> CloudServer:
        options.setdefault("sweep_every", 0.5)
        opts = Options(token=token, **options)
        if self.urls is None:
            server = serve_in_thread("127.0.0.1", 0, self.tmp / "cloud", options=opts)
        else:
            storage, catalog, queue = self.urls
            server = serve_in_thread(
                "127.0.0.1", 0, None, storage=storage, catalog=catalog, queue=queue, options=opts
            )
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.close()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def create(base: str, length: int, headers: dict | None = None, **kw) -> requests.Response:
    return requests.post(
        f"{base}/files/",
        headers={**TUS, "Upload-Length": str(length), **(headers or {})},
        timeout=10,
        **kw,
    )


def patch(url: str, data, offset: int, headers: dict | None = None) -> requests.Response:
    return requests.patch(
        url,
        data=data,
        headers={**PATCH, "Upload-Offset": str(offset), **(headers or {})},
        timeout=30,
    )


def head(url: str, headers: dict | None = None) -> requests.Response:
    return requests.head(url, headers={**TUS, **(headers or {})}, timeout=10)


def raw_request(
    port: int, head_text: str, body: bytes = b"", wait: float = 5.0
) -> tuple[bytes, bool]:
    """Send raw bytes; returns (what came back, whether the server closed the socket)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(head_text.encode("latin-1") + body)
        got, closed = b"", False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                block = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                closed = True
                break
            if not block:
                closed = True
                break
            got += block
        return got, closed


def wait_state(server: CloudServer, reel_id: str, states: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        reel = server.cloud.catalog.get_reel(reel_id)
        state = reel.state.value if reel else "unknown"
        if state in states:
            return state
        time.sleep(0.05)
    return state


def need_scale_out(request, tmp) -> tuple[str, str, str]:
    """S3 on moto, PostgreSQL and Redis from the persistence tests' fixtures."""
    try:
        from tests.cloud import services  # noqa: F401
    except ImportError:
        if required():
            raise
        import pytest

        pytest.skip("tests/cloud/services.py (PostgreSQL, Redis, moto fixtures) is not here yet")
    return request.getfixturevalue("scale_out_urls")


@pytest.fixture(params=SHAPES)
def shape(request, tmp_path):
    urls = None if request.param == "embedded" else need_scale_out(request, tmp_path)
    made = Shape(request.param, tmp_path, urls)
    yield made
    made.close()


def make_reel(path, pad: int = 0, frames: int = 10, size: tuple[int, int] = (180, 320)):
    """A real small H.264 MP4 (no rendition needed at 180x320), then `pad` random bytes
    (the MP4 demuxer ignores what follows the file): a reel of any size that processes fast."""
    import av
    import numpy as np

    width, height = size
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            pixels = np.full((height, width, 3), (i * 20) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="bgr24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    if pad:
        with open(path, "ab") as fh:
            fh.write(os.urandom(pad))
    return path


def published_sha256(server: CloudServer, reel_id: str) -> str:
    """The sha256 of the source the reel was made from (the upload's bytes, which are not
    kept once published); its poster is fetched over HTTP on the way, as players do."""
    reel = server.cloud.catalog.get_reel(reel_id)
    poster = requests.get(server.url + media_url(reel.prefix, reel.meta["poster"]), timeout=60)
    assert poster.status_code == 200 and "immutable" in poster.headers["Cache-Control"]
    return reel.meta["source"]["sha256"]


def node_peer_dir():
    """The pinned Node packages (tus-js-client, @tus/server); a skip only outside CI."""
    import shutil

    from tests.upload.upload_support import install_peer, peer_home

    if not shutil.which("node") or not shutil.which("npm"):
        (pytest.fail if required() else pytest.skip)("node and npm are needed for tus-js-client")
    return install_peer(peer_home())


def js_upload(peer_dir, endpoint: str, path, token: str | None = None, chunk: int = 1 << 20) -> str:
    """Upload with tus-js-client; returns the upload URL."""
    import subprocess

    cmd = ["node", str(peer_dir / "upload.mjs"), "--endpoint", endpoint, "--file", str(path)]
    cmd += ["--chunk", str(chunk)] + (["--token", token] if token else [])
    done = subprocess.run(cmd, cwd=peer_dir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("UPLOADED ", 1)[1].strip()


def start_serve(data, home, port=0):
    """`reeleditor serve --data DATA` as a process; returns it and its base URL."""
    import subprocess
    import sys
    import threading

    env = {**os.environ, "REELEDITOR_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reeleditor", "serve", "--port", str(port), "--data", str(data),
         "--job-lease", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )  # fmt: skip
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    assert line and line[0].startswith("http://"), f"serve did not start: {line}"
    return proc, line[0].strip().removesuffix("/files/")
