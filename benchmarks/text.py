"""Compositing animated text at 1080x1920 against one cv2.LUT pass over the same frame.

Three texts (pop + fade, slide, typewriter; styles neon, boxed, outline; one turned) and a
burned caption cue over a 4 s reel: WordsLayer.composite on a 1080x1920 BGR frame per reel
frame, interleaved with one 3-channel cv2.LUT pass (the looks' unit of cost). The first
pass over the reel rasterises every animation state (cold); the next ones hit the caches
(warm: what a preview loop and an export with repeated states pay).
Run: python benchmarks/text.py [--passes 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.words import Captions, Cue, TextOverlay, TextStyle
from reeleditor.media.words_layer import WordsLayer

RESULTS = Path(__file__).parent / "results" / "text.json"
W, H, FPS, SECONDS = 1080, 1920, 30, 4.0


def bench_draft() -> Draft:
    texts = (
        TextOverlay("Big news 🎉", 0.0, 4.0, look=TextStyle(style="neon", colour="#ff33aa",
                    size=96), y=0.2, enter="pop", exit="fade", rotation=-8),
        TextOverlay("Crème brûlée", 0.5, 3.5, look=TextStyle(style="boxed", size=72), y=0.45,
                    enter="slide", exit="slide"),
        TextOverlay("typed out, letter by letter", 1.0, 4.0, look=TextStyle(style="outline"),
                    y=0.6, enter="typewriter"),
    )  # fmt: skip
    cues = (Cue(0.0, 2.0, "the first caption\nin two lines"), Cue(2.0, 4.0, "and the second"))
    return Draft(id="bench", title="t", created=0.0, updated=0.0, width=W, height=H,
                 fps=FPS, texts=texts, captions=Captions(cues=cues))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (H, W, 3), dtype=np.uint8)
    table = np.clip(np.arange(256) * 1.1, 0, 255).astype(np.uint8).reshape(256, 1, 1)
    table = np.repeat(table, 3, axis=2)
    lut_out = np.empty_like(frame)
    layer = WordsLayer(bench_draft(), W, H)
    passes = []
    for n in range(args.passes):
        words_ms, lut_ms = [], []
        for index in range(round(SECONDS * FPS)):
            work = frame.copy()
            t0 = time.perf_counter()
            layer.composite(work, index)
            t1 = time.perf_counter()
            cv2.LUT(frame, table, dst=lut_out)
            t2 = time.perf_counter()
            words_ms.append((t1 - t0) * 1000)
            lut_ms.append((t2 - t1) * 1000)
        w, lut = statistics.median(words_ms), statistics.median(lut_ms)
        passes.append(
            {
                "pass": "cold" if n == 0 else "warm",
                "median_words_ms": w,
                "p99_words_ms": float(np.percentile(words_ms, 99)),
                "max_words_ms": max(words_ms),
                "median_lut_ms": lut,
                "ratio": w / lut,
            }
        )
        print(
            f"pass {n + 1} ({passes[-1]['pass']}): words {w:.2f} ms (p99 "
            f"{passes[-1]['p99_words_ms']:.1f}, max {max(words_ms):.1f}), one LUT pass "
            f"{lut:.2f} ms, ratio {w / lut:.2f}x (target <= 0.5x)"
        )
    summary = {"size": [W, H], "fps": FPS, "cores": os.cpu_count(), "passes": passes}
    if not args.no_save:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
