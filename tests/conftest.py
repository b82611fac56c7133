"""Every test gets a fresh home folder; tests that leave threads running fail."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
# the project's own threads are daemons (so a crash never hangs the app), and still must
# not outlive a test
PROJECT_THREADS = ("record-", "preview", "capture-", "export-", "upload-worker", "cloud")
PROJECT_THREADS += ("sound-out", "reel-video")  # media/sound_out.py, media/video_out.py


@pytest.fixture(autouse=True)
def reel_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("REELEDITOR_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_dangling_threads():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        extra = [
            t
            for t in threading.enumerate()
            if t not in before
            and t.is_alive()
            and (not t.daemon or t.name.startswith(PROJECT_THREADS))
            and not t.name.startswith(("QDBus", "Dummy", "pydevd", "asyncio"))
        ]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"test left threads running: {[t.name for t in extra]}"


@pytest.fixture
def store(reel_home):
    from reeleditor.storage.drafts import DraftStore
    from reeleditor.storage.paths import AppPaths

    s = DraftStore(AppPaths.from_env().ensure().drafts)
    yield s
    s.close()


def run_cli(*args: str, env: dict | None = None, input: str | None = None, timeout=120):
    """Run `python -m reeleditor ARGS` in a subprocess, as a user or a script would."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "reeleditor", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=timeout,
    )
