"""Preview playback across a transition with a look on: frames per second and p99 interval.

Two 3 s 1080x1920 takes recorded from the test pattern, crossfading for 1 s (reel 2.0-3.0
s), the `cinema` look. The preview path as the app runs it, without Qt: ReelPlayer (the
reel's frames in real time, the transition composed at 1080x1920) followed by a
PreviewPipeline (540x960, the look) on its own thread. The pipeline's `frame_times` give
the intervals between frames ready to paint.
Run: python benchmarks/transition_preview.py [--runs 3] [--look cinema] [--name crossfade]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np

from reeleditor.core.draft import Look, Segment
from reeleditor.media.playback import ReelPlayer
from reeleditor.media.preview import PreviewPipeline
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.storage.drafts import DraftStore

RESULTS = Path(__file__).parent / "results" / "transition_preview.json"
TAKE, FADE, START = 3.0, 1.0, 1.2  # the transition spans reel 2.0-3.0 s


def build_draft(store: DraftStore, name: str, look: str):
    draft = store.create("preview")
    source = TestPatternSource(draft.width, draft.height, draft.fps).open()
    try:
        for _ in range(2):
            for _ in record_take(store, draft.id, source, source.audio, TAKE):
                pass
    finally:
        source.close()
    a, b = store.load(draft.id).segments
    segments = (
        Segment(a.media, a.duration, transition=name, transition_seconds=FADE),
        Segment(b.media, b.duration),
    )
    store.save(store.load(draft.id).with_changes(segments=segments, look=Look(look)))
    return store.load(draft.id)


def play_once(store, draft) -> dict:
    """Play from START to the end; intervals of frames shown inside the transition."""
    pipeline = PreviewPipeline()
    pipeline.set_look(draft.look)
    pipeline.start()
    player = ReelPlayer(store, draft, start=START)
    try:
        pipeline.set_source(player)
        for _ in player.run(tick=0.25):
            pass
        times = list(pipeline.frame_times)
    finally:
        pipeline.set_source(None)
        pipeline.stop()
    t0 = player._t0  # the monotonic time reel 0 was due at
    lo, hi = t0 + TAKE - FADE, t0 + TAKE
    inside = [t for t in times if lo <= t < hi + 0.05]
    gaps = np.diff(inside) * 1000
    return {
        "frames_in_transition": len(inside),
        "fps_in_transition": (len(inside) - 1) / (inside[-1] - inside[0]),
        "median_ms": float(np.median(gaps)),
        "p99_ms": float(np.percentile(gaps, 99)),
        "max_ms": float(gaps.max()),
        "fps_whole": (len(times) - 1) / (times[-1] - times[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--look", default="cinema")
    parser.add_argument("--name", default="crossfade", help="the transition")
    parser.add_argument("--no-save", action="store_true", help="do not write the results JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = DraftStore(Path(tmp) / "drafts")
        store.root.mkdir()
        draft = build_draft(store, args.name, args.look)
        runs = [play_once(store, draft) for _ in range(args.runs)]
    for run in runs:
        print(
            f"{args.name} + {args.look}: {run['fps_in_transition']:.1f} fps in the transition "
            f"({run['frames_in_transition']} frames), median {run['median_ms']:.1f} ms, "
            f"p99 {run['p99_ms']:.1f} ms, max {run['max_ms']:.1f} ms; "
            f"whole play {run['fps_whole']:.1f} fps"
        )
    summary = {
        "transition": args.name,
        "look": args.look,
        "cores": os.cpu_count(),
        "runs": runs,
        "median_fps_in_transition": statistics.median(r["fps_in_transition"] for r in runs),
        "median_p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "worst_p99_ms": max(r["p99_ms"] for r in runs),
    }
    print(
        f"median of {args.runs}: {summary['median_fps_in_transition']:.1f} fps, "
        f"p99 {summary['median_p99_ms']:.1f} ms (worst {summary['worst_p99_ms']:.1f} ms)"
    )
    if not args.no_save:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
