"""Filmstrip thumbnails along a timeline segment: small pictures at evenly spaced times.

A thumbnail is the keyframe nearest its time, not the exact frame: that needs one decode
per picture and is what a filmstrip shows anyway. Pictures come from the proxy when it
is built (a 540x960 keyframe decodes in ~1 ms) and are kept in a bounded cache, so a
zoom or a trim only decodes the times it has not seen. Call off the GUI thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.draft import Draft, Segment
from reeleditor.core.errors import MediaError
from reeleditor.media.proxies import ready_proxy

THUMB_HEIGHT = 48
_CACHE_LIMIT = 600  # thumbnails (48x27x3 bytes each: under 3 MB)
_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_lock = threading.Lock()


def strip_times(segment: Segment, count: int) -> list[float]:
    """Media times of `count` thumbnails spread over the segment's trimmed range."""
    end = segment.trim_in + segment.media_length
    step = (end - segment.trim_in) / max(count, 1)
    return [round(segment.trim_in + (k + 0.5) * step, 2) for k in range(max(count, 1))]


def filmstrip(
    store, draft: Draft, segment: Segment, count: int, height: int = THUMB_HEIGHT
) -> list[np.ndarray]:
    """`count` BGR thumbnails `height` px tall (9:16) along the segment, cached."""
    width = max(2, round(height * draft.width / draft.height))
    times = strip_times(segment, count)
    if segment.kind == "photo":
        from reeleditor.media.clips import read_photo, shape_picture

        path = Path(store.media_path(draft, segment))
        key = (str(path), segment.fit, 0.0, height)
        thumb = _cached(key)
        if thumb is None:
            shaped = shape_picture(read_photo(path), segment.fit, width * 4, height * 4)
            thumb = _store(key, cv2.resize(shaped, (width, height), interpolation=cv2.INTER_AREA))
        return [thumb] * len(times)
    proxy = ready_proxy(store, draft, segment)
    path = proxy or Path(store.media_path(draft, segment))
    shaped = proxy is None and (segment.kind != "take" or segment.fit != "fill")
    out: list[np.ndarray | None] = []
    missing = []
    for t in times:
        thumb = _cached((str(path), segment.fit, t, height))
        out.append(thumb)
        if thumb is None:
            missing.append(t)
    if missing:
        found = _decode(path, missing, width, height, segment.fit if shaped else None)
        out = [o if o is not None else found[t] for o, t in zip(out, times, strict=True)]
        for t in missing:
            _store((str(path), segment.fit, t, height), found[t])
    return out  # type: ignore[return-value]


def _decode(
    path: Path, times: list[float], width: int, height: int, fit: str | None
) -> dict[float, np.ndarray]:
    from reeleditor.media.clips import shape_picture, upright

    found: dict[float, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for t in times:
                container.seek(int(t / stream.time_base), stream=stream, backward=True)
                frame = next(container.decode(stream), None)
                if frame is None:
                    found[t] = np.zeros((height, width, 3), np.uint8)
                    continue
                image = frame.to_ndarray(format="bgr24")
                if fit is not None:  # an original that is not the reel's shape: as exported
                    image = shape_picture(
                        upright(image, frame.rotation), fit, width * 4, height * 4
                    )
                found[t] = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    except (av.error.FFmpegError, IndexError) as exc:
        raise MediaError(f"no thumbnails from {path.name}: {exc}") from exc
    return found


def _cached(key: tuple) -> np.ndarray | None:
    with _lock:
        thumb = _cache.get(key)
        if thumb is not None:
            _cache.move_to_end(key)
        return thumb


def _store(key: tuple, thumb: np.ndarray) -> np.ndarray:
    with _lock:
        _cache[key] = thumb
        while len(_cache) > _CACHE_LIMIT:
            _cache.popitem(last=False)
    return thumb
