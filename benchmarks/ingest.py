"""Ingest throughput and memory: `reeleditor serve` (embedded shape) against the official Node
tus server (@tus/server + @tus/file-store), the same client and file, in the same run.

    python benchmarks/ingest.py [--size-mib 1024] [--runs 3] [--chunk-mib N]

Each run starts both servers afresh on loopback (each with an empty data folder on the same
disk) and uploads the same random file to each with the app's Uploader (reeleditor's tus
client, streaming from the file, the app's chunk size), in alternating order, so load
elsewhere on the machine hits both alike. The client runs in a child process; its timing
covers OPTIONS through the final HEAD (the sha256 of the file is computed before, once, as
when a reel is queued). Server memory: VmRSS of the server process before the upload, and
its peak during it (VmHWM, reset through /proc/PID/clear_refs just before, and a 20 Hz
VmRSS sampler where that reset is not allowed), and its CPU seconds (/proc/PID/stat, all
threads). Before each upload `os.sync()` flushes the
previous run's writes. Targets (issue 10): throughput >= 1.0x the Node server's; RSS growth
<= 64 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reeleditor.core.settings import Settings  # noqa: E402
from tests.upload.upload_support import (  # noqa: E402
    install_peer,
    start_peer_process,
    stop_process,
)

MiB = 1024 * 1024
TARGET_RATIO = 1.0
TARGET_GROWTH = 64 * MiB

CHILD = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from reeleditor.upload.chunks import sha256_now
    from reeleditor.upload.queue import UploadQueue
    from reeleditor.upload.transfer import Uploader
    from reeleditor.upload.tus import TusClient

    path, endpoint, folder, chunk = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    digest = sha256_now(path)
    queue = UploadQueue(Path(folder))
    entry = queue.add(path, path.stat().st_size, digest, endpoint)
    timings = []  # (method, seconds) of each request, to see where the time goes

    def client(endpoint, token, timeout):
        tus = TusClient(endpoint, token, timeout=timeout)
        send = tus._send

        def timed_send(method, url, **kwargs):
            t0 = time.perf_counter()
            try:
                return send(method, url, **kwargs)
            finally:
                timings.append((method, time.perf_counter() - t0))

        tus._send = timed_send
        return tus

    uploader = Uploader(queue, chunk_size=chunk, client_factory=client)
    os.sync()
    print("READY", flush=True)
    sys.stdin.readline()  # the parent has read the server's memory: go
    start = time.perf_counter()
    work = uploader.run(entry.id, trusted_sha256=digest)
    while True:
        try:
            next(work)
        except StopIteration as stop:
            done = stop.value
            break
    total = time.perf_counter() - start
    writes = [t for m, t in timings if m in ("POST", "PATCH")]
    print(json.dumps({"total": total, "state": done.state, "url": done.upload_url,
                      "verified": done.verified, "last_write": writes[-1],
                      "writes": sum(writes[:-1]) / max(1, len(writes) - 1),
                      "requests": [m for m, _ in timings],
                      "others": total - sum(t for _, t in timings)}), flush=True)
""")


