"""Scrubbing: the reel's exact picture at any time, fast, as a still source for the preview.

A timeline click asks for reel time t; the picture is frame round(t * fps) as the export
makes it (render.clip_frames' mapping: output frame i of a clip shows media time
start + i * speed / fps, turned, fitted, photos zooming) at preview size, composed across
transitions by media/transitions. The preview pipeline grades it with the look, as it
grades playback, so what is shown is the export's frame.

Speed comes from three things: proxies (media/proxies.py: 540x960, a keyframe every 10
pictures), a keyframe index per file so a seek lands on the right GOP at once, and an open
decoder per file that carries on forward when the next picture is in the same or a later
GOP than the last one decoded (a drag to the right decodes a picture or two, not a GOP).
Composed pictures are kept in a small LRU. One thread serves the newest request and
drops the ones a fast drag made stale.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.errors import ReelEditorError
from reeleditor.media.conform import conform
from reeleditor.media.preview import PREVIEW_SIZE
from reeleditor.media.proxies import ready_proxy, to_bgr
from reeleditor.media.sources.base import Frame
from reeleditor.media.timeline import Clip, plan
from reeleditor.media.transitions import blend, clip_overlaps, locate, reel_length

log = logging.getLogger(__name__)

CACHE_FRAMES = 24  # composed 540x960 pictures kept (1.5 MB each)
MAX_READERS = 12  # open decoders kept; each holds a container and a codec context


class _Reader:
    """One file: its pictures' timestamps, keyframes, and a decoder that continues forward."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with av.open(str(path)) as probe:
            stream = probe.streams.video[0]
            pts, keys = [], []
            for packet in probe.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
        self.pts = sorted(set(pts))
        self.keys = sorted(set(keys)) or self.pts[:1]
        self.container = av.open(str(path))
        self.stream = self.container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.time_base = self.stream.time_base
        self.seconds = [float(p * self.time_base) for p in self.pts]
        self._frames = None  # the decode iterator, positioned after `_last`
        self._last: av.VideoFrame | None = None
        self.rotation = 0
        self.decoded = 0  # pictures decoded, for the benchmark's account

    def pick(self, media_time: float, half: float) -> int:
        """The timestamp showing at `media_time`: the last picture at or before it (+half)."""
        i = bisect.bisect_right(self.seconds, media_time + half) - 1
        return self.pts[max(i, 0)]

    def picture(self, pts: int) -> av.VideoFrame:
        last = self._last
        if last is not None and last.pts == pts:
            return last
        key = self.keys[max(bisect.bisect_right(self.keys, pts) - 1, 0)]
        if last is None or not key <= last.pts < pts:
            # the target's GOP starts after what is decoded (or it lies behind): seek there
            self.container.seek(key, stream=self.stream, backward=True)
            self._frames = self.container.decode(self.stream)
            self._last = None
        found = None
        for frame in self._frames:
            self.decoded += 1
            if frame.pts is None:
                continue
            if self._last is None:
                self.rotation = frame.rotation
            self._last = frame
            if frame.pts >= pts:
                found = frame
                break
        if found is None:  # ran off the end: the last picture holds, as in the export
            if self._last is None:
                raise ReelEditorError(f"{self.path.name}: no picture decodes near {pts}")
            self._frames = None
            found = self._last
            self._last = None  # the iterator is spent; the next request seeks
        return found

    def close(self) -> None:
        self._frames = None
        self._last = None
        self.container.close()


