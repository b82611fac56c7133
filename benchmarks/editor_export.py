"""Export of a mixed draft (take, blur-filled landscape clip, 2x take, crossfade) beside ffmpeg.

The draft: a 6 s 1080x1920 take recorded from the test pattern, crossfading (0.5 s) into a
7 s 1920x1080 clip (ffmpeg's testsrc2 with a tone) imported with blur fill, cut to a 4 s
take at 2x: 14.5 s of reel. ffmpeg does the same job in one filter graph: scale + boxblur
+ overlay for the fill, setpts + atempo for the 2x, xfade + acrossfade for the transition,
libx264 with the standard preset's settings, AAC. Runs alternate; medians are quoted.
Run: python benchmarks/editor_export.py [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from reeleditor.core.draft import Segment
from reeleditor.core.presets import preset_named
from reeleditor.media.clips import import_media
from reeleditor.media.render import export_draft
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.storage.drafts import DraftStore

RESULTS = Path(__file__).parent / "results" / "editor_export.json"
TAKE_A, CLIP, TAKE_B, FADE = 6.0, 7.0, 4.0, 0.5


def landscape_clip(path: Path, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=660:sample_rate=48000:duration={seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-ac", "2", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def build_draft(store: DraftStore, tmp: Path):
    draft = store.create("mixed")
    source = TestPatternSource(draft.width, draft.height, draft.fps).open()
    try:
        for seconds in (TAKE_A, TAKE_B):
            for _ in record_take(store, draft.id, source, source.audio, seconds):
                pass
    finally:
        source.close()
    take_a, take_b = store.load(draft.id).segments
    clip, _ = _drain(import_media(store, draft.id, landscape_clip(tmp / "land.mp4", CLIP), "blur"))
    segments = (
        Segment(take_a.media, take_a.duration, transition="crossfade", transition_seconds=FADE),
        clip,
        Segment(take_b.media, take_b.duration, speed=2.0),
    )
    store.save(store.load(draft.id).with_changes(segments=segments))
    return store.load(draft.id)


def _drain(gen):
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def ffmpeg_command(store, draft, out: Path) -> list[str]:
    preset = preset_named("standard")
    a, clip, b = (store.media_path(draft, s) for s in draft.segments)
    w, h = draft.width, draft.height
    first = draft.segments[0].length
    fitted_h = round(w * 1080 / 1920 / 2) * 2
    graph = ";".join(
        [
            f"[0:v]scale={w}:{h},setsar=1,format=yuv420p,settb=1/30,setpts=PTS-STARTPTS[v0]",
            "[1:v]split[bg0][fg0]",
            # the blurred backdrop at an eighth of the size, as ours makes it, then darkened
            # to 55 % in YUV (lutyuv: no RGB round trip, the cheapest way ffmpeg has)
            f"[bg0]scale={w // 8}:{h // 8}:force_original_aspect_ratio=increase,"
            f"crop={w // 8}:{h // 8},boxblur=4:2,scale={w}:{h},"
            "lutyuv=y=16+(val-16)*0.55:u=128+(val-128)*0.55:v=128+(val-128)*0.55[bg]",
            f"[fg0]scale={w}:{fitted_h}[fg]",
            "[bg][fg]overlay=(W-w)/2:(H-h)/2,setsar=1,format=yuv420p,settb=1/30,"
            "setpts=PTS-STARTPTS[v1]",
            "[2:v]setpts=0.5*(PTS-STARTPTS),fps=30,setsar=1,format=yuv420p,settb=1/30[v2]",
            f"[v0][v1]xfade=transition=fade:duration={FADE}:offset={first - FADE}[x]",
            "[x][v2]concat=n=2:v=1:a=0[v]",
            "[0:a]aresample=48000,aformat=channel_layouts=stereo[a0]",
            "[1:a]aresample=48000,aformat=channel_layouts=stereo[a1]",
            f"[a0][a1]acrossfade=d={FADE}:c1=qsin:c2=qsin[ax]",
            "[2:a]aresample=48000,aformat=channel_layouts=stereo,atempo=2.0[a2]",
            "[ax][a2]concat=n=2:v=0:a=1[a]",
        ]
    )
    return [
        "ffmpeg", "-y", "-v", "error",
        "-i", str(a), "-i", str(clip), "-i", str(b),
        "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", preset.x264_preset, "-crf", str(preset.crf),
        "-maxrate", preset.maxrate, "-bufsize", preset.bufsize, "-g", "60",
        "-r", str(draft.fps), "-c:a", "aac", "-b:a", str(preset.audio_bitrate), "-ar", "48000",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def ours(store, draft, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU counts every thread of this process."""
    c0, t0 = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    for _ in export_draft(store, draft, out, "standard"):
        pass
    return time.perf_counter() - t0, _cpu(resource.RUSAGE_SELF) - c0


