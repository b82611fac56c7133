"""Auto-captions: pocketsphinx (bundled en-us model) on 60 s of espeak-ng speech, timed
against the audio's length (the ratio to real time; target < 1, faster than real time).

The speech is espeak-ng's en-us+klatt2 voice at 160 words a minute reading a paragraph
(repeated to fill 60 s), decoded to 16 kHz mono int16 once; each run is one
PocketSphinxRecognizer.words call (a fresh decoder, 1 s chunks, as `transcribe` does).
pocketsphinx decodes on one thread, so a second core does not change the figure.
Run: python benchmarks/captions.py [--runs 3] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from reeleditor.media.speech import RATE, PocketSphinxRecognizer

RESULTS = Path(__file__).parent / "results" / "captions.json"
PARAGRAPH = (
    "Today I want to show you how I make fresh bread at home. First we mix the flour with "
    "warm water and a little salt. Then we leave the dough to rest for an hour, until it "
    "has doubled in size. We recorded this reel on a sunny morning by the river, and the "
    "light was perfect. The quick brown fox jumps over the lazy dog. "
)


def speech(seconds: float, folder: Path) -> np.ndarray:
    """`seconds` of espeak-ng speech as int16 mono at 16 kHz."""
    text = PARAGRAPH * max(1, round(seconds / 20) + 1)
    wav = folder / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us+klatt2", "-s", "160", "-w", str(wav), text], check=True
    )
    chunks = []
    with av.open(str(wav)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(chunks)
    if samples.size < seconds * RATE:
        raise SystemExit(f"espeak-ng gave {samples.size / RATE:.1f} s, fewer than {seconds}")
    return samples[: round(seconds * RATE)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        samples = speech(args.seconds, Path(folder))
    recognizer = PocketSphinxRecognizer()
    times, words = [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        heard = recognizer.words(samples, RATE)
        times.append(time.perf_counter() - start)
        words = len(heard)
    median = statistics.median(times)
    result = {
        "audio_seconds": args.seconds,
        "runs_seconds": [round(t, 2) for t in times],
        "median_seconds": round(median, 2),
        "ratio_to_real_time": round(median / args.seconds, 3),
        "words_heard": words,
        "engine": recognizer.name,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(
        f"{args.seconds:g} s of speech: recognised in {median:.2f} s (median of {args.runs}), "
        f"{median / args.seconds:.2f}x real time, {words} words"
    )
    if not args.no_save:
        RESULTS.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