class ScrubService:
    """Serves the newest scrub request on its own thread; a frame provider for the preview.

    `request(seconds)` from any thread (the GUI's click); the picture arrives through
    `wait_frame`/`latest` like a capture source's, so PreviewPipeline follows it.
    """

    name = "scrub"

    def __init__(
        self, store, size: tuple[int, int] = PREVIEW_SIZE, proxies: bool = True, on_problem=None
    ):
        self.store, self.size, self.use_proxies = store, size, proxies
        self.on_problem = on_problem  # called on the scrub thread with one line, once a kind
        self.fps = 30.0
        self.error = None  # the provider interface: scrubbing never stops for good
        self.problem = ""  # why the last request showed nothing (a missing file, ...)
        self._draft: Draft | None = None
        self._draft_for_proxies: Draft | None = None  # the draft the plan was made from
        self._generation = 0
        self._plan: tuple[int, list[Clip], list[int], list[int]] | None = None
        self._readers: OrderedDict[Path, _Reader] = OrderedDict()
        self._stills: dict[tuple, np.ndarray] = {}
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._wanted: int | None = None
        self._latest: Frame | None = None
        self._count = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.shown_index: int | None = None  # the reel frame of the newest picture
        self.served_index = 0  # the reel frame frame_at made last (clamped to the reel)

    # -- requests (any thread) ------------------------------------------------------------
    def set_draft(self, draft: Draft | None) -> None:
        with self._cond:
            self._draft = draft
            self._generation += 1
            if draft is not None:
                self.fps = float(draft.fps)

    def request(self, seconds: float) -> int:
        """Show reel time `seconds` (frame round(seconds * fps)); returns that frame's index."""
        with self._cond:
            draft = self._draft
            last = max(0, round(draft.duration * draft.fps) - 1) if draft else 0
            index = max(0, min(round(seconds * self.fps), last))
            self._wanted = index
            self._cond.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="preview-scrub", daemon=True)
            self._thread.start()
        return index

    def latest(self) -> Frame | None:
        return self._latest

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._latest is None or self._latest.index <= after) and not self._stop:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            latest = self._latest
            return latest if latest is not None and latest.index > after else None

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    # -- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while self._wanted is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                index, self._wanted = self._wanted, None
            try:
                image = self.frame_at(index)
            except (ReelEditorError, av.error.FFmpegError, OSError) as exc:
                self._report(str(exc))
                log.warning("scrub to frame %d failed: %s", index, exc)
                continue
            except Exception as exc:  # a bug must not end scrubbing for the session
                self._report(f"scrub failed: {exc}")
                log.exception("scrub to frame %d failed", index)
                continue
            self.problem = ""
            with self._cond:
                served = self.served_index
                self._latest = Frame(image, time.monotonic(), self._count, reel_index=served)
                self._count += 1
                self.shown_index = served
                self._cond.notify_all()

    def _report(self, problem: str) -> None:
        if problem != self.problem and self.on_problem is not None:
            self.on_problem(problem)  # a drag over a missing file says so once, not per frame
        self.problem = problem

    # -- pictures (the scrub thread, or a test) --------------------------------------------
    def frame_at(self, index: int) -> np.ndarray:
        """Reel frame `index` at preview size, BGR, before the look (a fresh array)."""
        generation, clips, frames, overlaps = self._current_plan()
        # a request made against another version of the draft may fall past this one's end
        index = max(0, min(index, reel_length(frames, overlaps) - 1))
        self.served_index = index
        key = (generation, index)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached.copy()
        parts, p = locate(frames, overlaps, index)
        pictures = [self._clip_picture(clips[k], i) for k, i in parts]
        if p is None:
            image = pictures[0]
        else:  # the export's blend at preview size: every geometry is a fraction of the frame
            image = blend(clips[parts[0][0]].segment.transition, pictures[0], pictures[1], p)
        self._cache[key] = image
        while len(self._cache) > CACHE_FRAMES:
            self._cache.popitem(last=False)
        return image.copy()

    def _current_plan(self):
        with self._cond:
            draft, generation = self._draft, self._generation
        if self._plan is not None and self._plan[0] == generation:
            return self._plan
        if draft is None or not draft.segments:
            raise ReelEditorError("nothing to show: the draft has no segments")
        clips = plan(draft, self.store.media_path)
        frames = [c.frames for c in clips]
        overlaps = clip_overlaps(clips, draft.fps)
        self._draft_for_proxies = draft
        self._plan = (generation, clips, frames, overlaps)
        self._cache.clear()
        return self._plan

    def _clip_picture(self, clip: Clip, i: int) -> np.ndarray:
        w, h = self.size
        fps = self.fps
        seg = clip.segment
        if seg.kind == "photo":
            from reeleditor.media.clips import read_photo, shape_picture, still_picture

            still_key = (clip.path, seg.fit, clip.size)
            base = self._stills.get(still_key)
            if base is None:
                base = shape_picture(read_photo(clip.path), seg.fit, *clip.size)
                self._stills = {still_key: base}  # one photo at a time: 6 MB each
            count = round(seg.duration * fps)
            first = round(clip.start * fps)
            image = still_picture(base, first + round(i * clip.speed), count)
            return np.ascontiguousarray(conform(image, w, h))
        proxy = None
        if self.use_proxies:
            proxy = ready_proxy(self.store, self._draft_for_proxies, seg)
        reader = self._reader(proxy or clip.path)
        target = clip.start + i * clip.speed / fps
        half = 0.5 * min(clip.speed, 1.0) / fps
        frame = reader.picture(reader.pick(target, half))
        if proxy is not None:  # already turned, fitted and at preview size
            image = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
            if image.shape[:2] != (h, w):
                image = np.ascontiguousarray(conform(image, w, h))
            return image
        image = to_bgr(frame)
        if clip.shaped:
            from reeleditor.media.clips import shape_picture, upright

            image = shape_picture(upright(image, reader.rotation), seg.fit, *clip.size)
        small = conform(image, w, h)
        return np.ascontiguousarray(small if small is not image else image.copy())

    def _reader(self, path: Path) -> _Reader:
        reader = self._readers.get(path)
        if reader is None:
            reader = _Reader(path)
            self._readers[path] = reader
            while len(self._readers) > MAX_READERS:
                _, old = self._readers.popitem(last=False)
                old.close()
        else:
            self._readers.move_to_end(path)
        return reader

    @property
    def decoded(self) -> int:
        """Pictures decoded so far by the open readers (the benchmark reports it)."""
        return sum(r.decoded for r in self._readers.values())