def theirs(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of the ffmpeg process (a waited-for child)."""
    c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0, _cpu(resource.RUSAGE_CHILDREN) - c0


def frames_of(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one export of ours")
    parser.add_argument("--no-save", action="store_true", help="do not write the results JSON")
    args = parser.parse_args()
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is not installed: apt-get install ffmpeg")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        tmp = Path(tmp)
        store = DraftStore(tmp / "drafts")
        store.root.mkdir()
        draft = build_draft(store, tmp)
        cmd = ffmpeg_command(store, draft, tmp / "ffmpeg.mp4")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            ours(store, draft, tmp / "ours.mp4")  # the main thread only: encode and mux
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        mine, ffm, mine_cpu, ffm_cpu = [], [], [], []
        for _ in range(args.runs):  # alternating: both see the same machine
            wall, cpu = ours(store, draft, tmp / "ours.mp4")
            mine.append(wall)
            mine_cpu.append(cpu)
            wall, cpu = theirs(cmd)
            ffm.append(wall)
            ffm_cpu.append(cpu)
        m, f = statistics.median(mine), statistics.median(ffm)
        mc, fc = statistics.median(mine_cpu), statistics.median(ffm_cpu)
        counts = (frames_of(tmp / "ours.mp4"), frames_of(tmp / "ffmpeg.mp4"))
        sizes = ((tmp / "ours.mp4").stat().st_size, (tmp / "ffmpeg.mp4").stat().st_size)
        print(
            f"mixed draft ({draft.duration:.1f} s): reeleditor {m:.2f} s, ffmpeg {f:.2f} s, "
            f"ratio {m / f:.2f}x (median of {args.runs}; per pair "
            f"{', '.join(f'{a / b:.2f}' for a, b in zip(mine, ffm, strict=True))}); "
            f"CPU {mc:.2f} s / {fc:.2f} s ({mc / fc:.2f}x); frames {counts[0]} / {counts[1]}; "
            f"sizes {sizes[0] / 1e6:.1f} / {sizes[1] / 1e6:.1f} MB"
        )
        print("ffmpeg:", " ".join(cmd))
        if not args.no_save:
            RESULTS.parent.mkdir(exist_ok=True)
            result = {
                "draft": "6 s take --crossfade 0.5 s--> 7 s 1920x1080 clip (blur) | 4 s take at 2x",
                "reel_seconds": round(draft.duration, 3),
                "cores": os.cpu_count(),
                "runs": args.runs,
                "ours_s": mine,
                "ffmpeg_s": ffm,
                "ours_median_s": m,
                "ffmpeg_median_s": f,
                "ratio": m / f,
                # each run beside the ffmpeg run right after it: less exposed to the load
                # other work puts on a shared machine than the medians alone
                "pair_ratios": [a / b for a, b in zip(mine, ffm, strict=True)],
                "ours_cpu_s": mine_cpu,
                "ffmpeg_cpu_s": ffm_cpu,
                "cpu_ratio": mc / fc,
                "load_average_after": os.getloadavg(),
                "frames": {"ours": counts[0], "ffmpeg": counts[1]},
                "bytes": {"ours": sizes[0], "ffmpeg": sizes[1]},
                "ffmpeg_graph": cmd[cmd.index("-filter_complex") + 1],
            }
            RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
