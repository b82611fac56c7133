"""The HLS ladder: process_reel beside the ffmpeg CLI making the same ladder, in the same run.

A 15 s 1080x1920 30 fps clip with motion and a tone is generated; process_reel makes its
whole set (probe, loudness, preview stage, complete stage, MP4, posters, sprite); ffmpeg
makes the four rungs in one command: one decode, split, scale with the same scaler
(bicubic), libx264 with the same preset/CRF/profile/GOP/VBV, AAC 128 kb/s, HLS fMP4.
Runs alternate; medians are reported. PSNR of every rung against the source is measured the
same way for both: the rung scaled back to 1080x1920 (bicubic) by ffmpeg's psnr filter.
Run: python benchmarks/ladder.py [--runs 3] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reeleditor.media import hls
from reeleditor.media.ladder import CRF, plan_ladder
from reeleditor.media.publishing import process_reel
from reeleditor.media.transcode import PRESET, gop_frames
from tests.media.reel_media import joined, make_clip

RESULTS = Path(__file__).resolve().parent / "results" / "ladder.json"
WIDTH, HEIGHT, FPS = 1080, 1920, 30


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ours(source: Path, out: Path) -> dict:
    """Wall and CPU seconds of the whole set, seconds to the preview callback, and per stage.

    CPU seconds are reported beside wall time: the machine is shared, and CPU time is what
    another engineer's load does not inflate.
    """
    cpu0, start = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    preview_at = []
    stages: dict[str, float] = {}
    current, since = None, start
    gen = process_reel(
        source, out, {}, on_preview=lambda f, m: preview_at.append(time.perf_counter())
    )
    try:
        while True:
            progress = next(gen)
            if progress.stage != current:
                now = time.perf_counter()
                if current is not None:
                    stages[current] = stages.get(current, 0.0) + now - since
                current, since = progress.stage, now
    except StopIteration:
        pass
    end = time.perf_counter()
    stages[current] = stages.get(current, 0.0) + end - since
    return {
        "wall": end - start,
        "cpu": _cpu(resource.RUSAGE_SELF) - cpu0,
        "preview": preview_at[0] - start,
        "stages": {k: round(v, 2) for k, v in stages.items()},
    }


def ffmpeg_command(source: Path, out: Path) -> list[str]:
    rungs = plan_ladder(WIDTH, HEIGHT)
    gop = gop_frames(FPS)
    splits = "".join(f"[v{i}]" for i in range(len(rungs)))
    graph = [f"[0:v]split={len(rungs)}{splits}"]
    graph += [
        f"[v{i}]scale={r.width}:{r.height}:flags=bicubic,format=yuv420p[o{i}]"
        for i, r in enumerate(rungs)
    ]
    command = ["ffmpeg", "-y", "-v", "error", "-i", str(source), "-filter_complex", ";".join(graph)]
    for i, r in enumerate(rungs):
        folder = out / r.name
        folder.mkdir(parents=True)
        command += ["-map", f"[o{i}]", "-map", "0:a", "-c:v", "libx264", "-preset", PRESET]
        command += ["-profile:v", "high", "-crf", str(CRF), "-r", str(FPS)]
        command += [
            "-x264-params",
            f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0"
            f":vbv-maxrate={r.maxrate_kbps}:vbv-bufsize={r.bufsize_kbps}",
        ]
        command += ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-f", "hls"]
        command += ["-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
        command += ["-hls_fmp4_init_filename", "init.mp4", "-hls_flags", "independent_segments"]
        command += [
            "-hls_segment_filename",
            str(folder / "seg_%05d.m4s"),
            str(folder / "index.m3u8"),
        ]
    return command


def run_ffmpeg(source: Path, out: Path) -> dict:
    command = ffmpeg_command(source, out)
    cpu0, start = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True)
    return {"wall": time.perf_counter() - start, "cpu": _cpu(resource.RUSAGE_CHILDREN) - cpu0}


def rung_bytes(folder: Path) -> int:
    playlist = hls.parse_media_playlist((folder / "index.m3u8").read_text())
    names = [playlist.init] + [s.uri for s in playlist.segments]
    return sum((folder / n).stat().st_size for n in names)


def psnr(folder: Path, source: Path, work: Path) -> float:
    playlist = hls.parse_media_playlist((folder / "index.m3u8").read_text())
    names = [playlist.init] + [s.uri for s in playlist.segments]
    part = joined(folder, names, work / f"{folder.parent.name}-{folder.name}.mp4")
    graph = f"[0:v]scale={WIDTH}:{HEIGHT}:flags=bicubic[a];[a][1:v]psnr"
    command = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(part), "-i", str(source)]
    log = subprocess.run(
        [*command, "-lavfi", graph, "-f", "null", "-"], capture_output=True, text=True, check=True
    ).stderr
    return float(re.search(r"average:([\d.]+)", log).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ladder-bench-"))
    try:
        source = make_clip(work / "source.mp4", WIDTH, HEIGHT, args.seconds, fps=FPS)
        ours, theirs = [], []
        for i in range(args.runs):
            for who in ("ours", "ffmpeg") if i % 2 == 0 else ("ffmpeg", "ours"):
                out = work / f"{who}-{i}"
                shutil.rmtree(out, ignore_errors=True)
                if who == "ours":
                    ours.append(run_ours(source, out))
                else:
                    theirs.append(run_ffmpeg(source, out))
                row = (ours if who == "ours" else theirs)[-1]
                print(f"run {i} {who}: {row}", flush=True)
        last = args.runs - 1
        rungs = {}
        for r in plan_ladder(WIDTH, HEIGHT):
            a, b = work / f"ours-{last}" / r.name, work / f"ffmpeg-{last}" / r.name
            rungs[r.name] = {
                "psnr_ours": round(psnr(a, source, work), 2),
                "psnr_ffmpeg": round(psnr(b, source, work), 2),
                "bytes_ours": rung_bytes(a),
                "bytes_ffmpeg": rung_bytes(b),
            }
            row = rungs[r.name]
            row["psnr_delta"] = round(row["psnr_ours"] - row["psnr_ffmpeg"], 2)
            row["size_ratio"] = round(row["bytes_ours"] / row["bytes_ffmpeg"], 3)

        def median(rows, key):
            return round(statistics.median(r[key] for r in rows), 2)

        result = {
            "clip": f"{WIDTH}x{HEIGHT} {FPS} fps {args.seconds:g} s, moving texture + tone",
            "runs": args.runs,
            "ours": ours,
            "ffmpeg": theirs,
            "ours_median_s": median(ours, "wall"),
            "ffmpeg_median_s": median(theirs, "wall"),
            "ours_median_cpu_s": median(ours, "cpu"),
            "ffmpeg_median_cpu_s": median(theirs, "cpu"),
            "preview_median_s": median(ours, "preview"),
            "ratio": round(median(ours, "wall") / median(theirs, "wall"), 3),
            "cpu_ratio": round(median(ours, "cpu") / median(theirs, "cpu"), 3),
            "load_average": os.getloadavg(),
            "rungs": rungs,
            "ffmpeg_version": subprocess.run(
                ["ffmpeg", "-version"], capture_output=True, text=True
            ).stdout.splitlines()[0],
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
