"""Looks (filters): a setting compiles once into tables and masks; frames only apply them.

The live preview and the export both call `compile_look(look, w, h).apply(frame, index)`,
so one setting gives the same pixels in both. Per frame there is no float conversion of
the image: at most a 3x3 colour transform (or a grey conversion for black and white), one
per-channel cv2.LUT holding every tone and colour curve, one uint8 multiply holding
vignette and grain, and a 3x3 filter for sharpening, each only when the setting needs it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from reeleditor.core.draft import Look
from reeleditor.core.errors import MediaError
from reeleditor.media.looks_catalog import CATALOG, LOOKS, LookInfo, recipe_for
from reeleditor.media.looks_tables import (
    GRAIN_PHASES,
    colour_matrix,
    grain_offset,
    grain_phase,
    grain_tile,
    is_identity_table,
    sharpen_kernel,
    tone_table,
    vignette_gain,
)

__all__ = [
    "CATALOG",
    "CompiledLook",
    "LookInfo",
    "apply_look",
    "compile_look",
    "list_looks",
    "look_thumbnails",
]


def list_looks() -> list[dict]:
    """Every look, "none" first: name, title and description."""
    return [info.to_dict() for info in CATALOG]


@dataclass(eq=False)
class CompiledLook:
    """One setting at one frame size, ready to apply; safe to share between threads."""

    width: int
    height: int
    kernel: np.ndarray | None = None  # 3x3 float32 sharpen/soften
    matrix: np.ndarray | None = None  # 3x3 float32 colour matrix (BGR)
    mono: bool = False  # the matrix is plain grey: cv2.cvtColor is faster
    lut: np.ndarray | None = None  # (256, 1, 3) uint8
    lut_neutral: bool = True  # the same table for all three channels
    lut1: np.ndarray | None = None  # (256, 1) uint8: that one table, for grey frames
    vignette3: np.ndarray | None = None  # (h, w, 3) uint8 gain, when there is no grain
    vignette1: np.ndarray | None = None  # (h, w) uint8 gain, combined with grain per frame
    grain: np.ndarray | None = None  # (h + pad, w + pad) uint8 gain around 128
    grained: tuple[np.ndarray, ...] = ()  # vignette x grain, a few phases, (h, w) uint8
    unit: float = 255.0  # the gain value that means 1.0
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def is_identity(self) -> bool:
        return (
            self.kernel is None
            and self.matrix is None
            and self.lut is None
            and self.vignette3 is None
            and self.vignette1 is None
            and self.grain is None
            and not self.grained
        )

    @property
    def nbytes(self) -> int:
        arrays = (self.lut, self.vignette1, self.vignette3, self.grain, *self.grained)
        return 4096 + sum(a.nbytes for a in arrays if a is not None)

    @property
    def varies(self) -> bool:
        """True when the result depends on the frame index (moving grain)."""
        return self.grain is not None or bool(self.grained)

    def _scratch(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        # per thread: preview and export may apply the same compiled look at once
        buf = getattr(self._local, name, None)
        if buf is None:
            buf = np.empty(shape, np.uint8)
            setattr(self._local, name, buf)
        return buf

    def apply(self, frame: np.ndarray, index: int = 0, out: np.ndarray | None = None) -> np.ndarray:
        """The look on one BGR uint8 frame; `index` picks the grain; `out` may be `frame`."""
        h, w = self.height, self.width
        if frame.dtype != np.uint8 or frame.shape != (h, w, 3):
            raise MediaError(f"look compiled for {w}x{h} BGR uint8 got {frame.shape} {frame.dtype}")
        if out is None:
            out = np.empty_like(frame)
        elif out.shape != frame.shape or out.dtype != np.uint8:
            raise MediaError(f"output buffer {out.shape} {out.dtype} does not fit the frame")
        src = frame
        if self.kernel is not None:
            cv2.filter2D(src, -1, self.kernel, dst=out)
            src = out
        if self.mono:
            self._apply_mono(src, index, out)
            return out
        if self.matrix is not None:
            cv2.transform(src, self.matrix, dst=out)
            src = out
        if self.lut is not None:
            cv2.LUT(src, self.lut, dst=out)
            src = out
        gain = self._gain3(index)
        if gain is not None:
            cv2.multiply(src, gain, dst=out, scale=1.0 / self.unit)
            src = out
        if src is not out:
            np.copyto(out, src)
        return out

    def _apply_mono(self, src: np.ndarray, index: int, out: np.ndarray) -> None:
        # black and white: tone and gain on one grey channel, widened once at the end;
        # a tinted table (sepia) needs its three channels, so it runs after the widening
        gray = cv2.cvtColor(src, cv2.COLOR_BGR2GRAY, dst=self._scratch("gray", src.shape[:2]))
        if self.lut is not None and self.lut_neutral:
            cv2.LUT(gray, self.lut1, dst=gray)
        gain = self._gain1(index)
        if gain is not None:
            cv2.multiply(gray, gain, dst=gray, scale=1.0 / self.unit)
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR, dst=out)
        if self.lut is not None and not self.lut_neutral:
            cv2.LUT(out, self.lut, dst=out)

    def _gain1(self, index: int) -> np.ndarray | None:
        """This frame's one-channel gain: the vignette, the grain, or both in one mask."""
        if not self.varies:
            return self.vignette1
        if self.grained:
            return self.grained[grain_phase(index, len(self.grained))]
        oy, ox = grain_offset(index)
        return self.grain[oy : oy + self.height, ox : ox + self.width]

    def _gain3(self, index: int) -> np.ndarray | None:
        """The same gain on three channels, for colour frames."""
        if not self.varies:
            return self.vignette3
        # grey work on one channel, then widen it: cheaper than a 3-channel product
        gain = self._gain1(index)
        return cv2.cvtColor(gain, cv2.COLOR_GRAY2BGR, dst=self._scratch("gain3", (*gain.shape, 3)))


