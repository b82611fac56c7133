"""Scrub latency: a click on the timeline to the graded frame the preview shows.

A 60 s draft of 1080x1920 segments (6 x 10 s, H.264 with the recorder's GOP of 15 or a
phone's 60), a look on. Each "click" is ScrubService.request(t) at a random reel time, as
the timeline's click handler calls it; the time ends when the preview pipeline has graded
that frame (its `graded` Frame is the still for that reel index), which is what the
window paints on its next tick. Measured with proxies built (540x960, GOP 10) and against
the originals (the baseline), plus a forward drag (the next frame or two each time).
With --gui the same clicks go to the real window offscreen (QTest clicks on the timeline
widget; the camera is the 1080x1920 test pattern, open as in the app): the time runs to
the preview view's `frame_shown` for that frame, after proxies the window built itself.
Run: python benchmarks/scrub.py [--clicks 200] [--gop 15] [--look warm] [--gui]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reeleditor.core.draft import Look, Segment  # noqa: E402
from reeleditor.media.preview import PreviewPipeline  # noqa: E402
from reeleditor.media.proxies import build_proxies  # noqa: E402
from reeleditor.media.scrub import ScrubService  # noqa: E402
from reeleditor.storage.drafts import DraftStore  # noqa: E402
from tests.media.reel_media import _texture  # noqa: E402

W, H, FPS = 1080, 1920, 30


def make_take(path: Path, seconds: float, gop: int, seed: int) -> None:
    """A moving texture with a moving block, like footage for the encoder and decoder."""
    texture = _texture(W * 2, H, seed)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        video.codec_context.gop_size = gop
        video.options = {"preset": "veryfast", "crf": "23"}
        for i in range(round(seconds * FPS)):
            shift = (i * 9) % W
            img = np.ascontiguousarray(texture[:, shift : shift + W])
            y = (i * 23) % (H - 200)
            img[y : y + 200, 100:300] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))


def measure(store, draft, times: list[float], proxies: bool, look: Look, pause: float):
    pipeline = PreviewPipeline()
    pipeline.mirror = False
    pipeline.set_look(look)
    scrub = ScrubService(store, proxies=proxies)
    scrub.set_draft(draft)
    pipeline.set_source(scrub)
    pipeline.start()
    latencies = []
    try:
        scrub.request(0.0)  # open the first file outside the timing, as the app has by then
        _wait(pipeline, scrub, 0)
        for t in times:
            t0 = time.perf_counter()
            index = scrub.request(t)
            _wait(pipeline, scrub, index)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(pause)  # a person's clicks are apart; the pipeline idles between
        decoded = scrub.decoded
    finally:
        pipeline.stop()
        scrub.close()
    return latencies, decoded


def _wait(pipeline, scrub, index: int, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while True:
        frame = pipeline.graded
        if frame is not None and frame.reel_index == index and frame is scrub.latest():
            return
        if time.perf_counter() > deadline:
            raise TimeoutError(f"frame {index} never shown ({scrub.problem})")
        time.sleep(0.0005)


def gui_clicks(root: Path, draft_id: str, times: list[float]) -> list[float]:
    """Clicks on the real window's timeline; ms from the click to the view showing it."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QPoint, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from reeleditor.app import create_main_window
    from reeleditor.core.settings import Settings
    from reeleditor.media.proxies import ready_proxy
    from reeleditor.storage.paths import AppPaths
    from reeleditor.storage.settings import save_settings
    from reeleditor.ui.timeline import RULER_H

    paths = AppPaths.from_env(str(root)).ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern"))
    app = QApplication.instance() or QApplication([])
    window, sentinel = create_main_window(str(root))
    window.show()

    def wait_for(done, timeout_ms: int) -> None:
        loop = QEventLoop()
        poll = QTimer(interval=5)
        poll.timeout.connect(lambda: done() and loop.quit())
        QTimer.singleShot(timeout_ms, loop.quit)
        poll.start()
        loop.exec()
        poll.stop()

    draft = window.session.draft
    assert draft is not None and draft.id == draft_id, "the window opened another draft"
    started = time.perf_counter()
    wait_for(lambda: all(ready_proxy(window.store, draft, s) for s in draft.segments), 300_000)
    print(f"the window built its proxies in {time.perf_counter() - started:.1f} s")
    timeline, view, preview = window.timeline.timeline, window.view, window.preview
    latencies = []
    try:
        for t in [0.0, *times]:
            x = round(timeline.x_of(t))
            loop = QEventLoop()
            want = {}

            def shown(want=want, loop=loop):
                graded = preview.pipeline.graded
                scrub = preview.scrub
                if (
                    scrub is not None
                    and graded is not None
                    and graded is scrub.latest()
                    and graded.reel_index == want.get("index")
                ):
                    loop.quit()

            view.frame_shown.connect(shown)
            guard = QTimer(singleShot=True, interval=10_000)
            guard.timeout.connect(loop.quit)
            t0 = time.perf_counter()
            QTest.mouseClick(timeline, Qt.LeftButton, pos=QPoint(x, RULER_H // 2))
            last = round(draft.duration * draft.fps) - 1
            want["index"] = min(round(timeline.playhead * draft.fps), last)
            guard.start()
            loop.exec()
            elapsed = (time.perf_counter() - t0) * 1000
            view.frame_shown.disconnect(shown)
            if not guard.isActive():
                raise TimeoutError(f"frame {want['index']} never shown")
            guard.stop()
            if t:  # the first click opens the files: the app has done that by the second
                latencies.append(elapsed)
            wait_for(lambda: False, 50)  # clicks are apart
    finally:
        window.close()
        sentinel.stop()
        app.processEvents()
    return latencies


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1),
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--gop", type=int, default=15, help="15: the recorder's; 60: a phone's")
    parser.add_argument("--takes", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--look", default="warm")
    parser.add_argument("--pause", type=float, default=0.05)
    parser.add_argument("--gui", action="store_true", help="clicks on the real window")
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/scrub.json"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="scrub-bench-"))
    try:
        from reeleditor.storage.paths import AppPaths

        store = DraftStore(AppPaths.from_env(str(root)).ensure().drafts)
        draft = store.create("scrub", width=W, height=H)
        media = store.media_dir(draft.id)
        media.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        make_take(media / "take-0.mp4", args.seconds, args.gop, 0)
        segments = []
        for k in range(args.takes):
            name = f"take-{k}.mp4"
            if k:  # copies: each is its own file, decoder and proxy, as separate takes are
                shutil.copy(media / "take-0.mp4", media / name)
            segments.append(Segment(f"media/{name}", args.seconds, f"s{k}"))
        look = Look(args.look, 100)
        draft = draft.with_changes(segments=tuple(segments), look=look)
        store.save(draft)
        draft = store.load(draft.id)
        print(f"media made in {time.perf_counter() - t0:.1f} s; {draft.duration:.0f} s reel")
        rng = np.random.default_rng(1)
        clicks = [float(t) for t in rng.uniform(0, draft.duration, args.clicks)]
        if args.gui:
            shown = gui_clicks(root, draft.id, clicks)
            print("window, proxies:", summary(shown))
            _save(Path(args.out), f"gop{args.gop}", {"window_proxies": summary(shown)})
            return
        start = float(rng.uniform(0, draft.duration - 5))
        drag = [start + k / FPS * 1.5 for k in range(100)]  # 1-2 frames a step, forward
        base, base_decoded = measure(store, draft, clicks, False, look, args.pause)
        print("originals:", summary(base))
        t0 = time.perf_counter()
        for _ in build_proxies(store, draft):
            pass
        proxy_seconds = time.perf_counter() - t0
        print(f"proxies built in {proxy_seconds:.1f} s")
        fast, fast_decoded = measure(store, draft, clicks, True, look, args.pause)
        print("proxies:", summary(fast))
        dragged, _ = measure(store, draft, drag, True, look, 0.0)
        print("forward drag, proxies:", summary(dragged))
        result = {
            "draft": f"{args.takes} x {args.seconds:g} s of {W}x{H} H.264, GOP {args.gop}",
            "look": args.look,
            "clicks": args.clicks,
            "originals": {**summary(base), "pictures_decoded": base_decoded},
            "proxies": {**summary(fast), "pictures_decoded": fast_decoded},
            "forward_drag_proxies": summary(dragged),
            "p95_ratio_originals_to_proxies": round(
                summary(base)["p95_ms"] / summary(fast)["p95_ms"], 2
            ),
            "proxy_build_seconds": round(proxy_seconds, 1),
            "cores": __import__("os").cpu_count(),
        }
        _save(Path(args.out), f"gop{args.gop}", result)
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _save(out: Path, key: str, result: dict) -> None:
    """Merge `result` into the JSON's `key` (the CLI-free and the window runs share it)."""
    previous = json.loads(out.read_text()) if out.is_file() else {}
    previous[key] = {**previous.get(key, {}), **result}
    out.write_text(json.dumps(previous, indent=1) + "\n")


if __name__ == "__main__":
    main()
