"""Draft save/load speed against a bare atomic write of the same bytes, in one run.

Run: python benchmarks/drafts.py [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from reeleditor.core.draft import Look, MusicCue, Segment
from reeleditor.storage.drafts import DraftStore, encode_draft


def bare_atomic_write(path: Path, data: bytes) -> None:
    """The baseline: temp file, fsync, replace (what any careful app does at least)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def bare_atomic_write_dir_fsync(path: Path, data: bytes) -> None:
    """The baseline plus the folder fsync that makes the rename itself durable."""
    bare_atomic_write(path, data)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        store = DraftStore(Path(tmp) / "drafts")
        store.root.mkdir()
        draft = store.create("benchmark")
        segments = tuple(
            Segment(f"media/seg-{i:04d}.mp4", 2.5 + i / 100, f"s{i:08d}", 0.1, 2.4)
            for i in range(200)
        )
        draft = draft.with_changes(
            segments=segments,
            look=Look("golden-hour", 80.0, (("contrast", 12.0), ("vignette", 30.0))),
            music=MusicCue("library:sunny-day", 12.0, 0.8, 0.5, 1.5),
        )
        store.lock(draft.id)  # as the app does while a draft is open
        data = encode_draft(draft)
        bare_path = Path(tmp) / "bare.json"
        save_times, bare_times, bare_dir_times, load_times = [], [], [], []
        for n in range(args.runs):
            # interleave so both see the same disk and machine load
            t0 = time.perf_counter()
            bare_atomic_write(bare_path, data)
            t1 = time.perf_counter()
            store.save(draft.with_changes(updated=float(n)))
            t2 = time.perf_counter()
            store.load(draft.id)
            t3 = time.perf_counter()
            bare_atomic_write_dir_fsync(bare_path, data)
            bare_dir_times.append(time.perf_counter() - t3)
            bare_times.append(t1 - t0)
            save_times.append(t2 - t1)
            load_times.append(t3 - t2)
        store.close()
    encode_cold, encode_warm = [], []
    for n in range(args.runs):
        # cold: 200 segments never encoded before (a freshly loaded draft); warm: an edit
        # that leaves the segments as they were (what almost every autosave is)
        fresh = draft.with_changes(
            segments=tuple(replace(s, id=f"c{n:04d}{i:05d}") for i, s in enumerate(segments))
        )
        t0 = time.perf_counter()
        encode_draft(fresh)
        t1 = time.perf_counter()
        encode_draft(fresh.with_changes(updated=float(n)))
        encode_warm.append(time.perf_counter() - t1)
        encode_cold.append(t1 - t0)
    bare = statistics.median(bare_times) * 1000
    save = statistics.median(save_times) * 1000
    load = statistics.median(load_times) * 1000
    bare_dir = statistics.median(bare_dir_times) * 1000
    print(f"draft with 200 segments, {len(data)} bytes, median of {args.runs} runs")
    print(f"bare atomic write (temp, fsync, replace): {bare:.3f} ms")
    print(f"bare atomic write + folder fsync: {bare_dir:.3f} ms")
    print(
        f"DraftStore.save (+ history copy, folder fsync): {save:.3f} ms  ratio {save / bare:.2f}x "
        f"(vs write + folder fsync {save / bare_dir:.2f}x)"
    )
    print(f"DraftStore.load (read, parse, migrate, validate): {load:.3f} ms")
    cold = statistics.median(encode_cold) * 1000
    warm = statistics.median(encode_warm) * 1000
    print(f"encode_draft: {cold:.3f} ms new segments, {warm:.3f} ms segments unchanged")


if __name__ == "__main__":
    main()
