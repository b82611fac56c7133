"""Real peers for the cloud's tests: PostgreSQL, Redis and moto's S3 server on loopback.

Each is a context manager that starts the real program on a free port, yields its URL and
stops it (and removes its files) on exit. Missing programs skip the test, except in CI
(`CI=true`), where they fail it: CI installs them, so a skip there would hide a gap.

    with postgres_server() as url: ...   # postgresql://postgres@127.0.0.1:PORT/postgres
    with redis_server() as url: ...      # redis://127.0.0.1:PORT/0
    with moto_server() as endpoint: ...  # http://127.0.0.1:PORT (AWS_* test credentials set)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(program: str | Path) -> str:
    """The program's path; skip (or fail, in CI) when it is not installed."""
    found = str(program) if Path(program).is_file() else shutil.which(str(program))
    if not found:
        message = f"{program} is not installed (apt: postgresql, redis-server; pip: moto[server])"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: tests running as root start it as 'postgres'
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    initdb = need(PG_BIN / "initdb")
    pg_ctl = need(PG_BIN / "pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="reeleditor-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    data = base / "data"
    try:
        subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w",
                          "start"]),
            check=True,
            capture_output=True,
        )  # fmt: skip
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def fresh_schema(url: str) -> str:
    """A URL whose tables live in a new, empty schema (cheaper than a database per test)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return f"{url}?options=-csearch_path%3D{name}"


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    binary = need("redis-server")
    port = free_port()
    base = tempfile.mkdtemp(prefix="reeleditor-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", base],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


def s3_credentials() -> None:
    """moto accepts any keys; boto3 needs some (never a real account's)."""
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        need("moto_server")  # skips or fails with the install hint
    s3_credentials()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


def bucket_url(endpoint: str) -> str:
    """A --storage URL for a new bucket on the moto server."""
    return f"s3://b-{uuid.uuid4().hex[:16]}?endpoint={endpoint}&region=us-east-1"


# pytest fixtures over the context managers (session-scoped: one server per run)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/catalog.db"
    return fresh_schema(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["folder", "s3"])
def storage_url(request, tmp_path) -> str:
    if request.param == "folder":
        return f"file://{tmp_path}/objects"
    return bucket_url(request.getfixturevalue("s3_endpoint"))
