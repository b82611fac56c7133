"""Looks at 1080x1920: median ms per frame against one 3-channel cv2.LUT pass, same run.

    python benchmarks/looks.py [--runs 40] [--markdown]

Each case is timed interleaved with the baseline LUT pass (baseline, case, baseline,
case, ...), so the shared machine's load hits both alike; the ratio is case / baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np

from reeleditor.core.draft import ADJUSTMENT_NAMES, Look
from reeleditor.media.looks import CATALOG, compile_look, look_thumbnails

WIDTH, HEIGHT = 1080, 1920
TARGET = 3.0


def test_frame() -> np.ndarray:
    """A smooth colourful scene with some texture: not a flat image a LUT would favour."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    b = 128 + 100 * np.sin(x / 97.0)
    g = 128 + 100 * np.cos(y / 131.0)
    r = 128 + 100 * np.sin((x + y) / 173.0)
    frame = np.clip(np.dstack([b, g, r]), 0, 255).astype(np.uint8)
    noise = np.random.default_rng(7).integers(-12, 13, frame.shape, dtype=np.int16)
    return np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def measure(fn, baseline, runs: int) -> tuple[float, float]:
    fn()
    baseline()
    case_t, base_t = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        fn()
        t2 = time.perf_counter()
        base_t.append(t1 - t0)
        case_t.append(t2 - t1)
    return statistics.median(case_t) * 1e3, statistics.median(base_t) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args()

    frame = test_frame()
    out = np.empty_like(frame)
    table = np.stack([np.arange(256, dtype=np.uint8)[::-1]] * 3, axis=-1).reshape(256, 1, 3)
    lut_out = np.empty_like(frame)

    def baseline():
        cv2.LUT(frame, table, dst=lut_out)

    cases = [(f"look `{i.name}` ({i.title})", Look(i.name)) for i in CATALOG]
    cases.append(("look `vintage` at 50 %", Look("vintage", 50.0)))
    for name in ADJUSTMENT_NAMES:
        cases.append((f"adjustment `{name}` +50 (look none)", Look("none", 100, ((name, 50),))))
    cases.append(
        (
            "look `vintage` + all nine adjustments",
            Look("vintage", 100, tuple((n, 30.0) for n in ADJUSTMENT_NAMES)),
        )
    )

    rows = []
    for label, look in cases:
        t = time.perf_counter()
        compiled = compile_look(look, WIDTH, HEIGHT)
        compile_ms = (time.perf_counter() - t) * 1e3
        counter = iter(range(10**9))  # a new frame index each call: grain moves
        ms, base = measure(
            lambda c=compiled, n=counter: c.apply(frame, next(n), out), baseline, args.runs
        )
        rows.append((label, ms, base, ms / base, compile_ms))

    look_thumbnails(frame, 96)
    ms, base = measure(lambda: look_thumbnails(frame, 96), baseline, args.runs)
    rows.append(
        (
            "`look_thumbnails` (all looks at 54x96, incl. downscale)",
            ms,
            base,
            ms / base,
            float("nan"),
        )
    )

    if args.markdown:
        print("| case | median ms | LUT pass ms | ratio | compile ms (first, uncached) |")
        print("| --- | --- | --- | --- | --- |")
        for label, ms, base, ratio, cms in rows:
            flag = "" if ratio <= TARGET else " (over 3x)"
            compile_text = "" if cms != cms else f"{cms:.0f}"
            print(f"| {label} | {ms:.2f} | {base:.2f} | {ratio:.2f}x{flag} | {compile_text} |")
    else:
        for label, ms, base, ratio, _ in rows:
            flag = "" if ratio <= TARGET else "  OVER"
            print(f"{label:60s} {ms:7.2f} ms  lut {base:5.2f} ms  {ratio:5.2f}x{flag}")


if __name__ == "__main__":
    main()
