"""Fixtures for the upload tests: the official tus Node server, the fault proxy, the CLI."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.upload.upload_fault_proxy import FaultProxy
from tests.upload.upload_support import (
    install_peer,
    peer_home,
    random_bytes,
    start_peer_process,
    stop_process,
)

MIN_NODE = (20, 19)


def _node_version() -> tuple[int, ...] | None:
    node = shutil.which("node")
    if not node:
        return None
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    return tuple(int(p) for p in out.stdout.strip().lstrip("v").split(".")[:2])


@pytest.fixture(scope="session")
def tus_peer_dir() -> Path:
    version = _node_version()
    # CI sets REELEDITOR_REQUIRE_TUS_PEER=1: there a missing node is a failure, not a skip
    missing = pytest.fail if os.environ.get("REELEDITOR_REQUIRE_TUS_PEER") else pytest.skip
    if version is None or not shutil.which("npm"):
        missing("node and npm are not installed: the tus peer (@tus/server) cannot run")
    if version < MIN_NODE:
        missing(f"node {version} is older than 20.19, which @tus/server needs")
    try:
        return install_peer(peer_home())
    except RuntimeError as exc:  # node is here, so CI expects the peer: fail, do not skip
        pytest.fail(str(exc))


@dataclass
class TusPeer:
    url: str
    port: int
    data: Path
    proc: subprocess.Popen

    def stored(self, upload_url: str) -> Path:
        return self.data / upload_url.rstrip("/").rsplit("/", 1)[1]

    def stored_sha256(self, upload_url: str) -> str:
        return hashlib.sha256(self.stored(upload_url).read_bytes()).hexdigest()

    def stored_metadata(self, upload_url: str) -> dict:
        info = json.loads(self.stored(upload_url).with_suffix(".json").read_text())
        return info.get("metadata", {})


@pytest.fixture
def start_peer(tus_peer_dir, tmp_path_factory) -> Callable[..., TusPeer]:
    """Start a tus Node server; options: expire_ms, max_size, token, checksum."""
    procs: list[subprocess.Popen] = []

    def start(**opts) -> TusPeer:
        data = tmp_path_factory.mktemp("tusdata")
        try:
            proc, port = start_peer_process(tus_peer_dir, data, **opts)
        except RuntimeError as exc:
            pytest.fail(str(exc))
        procs.append(proc)
        return TusPeer(f"http://127.0.0.1:{port}/files/", port, data, proc)

    yield start
    for proc in procs:
        stop_process(proc)


@pytest.fixture
def peer(start_peer) -> TusPeer:
    return start_peer()


@pytest.fixture
def make_proxy():
    proxies: list[FaultProxy] = []

    def make(target: TusPeer) -> FaultProxy:
        proxy = FaultProxy(target.port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def make_file(tmp_path) -> Callable[..., Path]:
    def make(size: int, name: str = "reel.mp4", seed: int = 1) -> Path:
        path = tmp_path / "src" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(random_bytes(size, seed))
        return path

    return make


@pytest.fixture(autouse=True)
def _upload_env(tmp_path, monkeypatch):
    """A private home, no endpoint or token from the environment, no real OS keyring."""
    if not os.environ.get("REELEDITOR_HOME"):
        monkeypatch.setenv("REELEDITOR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REELEDITOR_TOKEN", raising=False)
    monkeypatch.delenv("REELEDITOR_ENDPOINT", raising=False)
    monkeypatch.setattr("reeleditor.upload.credentials._usable_keyring", lambda: None)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch) -> Callable[..., CliResult]:
    """Run `reeleditor ARGS` in this process (upload commands registered)."""
    from reeleditor import cli as cli_module
    from reeleditor.commands import upload

    if upload not in cli_module.COMMAND_MODULES:
        monkeypatch.setattr(cli_module, "COMMAND_MODULES", [*cli_module.COMMAND_MODULES, upload])

    def run(*argv: str, stdin: str = "") -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli_module.main([str(a) for a in argv])
            except SystemExit as exc:  # argparse errors
                code = exc.code
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


class _HtmlHandler(BaseHTTPRequestHandler):
    def _page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"<!doctype html><html><body><h1>Welcome</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = do_OPTIONS = do_PATCH = _page

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def html_server():
    """A plain web server that answers 200 with an HTML page to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/files/"
    server.shutdown()
    server.server_close()
