"""Recorder: the 1080x1920 test pattern at 30 fps for 20 s; frames, CPU and A/V offset.

Run: python benchmarks/recorder.py [--seconds 20]
The baseline in the same run is the test pattern running alone (its CPU cost).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from reeleditor.media.recorder import SegmentRecorder
from reeleditor.media.sources.testpattern import TestPatternSource, has_flash


def cpu_during(seconds: float, work=None) -> float:
    """Process CPU use (in cores) while `work` runs, or while idling for `seconds`."""
    c0, t0 = time.process_time(), time.monotonic()
    if work is None:
        time.sleep(seconds)
    else:
        work()
    return (time.process_time() - c0) / (time.monotonic() - t0)


def av_offsets(path: Path, fps: int) -> list[float]:
    """Seconds between each sync flash and the nearest beep onset, in the file."""
    flashes = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if has_flash(frame.to_ndarray(format="bgr24")):
                flashes.append(i / fps)
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].sample_rate
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    loud = np.abs(samples) > 0.25
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) / rate
    beeps = [t for n, t in enumerate(onsets) if n == 0 or t - onsets[n - 1] > 0.5]
    end = len(samples) / rate
    # a mark in the last 0.1 s may have its beep start after the file ends: not comparable
    return [min((f - b for b in beeps), key=abs) for f in flashes if f < end - 0.1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    w, h, fps = 1080, 1920, 30
    source = TestPatternSource(w, h, fps).open()
    try:
        source.wait_frame(-1, 2)
        idle = cpu_during(5)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "seg.mp4"
            rec = SegmentRecorder(
                source, source.audio, path, width=w, height=h, fps=fps, max_seconds=args.seconds
            )

            def record():
                rec.start()
                rec.wait()

            busy = cpu_during(0, record)
            result = rec.stop()
            with av.open(str(path)) as container:
                decoded = sum(1 for _ in container.decode(video=0))
            offsets = av_offsets(path, fps)
            size = path.stat().st_size
    finally:
        source.close()
    expected = round(args.seconds * fps)
    print(f"recorded {args.seconds:g} s of {w}x{h} @ {fps} fps with {result.encoder}")
    print(
        f"frames in file: {decoded} of {expected} expected ({decoded / expected:.1%}); "
        f"duplicated {result.duplicated}, dropped {result.dropped}"
    )
    print(
        f"CPU: test pattern alone {idle:.2f} cores; while recording {busy:.2f} cores "
        f"(ratio {busy / idle:.1f}x)"
    )
    med = statistics.median(offsets) * 1000
    worst = max(abs(o) for o in offsets) * 1000
    print(
        f"A/V offset over {len(offsets)} sync marks: median {med:+.1f} ms, "
        f"worst {worst:.1f} ms (1 frame = {1000 / fps:.1f} ms)"
    )
    print(f"file: {size / 1e6:.1f} MB ({size * 8 / args.seconds / 1e6:.1f} Mbit/s)")


if __name__ == "__main__":
    main()
