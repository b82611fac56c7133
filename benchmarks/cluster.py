"""The scale-out cluster with 1 worker against 2: 20 concurrent uploads, time until all ready.

    python benchmarks/cluster.py [--uploads 20] [--runs 3] [--seconds 1.0] [--size 1080x1920]

Each run brings up deploy/local-cluster.sh (two ingest nodes behind nginx, PostgreSQL,
Redis, moto's S3) with REELEDITOR_CLUSTER_WORKERS=1 or 2, alternating, and uploads the same
`--uploads` real videos (H.264 with moving grain, `--seconds` long) at once, each with the
app's Uploader in its own thread, through the balancer with the cluster's token. Timed from
the first byte until `GET /api/reels` lists every reel ready (polled every 0.25 s); the
upload phase alone is reported too. Start-up and shutdown of the cluster are not timed. The
workers' CPU seconds (utime + stime from /proc, read before `down`) show how much of the
machine processing took, and /proc/stat how busy the whole machine was meanwhile (by
anyone: on a shared machine, what was left for a second worker).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reeleditor.upload.errors import RetryPolicy  # noqa: E402
from reeleditor.upload.queue import UploadQueue  # noqa: E402
from reeleditor.upload.transfer import Uploader  # noqa: E402
from tests.cloud.test_cluster import make_video  # noqa: E402

SCRIPT = REPO / "deploy" / "local-cluster.sh"
BIN = Path(sys.executable).parent


def cluster_env(state: Path, workers: int) -> dict:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "REELEDITOR_CLUSTER_DIR": str(state),
        "REELEDITOR_BIN": str(BIN / "reeleditor"),
        "REELEDITOR_CLUSTER_WORKERS": str(workers),
    }


def script(command: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode not in (0, 3) or (command == "up" and done.returncode):
        raise SystemExit(f"local-cluster.sh {command}: {done.stderr.strip().splitlines()[-1:]}")
    return done


def worker_cpu(env: dict) -> float:
    """CPU seconds the cluster's workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for line in script("status", env).stdout.splitlines():
        if line.startswith("worker") and " running " in line:
            pid = int(line.split()[3])
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat), for its load."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def one_run(videos: list[Path], workers: int, work: Path) -> dict:
    state = Path(tempfile.mkdtemp(prefix="cluster-", dir=work))
    env = cluster_env(state, workers)
    up = script("up", env)
    urls = dict(line.split("=", 1) for line in up.stdout.splitlines())
    token, auth = urls["TOKEN"], {"Authorization": f"Bearer {urls['TOKEN']}"}
    try:
        cpu_before = worker_cpu(env)
        queue = UploadQueue(state / "uploads")
        entries = [
            queue.add(
                v, v.stat().st_size, hashlib.sha256(v.read_bytes()).hexdigest(), urls["INGEST"]
            )
            for v in videos
        ]
        errors: list[BaseException] = []

        def send(entry_id: str) -> None:
            uploader = Uploader(queue, token, policy=RetryPolicy(base=0.2, cap=2.0))
            try:
                for _ in uploader.run(entry_id):
                    pass
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(e.id,)) for e in entries]
        busy0, total0 = machine_ticks()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        uploaded = time.perf_counter() - start
        if errors:
            raise SystemExit(f"an upload failed: {errors[0]}")
        ids = {queue.get(e.id).upload_url.rstrip("/").rsplit("/", 1)[1] for e in entries}
        while True:
            states = {r["id"]: r["state"] for r in own_reels(urls["API"], auth) if r["id"] in ids}
            if any(s == "failed" for s in states.values()):
                raise SystemExit(f"a reel failed: {states}")
            if len(states) == len(ids) and all(s == "ready" for s in states.values()):
                break
            time.sleep(0.25)
        ready = time.perf_counter() - start
        busy1, total1 = machine_ticks()
        cpu = worker_cpu(env) - cpu_before
    finally:
        script("down", env)
    # how busy the whole machine was meanwhile (1.0: every core, by anyone)
    load = (busy1 - busy0) / max(1, total1 - total0)
    return {
        "workers": workers,
        "uploaded": uploaded,
        "ready": ready,
        "worker_cpu": cpu,
        "machine_busy": load,
    }


def own_reels(api: str, auth: dict) -> list[dict]:
    """The owner's reels in every state, all pages."""
    found, url = [], "/api/reels?mine=1&limit=100"
    while url:
        page = requests.get(api + url, headers=auth, timeout=30).json()
        found += page["reels"]
        url = page["next"]
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="runs of each configuration")
    ap.add_argument("--seconds", type=float, default=1.0, help="length of each video")
    ap.add_argument("--size", default="1080x1920")
    args = ap.parse_args()
    width, height = map(int, args.size.split("x"))
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="cluster-bench-") as tmp:
        work = Path(tmp)
        videos = [
            make_video(work / f"reel{n:02d}.mp4", width, height, args.seconds, seed=n)
            for n in range(args.uploads)
        ]
        total_mib = sum(v.stat().st_size for v in videos) / (1 << 20)
        for n in range(args.runs):
            for workers in (1, 2) if n % 2 == 0 else (2, 1):
                r = one_run(videos, workers, work)
                results.append(r)
                print(
                    f"run {n + 1}, {workers} worker(s): uploads {r['uploaded']:.1f} s, "
                    f"all ready {r['ready']:.1f} s, workers' CPU {r['worker_cpu']:.1f} s, "
                    f"machine busy {r['machine_busy']:.0%}",
                    file=sys.stderr,
                )
    med = statistics.median
    print(
        f"{args.uploads} concurrent uploads of {args.seconds:g} s {args.size} videos "
        f"({total_mib:.1f} MiB in all), {args.runs} runs each, medians; {os.cpu_count()} cores"
    )
    by = {w: [r for r in results if r["workers"] == w] for w in (1, 2)}
    for w, rs in by.items():
        uploaded, ready = med(r["uploaded"] for r in rs), med(r["ready"] for r in rs)
        cpu = med(r["worker_cpu"] for r in rs)
        busy = med(r["machine_busy"] for r in rs)
        print(
            f"{w} worker(s): all uploaded {uploaded:6.1f} s, all ready {ready:6.1f} s, "
            f"workers' CPU {cpu:6.1f} s, machine busy {busy:.0%}"
        )
    ratio = med(r["ready"] for r in by[1]) / med(r["ready"] for r in by[2])
    print(f"speed-up, 2 workers over 1 (time to all ready): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
