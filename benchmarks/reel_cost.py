"""What one 30 s 1080x1920 reel costs the cloud, measured, and what 10,000 creators cost on paper.

    python benchmarks/reel_cost.py [--input REEL.mp4] [--runs 3] [--creators 10000]
                                   [--views 1000] [--retention-days 365] [--edge-hit 0.95]

Without --input, the reel is made the way the app makes one: a synthetic 30 s 1080x1920
camera-like source (ffmpeg's testsrc2 with moving grain, so the encoder works as hard as on
a sensor's noise) is recorded into a draft by `reeleditor record --source file:...` and
exported by `reeleditor export` (preset "standard"): that file is the upload. Then
`reeleditor process REEL --out DIR` (the job a worker runs, without a server) is timed
`--runs` times: CPU seconds are the child's user + system time (os.wait4), so both cores'
work counts. Sizes are those of the files it publishes. deploy/README.md quotes the output.
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
import time
from pathlib import Path

MB = 1000 * 1000
GB = 1000 * MB
TB = 1000 * GB


def reeleditor() -> str:
    exe = Path(sys.executable).with_name("reeleditor")
    return str(exe) if exe.exists() else (shutil.which("reeleditor") or "reeleditor")


def timed(argv: list[str], env: dict | None = None) -> dict:
    """Run argv; its CPU seconds (user + system, all threads), wall seconds, peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    # wait4 before reading pipes would deadlock on a chatty child: the outputs are small
    # (a progress line, a JSON entry), so read them first, then reap with wait4.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {err.strip()[-300:]}")
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "rss": usage.ru_maxrss * 1024,
        "out": out,
    }


def make_reel(work: Path) -> Path:
    """The upload, made as the app makes it (record a take, export with preset standard)."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise SystemExit("ffmpeg is needed to make the source (or pass --input REEL.mp4)")
    src = work / "source.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=31,noise=alls=10:allf=t+u",
         "-f", "lavfi", "-i", "sine=f=440:d=31:sample_rate=48000",
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(src)],
        check=True,
    )  # fmt: skip
    env = {**os.environ, "REELEDITOR_HOME": str(work / "home")}
    rec = timed(
        [reeleditor(), "record", "--source", f"file:{src}", "--seconds", "30", "--mic", "none",
         "--width", "1080", "--height", "1920", "--fps", "30", "--title", "cost reel"],
        env,
    )  # fmt: skip
    draft = rec["out"].strip().splitlines()[-1]
    reel = work / "reel.mp4"
    timed([reeleditor(), "export", draft, "-o", str(reel)], env)
    src.unlink()
    return reel


def measure(reel: Path, runs: int, work: Path) -> dict:
    cpu, wall, rss = [], [], []
    files: dict[str, int] = {}
    for n in range(runs):
        out = work / f"published-{n}"
        shutil.rmtree(out, ignore_errors=True)
        r = timed([reeleditor(), "process", str(reel), "--out", str(out), "--json"])
        cpu.append(r["cpu"])
        wall.append(r["wall"])
        rss.append(r["rss"])
        files = {
            str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()
        }
        print(f"run {n + 1}: {r['cpu']:.1f} CPU s, {r['wall']:.1f} s wall", file=sys.stderr)
    return {
        "upload_bytes": reel.stat().st_size,
        "published_files": files,
        "published_bytes": sum(files.values()),
        "transcode_cpu_s": statistics.median(cpu),
        "transcode_wall_s": statistics.median(wall),
        "transcode_peak_rss": max(rss),
        "runs": runs,
        "cores": os.cpu_count(),
    }


def projection(m: dict, creators: int, views: int, days: int, edge_hit: float) -> dict:
    """Per day and at steady state, for `creators` reels a day; the assumptions are args."""
    files = m["published_files"]
    # a view streams the 720p rung whole (an upper bound: most views stop earlier, and
    # players on small screens pick a smaller rung)
    view_file = sum(s for k, s in files.items() if k.startswith("720p/")) or m["published_bytes"]
    reels = creators
    return {
        "reels_per_day": reels,
        "ingest_per_day": reels * m["upload_bytes"],
        "stored_per_day": reels * m["published_bytes"],
        "stored_at_retention": reels * m["published_bytes"] * days,
        "egress_per_day": reels * views * view_file,
        "origin_egress_per_day": reels * views * view_file * (1 - edge_hit),
        "cpu_hours_per_day": reels * m["transcode_cpu_s"] / 3600,
        "cores_busy_on_average": reels * m["transcode_cpu_s"] / 86400,
        "view_file_bytes": view_file,
        "assumptions": {"views_per_reel": views, "retention_days": days, "edge_hit": edge_hit},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, help="an exported reel (skip making one)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--creators", type=int, default=10_000)
    ap.add_argument("--views", type=int, default=1_000, help="views per reel over its life")
    ap.add_argument("--retention-days", type=int, default=365)
    ap.add_argument("--edge-hit", type=float, default=0.95, help="share of bytes the CDN serves")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-cost-") as tmp:
        work = Path(tmp)
        reel = args.input or make_reel(work)
        m = measure(reel, args.runs, work)
    p = projection(m, args.creators, args.views, args.retention_days, args.edge_hit)
    if args.json:
        print(json.dumps({"per_reel": m, "projection": p}, indent=1))
        return 0
    up = m["upload_bytes"]
    print(f"upload: {up / MB:.1f} MB ({up * 8 / 30 / 1e6:.1f} Mbit/s over 30 s)")
    for name, size in m["published_files"].items():
        print(f"  published {name}: {size / MB:.2f} MB")
    print(f"published total: {m['published_bytes'] / MB:.1f} MB")
    print(
        f"transcode: {m['transcode_cpu_s']:.1f} CPU s (median of {m['runs']}), "
        f"{m['transcode_wall_s']:.1f} s wall on {m['cores']} cores, "
        f"peak RSS {m['transcode_peak_rss'] / MB:.0f} MB"
    )
    days = args.retention_days
    print(f"for {p['reels_per_day']:,} reels a day:")
    print(
        f"  ingest {p['ingest_per_day'] / TB:.2f} TB/day; stored +{p['stored_per_day'] / TB:.2f} "
        f"TB/day, {p['stored_at_retention'] / TB:.0f} TB after {days} days"
    )
    print(
        f"  egress {p['egress_per_day'] / TB:.1f} TB/day at {args.views} views of "
        f"{p['view_file_bytes'] / MB:.1f} MB; origin {p['origin_egress_per_day'] / TB:.2f} "
        f"TB/day at {args.edge_hit:.0%} edge hits"
    )
    print(
        f"  transcode {p['cpu_hours_per_day']:.0f} CPU-hours/day "
        f"({p['cores_busy_on_average']:.1f} cores busy on average)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
