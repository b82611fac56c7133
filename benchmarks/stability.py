"""Issue 9's figures: signal throughput beside a plain call, Publish's export reuse beside an
export, and how fast `reeleditor upload` gives up on a dead endpoint.

Run: python benchmarks/stability.py [--emits 100000] [--seconds 5]
Each figure is a ratio against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def signal_figures(emits: int) -> list[dict]:
    """100k emits per signature, GUI and worker thread, each in a fresh child process."""
    from tests.soak.test_signal_soak import app_signal_signatures

    rows = []
    for signature, users in sorted(app_signal_signatures().items()):
        for thread in ("gui", "worker"):
            proc = subprocess.run(
                [sys.executable, "-m", "tests.soak.signal_soak", signature,
                 "--count", str(emits), "--thread", thread],
                cwd=REPO, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if proc.returncode != 0:
                rows.append({"signature": signature, "thread": thread, "aborted": True})
                continue
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            result["users"] = len(users)
            rows.append(result)
    return rows


def plain_call_seconds(emits: int) -> float:
    """The baseline: the same number of plain Python calls with the same kind of argument."""

    def slot(*args):
        return None

    start = time.perf_counter()
    for i in range(emits):
        slot(bool(i & 1))
    return time.perf_counter() - start


def export_reuse(seconds: float) -> dict:
    """Publish twice with an unchanged recipe: the second must cost a fingerprint, no encode."""
    from reeleditor.core.draft import Look
    from reeleditor.media.render import ensure_export
    from reeleditor.media.sources.testpattern import TestPatternSource
    from reeleditor.media.take import record_take
    from reeleditor.storage.drafts import DraftStore

    with tempfile.TemporaryDirectory() as tmp:
        store = DraftStore(Path(tmp) / "drafts")
        draft = store.create("bench", width=1080, height=1920)
        source = TestPatternSource(1080, 1920, 30).open()
        try:
            for _ in record_take(store, draft.id, source, source.audio, seconds):
                pass
        finally:
            source.close()
        draft = store.load(draft.id).with_changes(look=Look("cinema"))
        store.save(draft)

        def run():
            gen = ensure_export(store, draft, "standard")
            start = time.perf_counter()
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                return time.perf_counter() - start, stop.value

        first, out = run()
        inode = out.stat().st_ino
        again = [run()[0] for _ in range(5)]
        assert out.stat().st_ino == inode, "the reused export was rewritten"
        store.close()
    return {"first_export_s": round(first, 3), "reuse_s": round(statistics.median(again), 4),
            "ratio": round(statistics.median(again) / first, 5)}  # fmt: skip


def dead_endpoint() -> dict:
    """`reeleditor upload` against a closed loopback port; baseline: one refused connect."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    with tempfile.TemporaryDirectory() as tmp:
        media = Path(tmp) / "x.mp4"
        media.write_bytes(os.urandom(256 * 1024))
        env = {**os.environ, "REELEDITOR_HOME": tmp}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "reeleditor", "upload", str(media),
             "--endpoint", f"http://127.0.0.1:{port}/files/"],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        took = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "reeleditor", "--version"], capture_output=True)
        startup = time.perf_counter() - start
    return {"give_up_s": round(took, 2), "cli_startup_s": round(startup, 2),
            "exit": proc.returncode, "stderr": proc.stderr.strip().splitlines()[-1:]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emits", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the reel exported")
    args = parser.parse_args()
    from importlib.metadata import version

    base = plain_call_seconds(args.emits)
    print(f"PySide6 {version('PySide6-Essentials')}; {args.emits} plain calls: {base:.3f} s")
    print("| signature | thread | seconds | x plain call | received | max refcount drift |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in signal_figures(args.emits):
        if row.get("aborted"):
            print(f"| ({row['signature']}) | {row['thread']} | aborted | | | |")
            continue
        drift = max(abs(v) for v in row["refcount_drift"].values())
        print(f"| ({row['signature']}) | {row['thread']} | {row['seconds']:.2f} | "
              f"{row['seconds'] / base:.0f}x | {row['received']} | {drift} |")  # fmt: skip
    print("export reuse:", json.dumps(export_reuse(args.seconds)))
    print("dead endpoint:", json.dumps(dead_endpoint()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
