"""Export speed beside the ffmpeg command-line tool doing the same job in the same run.

A 15 s 1080x1920 30 fps draft recorded from the test pattern, with one look and music,
exported with the standard preset; ffmpeg gets the same libx264 preset, CRF and rate
limits, an equivalent -vf (the look's own colour matrix and curves) and the same audio mix.
Run: python benchmarks/export.py [--runs 3] [--seconds 15] [--look warm]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from reeleditor.core.draft import Look, MusicCue
from reeleditor.core.presets import preset_named
from reeleditor.media.looks import compile_look
from reeleditor.media.music import resolve_track
from reeleditor.media.render import export_draft
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.storage.drafts import DraftStore


def ffmpeg_look_filter(look: Look, width: int, height: int) -> str:
    """The compiled look as ffmpeg filters: its matrix as colorchannelmixer, its table as curves."""
    compiled = compile_look(look, width, height)
    parts = []
    if compiled.matrix is not None:
        m = compiled.matrix  # BGR in, BGR out
        order = {"r": 2, "g": 1, "b": 0}
        coeffs = [f"{o}{i}={m[order[o], order[i]]:.4f}" for o in "rgb" for i in "rgb"]
        parts.append("colorchannelmixer=" + ":".join(coeffs))
    if compiled.lut is not None:
        points = (0, 32, 64, 96, 128, 160, 192, 224, 255)
        curves = []
        for name, channel in (("r", 2), ("g", 1), ("b", 0)):
            table = compiled.lut[:, 0, channel]
            curves.append(
                f"{name}='" + " ".join(f"{p / 255:.3f}/{table[p] / 255:.3f}" for p in points) + "'"
            )
        parts.append("curves=" + ":".join(curves))
    return ",".join(parts)


def ffmpeg_command(segment: Path, draft, out: Path, with_look: bool) -> list[str]:
    preset = preset_named("standard")
    cue = draft.music
    video = ffmpeg_look_filter(draft.look, draft.width, draft.height) if with_look else ""
    video = f"[0:v]{video + ',' if video else ''}format=yuv420p[v]"
    audio = (
        f"[0:a]aresample=48000,aformat=channel_layouts=stereo,"
        f"volume={draft.original_volume}[a0];"
        f"[1:a]aresample=48000,atrim=start={cue.start},asetpts=PTS-STARTPTS,"
        f"volume={cue.volume}[a1];[a0][a1]amix=inputs=2:duration=first:normalize=0[a]"
    )
    return [
        "ffmpeg",
        "-y",
        "-v",
        "error",
        "-i",
        str(segment),
        "-i",
        str(resolve_track(cue.track)),
        "-filter_complex",
        f"{video};{audio}",
        "-map",
        "[v]",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        preset.x264_preset,
        "-crf",
        str(preset.crf),
        "-maxrate",
        preset.maxrate,
        "-bufsize",
        preset.bufsize,
        "-r",
        str(draft.fps),
        "-c:a",
        "aac",
        "-b:a",
        str(preset.audio_bitrate),
        "-ar",
        "48000",
        "-movflags",
        "+faststart",
        str(out),
    ]


def ours(store, draft, out: Path) -> float:
    t0 = time.perf_counter()
    for _ in export_draft(store, draft, out, "standard"):
        pass
    return time.perf_counter() - t0


def theirs(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--look", default="warm")
    args = parser.parse_args()
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is not installed: apt-get install ffmpeg")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        tmp = Path(tmp)
        store = DraftStore(tmp / "drafts")
        store.root.mkdir()
        draft = store.create("bench")
        source = TestPatternSource(draft.width, draft.height, draft.fps).open()
        try:
            for _ in record_take(store, draft.id, source, source.audio, args.seconds):
                pass
        finally:
            source.close()
        draft = store.load(draft.id).with_changes(
            music=MusicCue("library:sunny-day", start=2.0, volume=0.8), original_volume=0.5
        )
        segment = store.media_path(draft, draft.segments[0])
        looks = {"with look": Look(args.look, 100.0), "without look": Look()}
        results = {}
        for label, look in looks.items():
            d = draft.with_changes(look=look)
            cmd = ffmpeg_command(segment, d, tmp / "ffmpeg.mp4", look.name != "none")
            mine, ffm = [], []
            for _ in range(args.runs):  # interleaved: both see the same machine
                mine.append(ours(store, d, tmp / "ours.mp4"))
                ffm.append(theirs(cmd))
            results[label] = (statistics.median(mine), statistics.median(ffm))
            sizes = ((tmp / "ours.mp4").stat().st_size, (tmp / "ffmpeg.mp4").stat().st_size)
            m, f = results[label]
            print(
                f"{label} ({look.name}): reeleditor {m:.2f} s, ffmpeg {f:.2f} s, "
                f"ratio {m / f:.2f}x; sizes {sizes[0] / 1e6:.1f} / {sizes[1] / 1e6:.1f} MB "
                f"(median of {args.runs})"
            )
        print(
            "ffmpeg:",
            " ".join(
                ffmpeg_command(
                    segment, draft.with_changes(look=looks["with look"]), Path("OUT.mp4"), True
                )
            ),
        )


if __name__ == "__main__":
    main()
