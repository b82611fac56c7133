"""Small helpers shared by the upload tests (importable, unlike conftest)."""

from __future__ import annotations

import filecmp
import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

CLI_ENTRY = Path(__file__).with_name("upload_cli_entry.py")
PEER_SRC = Path(__file__).with_name("tus_peer")
PEER_FILES = ("package.json", "package-lock.json", "server.mjs", "upload.mjs")


def peer_home() -> Path:
    """Where the tus peer is installed: $REELEDITOR_TUS_PEER, else the user's cache, in a
    folder named after the lock file (checkouts with other pins never reinstall each
    other's packages under a running test)."""
    if custom := os.environ.get("REELEDITOR_TUS_PEER"):
        return Path(custom)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    pins = hashlib.sha256((PEER_SRC / "package-lock.json").read_bytes()).hexdigest()[:12]
    return Path(cache) / "reeleditor-tests" / f"tus-peer-{pins}"


def install_peer(dest: Path | None = None) -> Path:
    """Copy the pinned peer into `dest` and `npm ci` it unless it is already there."""
    dest = Path(dest or peer_home())
    dest.mkdir(parents=True, exist_ok=True)
    fresh = all(
        (dest / name).exists() and filecmp.cmp(PEER_SRC / name, dest / name, shallow=False)
        for name in ("package.json", "package-lock.json")
    )
    for script in ("server.mjs", "upload.mjs"):
        shutil.copyfile(PEER_SRC / script, dest / script)
    if fresh and (dest / "node_modules" / "tus-js-client" / "package.json").exists():
        return dest
    for name in PEER_FILES:
        shutil.copyfile(PEER_SRC / name, dest / name)
    result = subprocess.run(
        [shutil.which("npm") or "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci of the tus peer in {dest} failed:\n{result.stderr[-2000:]}")
    return dest


def start_peer_process(peer_dir: Path, data: Path, **opts) -> tuple[subprocess.Popen, int]:
    """Start `node server.mjs` on a free loopback port; returns the process and the port."""
    cmd = ["node", str(peer_dir / "server.mjs"), "--dir", str(data), "--port", "0"]
    for key, value in opts.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.Popen(cmd, cwd=peer_dir, stdout=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    text = line[0].strip() if line else ""
    if not text.startswith("LISTENING "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the tus peer did not start: {text!r}")
    return proc, int(text.split()[1])


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def random_bytes(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_command(*args: str) -> list[str]:
    """argv to run `reeleditor ARGS` in a new process, upload commands registered."""
    return [sys.executable, str(CLI_ENTRY), *map(str, args)]