def status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """Peak VmRSS of a process while the watch runs (VmHWM when it can be reset)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = status_kib(pid, "VmRSS:")
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak mark
            self.hwm = True
        except OSError:
            self.hwm = False
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.peak = max(self.peak, status_kib(self.pid, "VmRSS:"))
            except OSError:
                return

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        if self.hwm:
            self.peak = max(self.peak, status_kib(self.pid, "VmHWM:"))
        return {"before": self.before, "peak": self.peak, "growth": self.peak - self.before}


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(8 * MiB, left))
            f.write(block)
            left -= len(block)


def start_ours(data: Path) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).with_name("reeleditor")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "REELEDITOR_HOME": str(data.parent / "home")},
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("http"):
        proc.kill()
        raise SystemExit(f"reeleditor serve did not start: {line!r}")
    return proc, line


def upload(endpoint: str, path: Path, work: Path, chunk: int, server_pid: int) -> dict:
    # one OPTIONS first, so the server's lazy start-up is not counted as growth
    requests.options(endpoint, headers={"Tus-Resumable": "1.0.0"}, timeout=30)
    folder = Path(tempfile.mkdtemp(dir=work))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), endpoint, str(folder), str(chunk)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "READY"
    watch = MemoryWatch(server_pid)
    cpu = cpu_seconds(server_pid)
    child.stdin.write("go\n")
    child.stdin.flush()
    out = child.stdout.readline()
    cpu = cpu_seconds(server_pid) - cpu
    memory = watch.stop()
    child.wait()
    result = json.loads(out)
    assert result["state"] == "done", result
    shutil.rmtree(folder)
    return {**result, **memory, "server_cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-mib", type=int, default=Settings().chunk_size_mib)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    size, chunk = args.size_mib * MiB, args.chunk_mib * MiB
    peer_dir = install_peer()
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        path = work / "reel.bin"
        make_file(path, size)
        for n in range(args.runs):
            result = {}
            order = ("ours", "node") if n % 2 == 0 else ("node", "ours")
            for who in order:
                data = work / f"{who}-{n}" / "data"
                data.mkdir(parents=True)
                if who == "ours":
                    proc, endpoint = start_ours(data)
                else:
                    proc, port = start_peer_process(peer_dir, data)
                    endpoint = f"http://127.0.0.1:{port}/files/"
                try:
                    result[who] = upload(endpoint, path, work, chunk, proc.pid)
                finally:
                    stop_process(proc)
                    shutil.rmtree(data.parent, ignore_errors=True)
            result["ratio"] = result["node"]["total"] / result["ours"]["total"]
            runs.append(result)
            print(
                f"run {n + 1}: ours {size / MiB / result['ours']['total']:.0f} MiB/s "
                f"(+{result['ours']['growth'] / MiB:.1f} MiB), node "
                f"{size / MiB / result['node']['total']:.0f} MiB/s "
                f"(+{result['node']['growth'] / MiB:.1f} MiB), ratio {result['ratio']:.2f}x",
                file=sys.stderr,
            )
    if args.json:
        print(json.dumps(runs, indent=1))
        return 0
    med = statistics.median
    mib = size / MiB
    ours_t = med(r["ours"]["total"] for r in runs)
    node_t = med(r["node"]["total"] for r in runs)
    ratios = [r["ratio"] for r in runs]
    growth = [r["ours"]["growth"] for r in runs]
    node_growth = [r["node"]["growth"] for r in runs]
    print(f"file {args.size_mib} MiB, chunk {args.chunk_mib} MiB, {args.runs} runs, medians")
    print(f"Node tus server (@tus/file-store)  {node_t:7.2f} s  {mib / node_t:6.1f} MiB/s")
    print(f"reeleditor serve (embedded)       {ours_t:7.2f} s  {mib / ours_t:6.1f} MiB/s")
    print(
        f"ratio (Node's time / ours)        {med(ratios):7.2f}x (per run {min(ratios):.2f} .. "
        f"{max(ratios):.2f}; target >= {TARGET_RATIO}x)"
    )
    print(
        f"server RSS growth, ours           {med(growth) / MiB:7.1f} MiB (max "
        f"{max(growth) / MiB:.1f}; from {med(r['ours']['before'] for r in runs) / MiB:.0f} MiB; "
        f"target <= {TARGET_GROWTH / MiB:.0f} MiB)"
    )
    print(
        f"server RSS growth, Node           {med(node_growth) / MiB:7.1f} MiB (max "
        f"{max(node_growth) / MiB:.1f}; from "
        f"{med(r['node']['before'] for r in runs) / MiB:.0f} MiB)"
    )
    print(
        f"server CPU seconds for the upload: ours {med(r['ours']['server_cpu'] for r in runs):.2f}"
        f" s, Node {med(r['node']['server_cpu'] for r in runs):.2f} s"
    )
    last = med(r["ours"]["last_write"] for r in runs)
    node_last = med(r["node"]["last_write"] for r in runs)
    print(
        f"one {args.chunk_mib} MiB PATCH (mean of all but the last): ours "
        f"{med(r['ours']['writes'] for r in runs) * 1000:.0f} ms, Node "
        f"{med(r['node']['writes'] for r in runs) * 1000:.0f} ms; the final one: ours "
        f"{last:.2f} s, Node {node_last:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
