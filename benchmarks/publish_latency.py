"""Seconds from an upload's last byte to its poster and to its first playable rung (issue 11).

    python benchmarks/publish_latency.py [--seconds 15] [--runs 3] [--json]

A 15 s 1080x1920 30 fps reel with motion, grain and sound (ffmpeg's testsrc2, encoded as
the app's export preset does, about 8 Mbit/s) is uploaded to `reeleditor serve` (the
embedded shape: one process, SQLite, a folder, one in-process worker) by a plain tus
POST and one PATCH. The clock starts when the PATCH that carries the last byte is
answered, and the public API (`GET /api/reels/{id}`) is polled every 20 ms:

  poster    the reel answers with a poster_url, and the poster is fetched (200)
  playable  it answers with an hls_url whose master, first media playlist and first
            segment are fetched (200): a player can start
  ready     state "ready": every rung, the MP4 and the sprite are published

Medians of --runs uploads are printed (and the spread); the server runs in its own
process, so the timings include what a user would wait for, not a function call.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

POLL = 0.02


def reeleditor() -> str:
    exe = Path(sys.executable).with_name("reeleditor")
    return str(exe) if exe.exists() else (shutil.which("reeleditor") or "reeleditor")


def make_source(path: Path, seconds: float) -> Path:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise SystemExit("ffmpeg (apt) is needed to make the 1080x1920 source")
    subprocess.run(
        [ffmpeg, "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s=1080x1920:r=30:d={seconds},noise=alls=8:allf=t+u",
         "-f", "lavfi", "-i", f"sine=f=330:d={seconds}:sample_rate=48000",
         "-c:v", "libx264", "-preset", "veryfast", "-b:v", "8M", "-maxrate", "10M",
         "-bufsize", "16M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k",
         "-movflags", "+faststart", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "REELEDITOR_HOME": str(data / "home")}
    proc = subprocess.Popen(
        [reeleditor(), "serve", "--port", str(port), "--data", str(data / "cloud")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/api/reels", timeout=1)
            return proc, base
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("reeleditor serve did not start")


def upload(base: str, body: bytes, title: str) -> tuple[str, float]:
    """POST + one PATCH; the reel id and the moment the last byte was acknowledged."""
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"filename": "reel.mp4", "title": title}.items()
    )
    head = {"Tus-Resumable": "1.0.0"}
    created = requests.post(
        base + "/files/",
        headers={**head, "Upload-Length": str(len(body)), "Upload-Metadata": meta},
        timeout=30,
    )
    created.raise_for_status()
    url = urljoin(base + "/files/", created.headers["Location"])
    patched = requests.patch(
        url,
        data=body,
        headers={**head, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        timeout=120,
    )
    patched.raise_for_status()
    return url.rstrip("/").rsplit("/", 1)[-1], time.perf_counter()


def fetch_ok(url: str) -> bytes | None:
    answer = requests.get(url, timeout=10)
    return answer.content if answer.status_code == 200 else None


def playable(base: str, reel: dict) -> bool:
    master_url = urljoin(base, reel["hls_url"])
    master = fetch_ok(master_url)
    if master is None:
        return False
    first = next(ln for ln in master.decode().splitlines() if ln and not ln.startswith("#"))
    media_url = urljoin(master_url, first)
    media = fetch_ok(media_url)
    if media is None:
        return False
    segment = next(ln for ln in media.decode().splitlines() if ln and not ln.startswith("#"))
    return fetch_ok(urljoin(media_url, segment)) is not None


def watch(base: str, reel_id: str, since: float, timeout: float = 300) -> dict:
    times: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while "ready" not in times and time.monotonic() < deadline:
        answer = requests.get(f"{base}/api/reels/{reel_id}", timeout=10)
        now = time.perf_counter() - since
        if answer.status_code == 200:
            reel = answer.json()
            if reel.get("state") == "failed":
                raise SystemExit(f"processing failed: {reel.get('reason')}")
            poster = reel.get("poster_url")
            if "poster" not in times and poster and fetch_ok(urljoin(base, poster)) is not None:
                times["poster"] = now
            if "playable" not in times and reel.get("hls_url") and playable(base, reel):
                times["playable"] = now
            if reel.get("state") == "ready":
                times["ready"] = now
        time.sleep(POLL)
    if "ready" not in times:
        raise SystemExit(f"reel {reel_id} was not ready in {timeout} s")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="publish-latency-") as tmp:
        work = Path(tmp)
        body = make_source(work / "reel.mp4", args.seconds).read_bytes()
        proc, base = start_server(work)
        try:
            for n in range(args.runs):
                reel_id, last_byte = upload(base, body, f"latency {n}")
                times = watch(base, reel_id, last_byte)
                results.append(times)
                print(
                    f"run {n + 1}: poster {times['poster']:.2f} s, playable "
                    f"{times['playable']:.2f} s, ready {times['ready']:.2f} s",
                    file=sys.stderr,
                )
        finally:
            proc.terminate()
            proc.wait(30)
    summary = {
        key: {
            "median": round(statistics.median(r[key] for r in results), 2),
            "min": round(min(r[key] for r in results), 2),
            "max": round(max(r[key] for r in results), 2),
        }
        for key in ("poster", "playable", "ready")
    }
    report = {
        "reel_seconds": args.seconds,
        "upload_bytes": len(body),
        "runs": args.runs,
        "cores": os.cpu_count(),
        "seconds_after_last_byte": summary,
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key, s in summary.items():
            print(f"{key}: {s['median']:.2f} s (median of {args.runs}; {s['min']}-{s['max']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