def _find(name: str) -> LookInfo:
    try:
        return LOOKS[name]
    except KeyError:
        raise MediaError(
            f"unknown look {name!r}", hint="see 'reeleditor filters list' for the names"
        ) from None


# a few full-HD settings (an export needs one) or dozens at preview size: dragging the
# strength slider makes a new setting per position, and the GUI soak showed 128 MiB
# of them held for nothing
CACHE_BYTES = 64 * 1024 * 1024
_cache: OrderedDict[tuple[Look, int, int], CompiledLook] = OrderedDict()
_cache_lock = threading.Lock()


def compile_look(look: Look, width: int, height: int) -> CompiledLook:
    """Build the tables, matrices and masks for a setting at a frame size (cached)."""
    key = (look, int(width), int(height))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    compiled = _compile(look, int(width), int(height))
    with _cache_lock:
        _cache[key] = compiled
        total = sum(c.nbytes for c in _cache.values())
        while total > CACHE_BYTES and len(_cache) > 1:
            _, dropped = _cache.popitem(last=False)
            total -= dropped.nbytes
    return compiled


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _compile(look: Look, width: int, height: int) -> CompiledLook:
    _find(look.name)
    if width <= 0 or height <= 0:
        raise MediaError(f"cannot apply a look to a {width}x{height} frame")
    r = recipe_for(look)
    compiled = CompiledLook(width=width, height=height, kernel=sharpen_kernel(r.sharpen))
    matrix = colour_matrix(r)
    if matrix is not None and 1.0 + r.saturation <= 1e-6:
        compiled.mono = True
    else:
        compiled.matrix = matrix
    table = tone_table(r)
    compiled.lut = None if is_identity_table(table) else table
    compiled.lut_neutral = bool((table == table[:, :, :1]).all())
    compiled.lut1 = np.ascontiguousarray(table[:, :, 0])

    grain = r.grain > 1e-3
    vignette = abs(r.vignette) > 1e-3
    if grain:
        compiled.grain = grain_tile(r.grain, width, height)
        compiled.unit = 128.0  # the tile alone is the gain, 128 meaning 1.0
    if vignette:
        # lightening, or grain on top, needs headroom above 1.0; plain darkening does not
        compiled.unit = 255.0 if (r.vignette > 0 and not grain) else 160.0
        gain = vignette_gain(r.vignette, width, height) * compiled.unit
        gain = np.clip(np.rint(gain), 0, 255).astype(np.uint8)
        compiled.vignette1 = gain
        if grain:
            # the product, made now for a few grain positions: per frame it is then one
            # lookup instead of a full-frame multiply (the price: 2 MB a phase at 1080p)
            tiles = (
                compiled.grain[oy : oy + height, ox : ox + width]
                for oy, ox in map(grain_offset, range(GRAIN_PHASES))
            )
            compiled.grained = tuple(cv2.multiply(gain, t, scale=1.0 / 128) for t in tiles)
            compiled.grain = compiled.vignette1 = None  # all in `grained` now
        elif not compiled.mono:
            compiled.vignette3 = cv2.cvtColor(gain, cv2.COLOR_GRAY2BGR)
            compiled.vignette1 = None  # colour frames use the 3-channel copy
    for arr in (
        *compiled.grained,
        compiled.lut,
        compiled.lut1,
        compiled.vignette1,
        compiled.vignette3,
        compiled.grain,
    ):
        if arr is not None:
            arr.flags.writeable = False  # shared by every thread through the cache
    return compiled


def apply_look(
    frame: np.ndarray, look: Look, index: int = 0, out: np.ndarray | None = None
) -> np.ndarray:
    """Preview and export both come here: compile (cached) for the frame's size, apply."""
    h, w = frame.shape[:2]
    return compile_look(look, w, h).apply(frame, index=index, out=out)


def _thumb_size(frame: np.ndarray, size: int | tuple[int, int]) -> tuple[int, int]:
    h, w = frame.shape[:2]
    if isinstance(size, int):
        scale = size / max(w, h)
        return max(1, round(w * scale)), max(1, round(h * scale))
    return int(size[0]), int(size[1])


def look_thumbnails(
    frame: np.ndarray,
    size: int | tuple[int, int] = 96,
    strength: float = 100.0,
    adjustments: tuple[tuple[str, float], ...] = (),
) -> dict[str, np.ndarray]:
    """The frame through every look, small: `size` is the longest side or (width, height).

    Downscales once, then applies each look at the small size, so a strip of thumbnails
    costs about as much as one look on one full frame.
    """
    tw, th = _thumb_size(frame, size)
    small = cv2.resize(frame, (tw, th), interpolation=cv2.INTER_AREA)
    return {
        info.name: compile_look(Look(info.name, strength, adjustments), tw, th).apply(small)
        for info in CATALOG
    }
