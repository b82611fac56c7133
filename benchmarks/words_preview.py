"""Preview playback with a look, two animated texts and burned captions: fps and p99.

A 4 s 1080x1920 take recorded from the test pattern, the `cinema` look, two texts (pop +
fade neon with an emoji, a typewriter outline) and caption cues typed by hand, burned.
The preview path as the app runs it, without Qt: ReelPlayer (the reel's frames in real
time) followed by a PreviewPipeline (540x960: the look, then the words) on its own thread.
The pipeline's `frame_times` give the intervals between frames ready to paint.
Run: python benchmarks/words_preview.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np

from reeleditor.core.draft import Look
from reeleditor.core.words import Captions, Cue, TextOverlay, TextStyle
from reeleditor.media.playback import ReelPlayer
from reeleditor.media.preview import PreviewPipeline
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.storage.drafts import DraftStore

RESULTS = Path(__file__).parent / "results" / "words_preview.json"
TAKE = 4.0


def build_draft(store: DraftStore, look: str):
    draft = store.create("words preview")
    source = TestPatternSource(draft.width, draft.height, draft.fps).open()
    try:
        for _ in record_take(store, draft.id, source, source.audio, TAKE):
            pass
    finally:
        source.close()
    texts = (
        TextOverlay("Big news 🎉", 0.2, 3.8, look=TextStyle(style="neon", colour="#ff33aa",
                    size=96), y=0.2, enter="pop", exit="fade", rotation=-8),
        TextOverlay("typed out, letter by letter", 1.0, 4.0, look=TextStyle(style="outline"),
                    y=0.5, enter="typewriter", exit="slide"),
    )  # fmt: skip
    cues = tuple(
        Cue(i * 0.8, i * 0.8 + 0.8, f"caption number {i + 1}\nsecond line") for i in range(5)
    )
    store.save(
        store.load(draft.id).with_changes(
            look=Look(look), texts=texts, captions=Captions(cues=cues, burn=True)
        )
    )
    return store.load(draft.id)


def play_once(store, draft) -> dict:
    pipeline = PreviewPipeline()
    pipeline.mirror = False
    pipeline.set_look(draft.look)
    pipeline.set_words(draft)
    pipeline.start()
    player = ReelPlayer(store, draft, start=0.0)
    try:
        pipeline.set_source(player)
        for _ in player.run(tick=0.25):
            pass
        times = list(pipeline.frame_times)
    finally:
        pipeline.set_source(None)
        pipeline.stop()
    gaps = np.diff(times) * 1000
    return {
        "frames": len(times),
        "fps": (len(times) - 1) / (times[-1] - times[0]),
        "median_ms": float(np.median(gaps)),
        "p99_ms": float(np.percentile(gaps, 99)),
        "max_ms": float(gaps.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--look", default="cinema")
    parser.add_argument("--no-save", action="store_true", help="do not write the results JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = DraftStore(Path(tmp) / "drafts")
        store.root.mkdir()
        draft = build_draft(store, args.look)
        runs = [play_once(store, draft) for _ in range(args.runs)]
    for n, run in enumerate(runs, 1):
        print(
            f"run {n} ({'cold caches' if n == 1 else 'warm'}): {run['fps']:.1f} fps "
            f"({run['frames']} frames), median {run['median_ms']:.1f} ms, "
            f"p99 {run['p99_ms']:.1f} ms, max {run['max_ms']:.1f} ms"
        )
    summary = {
        "look": args.look,
        "cores": os.cpu_count(),
        "runs": runs,
        "median_fps": statistics.median(r["fps"] for r in runs),
        "median_p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "worst_p99_ms": max(r["p99_ms"] for r in runs),
    }
    print(
        f"median of {args.runs}: {summary['median_fps']:.1f} fps, p99 "
        f"{summary['median_p99_ms']:.1f} ms (worst {summary['worst_p99_ms']:.1f} ms); "
        "target 30 fps, p99 <= 50 ms"
    )
    if not args.no_save:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
