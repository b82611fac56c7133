"""Voice-over mixing: the ducker on a 90 s reel against the plain mix, and the preview's mix.

    python benchmarks/voiceover.py [--runs 15] [--seconds 90]

1. `duck` (side-chain gain from a voice track, applied to the music) and `place_voices`,
   timed interleaved with the baseline that every export pays anyway: `mix` (original +
   music + soft limiter) over the same length. Target: the ducker <= 1x the mix.
2. `render_mix`, what the preview waits for before a reel with a voice-over is heard:
   a draft of three clips with sound (AAC), a library song and two voice-overs, rendered
   to a WAV (first run), then found again (the cached WAV, every later play).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from reeleditor.core.draft import MusicCue, Segment
from reeleditor.core.mixing import duck, mix, place_voices
from reeleditor.media.music import RATE, library

FPS = 30


def speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Bursts of a buzzy tone (syllables) with short gaps, -20 dBFS inside a burst."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    out = np.zeros(n, np.float32)
    pos = 0
    while pos < n:
        burst = min(round(rng.uniform(0.12, 0.25) * RATE), n - pos)
        t = np.arange(burst) / RATE
        out[pos : pos + burst] = 0.1 * np.sign(np.sin(2 * np.pi * 140 * t)) * 0.7
        pos += burst + round(rng.uniform(0.05, 0.18) * RATE)
    return np.stack([out, out])


def timed(fn, baseline, runs: int) -> tuple[float, float]:
    fn()
    baseline()
    case, base = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        base.append(t1 - t0)
        case.append(t2 - t1)
    return statistics.median(case) * 1e3, statistics.median(base) * 1e3


def write_clip(path: Path, seconds: float) -> Path:
    """A small H.264 + AAC clip: the preview's mix decodes only its sound."""
    frames = round(seconds * FPS)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 180, 320, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="stereo")
        picture = np.zeros((320, 180, 3), np.uint8)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        t = np.arange(round(seconds * RATE)) / RATE
        sound = (0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        for start in range(0, sound.size, 1024):
            chunk = np.ascontiguousarray(np.stack([sound[start : start + 1024]] * 2))
            block = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            block.sample_rate, block.pts = RATE, start
            out.mux(audio.encode(block))
        out.mux(audio.encode(None))
    return path


def preview_mix(seconds: float) -> tuple[float, float]:
    from reeleditor.core.words import VoiceOver
    from reeleditor.media.voiceover import render_mix, write_wav
    from reeleditor.storage.drafts import DraftStore

    with tempfile.TemporaryDirectory() as tmp:
        store = DraftStore(Path(tmp) / "drafts")
        draft = store.create("bench")
        media = store.media_dir(draft.id)
        media.mkdir(parents=True, exist_ok=True)
        third = seconds / 3
        segments = []
        for i in range(3):
            write_clip(media / f"c{i}.mp4", third)
            segments.append(Segment(f"media/c{i}.mp4", third, f"s{i}", kind="clip", fit="fill"))
        voices = []
        for i, at in enumerate((2.0, seconds / 2)):
            write_wav(speechlike(10.0, i).T, RATE, media / f"v{i}.wav")
            voices.append(VoiceOver(f"media/v{i}.wav", 10.0, at, f"v{i}"))
        draft = draft.with_changes(
            segments=tuple(segments),
            music=MusicCue(f"library:{library()[0].name}"),
            voiceovers=tuple(voices),
        )
        t0 = time.perf_counter()
        render_mix(store, draft, Path(tmp) / "mixes")
        t1 = time.perf_counter()
        render_mix(store, draft, Path(tmp) / "mixes")
        t2 = time.perf_counter()
        store.release(draft.id)
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=90.0)
    args = parser.parse_args()

    n = round(args.seconds * RATE)
    rng = np.random.default_rng(0)
    original = (0.1 * rng.standard_normal((2, n))).astype(np.float32)
    music = (0.2 * rng.standard_normal((2, n))).astype(np.float32)
    said = speechlike(30.0)
    voices = [(said, 5.0, 1.0), (said, 50.0, 0.8)]

    def ducker():
        voice = place_voices(voices, n, RATE)
        return duck(music, voice, RATE, 12.0)

    case, base = timed(ducker, lambda: mix(original, 1.0, music), args.runs)
    print(f"{args.seconds:g} s reel, median of {args.runs}")
    ratio = case / base
    print(f"| place_voices + duck | {case:.1f} ms | mix (baseline) {base:.1f} ms | {ratio:.2f}x |")
    first, again = preview_mix(min(args.seconds, 30.0))
    print(
        f"| render_mix, {min(args.seconds, 30.0):g} s reel, 3 clips, music, 2 voice-overs "
        f"| first {first:.0f} ms | cached {again:.1f} ms |"
    )


if __name__ == "__main__":
    main()
