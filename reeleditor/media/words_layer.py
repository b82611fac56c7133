"""Texts and burned captions composited onto a BGR frame at a reel time (preview and export).

Each text's animation at time t is reduced to a state (characters revealed, scale,
opacity, offset); rasters are cached per state in text_render, so a frame costs two cv2
calls over each text's bounding box once the states have been seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.words import Captions, TextOverlay, TextStyle
from reeleditor.media import text_render

REFERENCE_WIDTH = 1080  # TextStyle.size is in pixels at this width
ANIMATION_SECONDS = 0.4  # fade, pop and slide
TYPE_SECONDS_PER_CHAR = 0.05  # typewriter reveal speed, capped to 60% of the text's time
SLIDE = 0.08  # of the frame's height
WRAP = 0.9  # lines wrap at this fraction of the frame's width


@dataclass(frozen=True)
class Placed:
    """One text's state at a time: what to rasterise and where its centre goes."""

    words: str
    look: TextStyle
    px: int
    reveal: int
    scale: float
    rotation: float
    opacity: float
    cx: float
    cy: float


def _ease(p: float) -> float:
    return 1 - (1 - p) ** 3


def _back(p: float) -> float:
    c1 = 1.70158  # easeOutBack: overshoots ~10% and settles
    return 1 + (c1 + 1) * (p - 1) ** 3 + c1 * (p - 1) ** 2


def _typing_seconds(text: TextOverlay) -> float:
    return min(len(text.text) * TYPE_SECONDS_PER_CHAR, (text.end - text.start) * 0.6)


def place(text: TextOverlay, t: float, width: int, height: int) -> Placed | None:
    """Where and how `text` shows at reel time `t` in a width x height frame (None: not)."""
    if not text.start <= t < text.end:
        return None
    span = max(1e-6, min(ANIMATION_SECONDS, (text.end - text.start) / 2))
    p_in = min(1.0, (t - text.start) / span)
    p_out = min(1.0, (text.end - t) / span)
    scale, opacity, dy = 1.0, 1.0, 0.0
    reveal = -1
    enter = text.enter
    if enter == "none" and text.look.style == "typewriter":
        enter = "typewriter"  # the style types itself out even with no animation chosen
    for kind, p, sign in ((enter, p_in, 1.0), (text.exit, p_out, -1.0)):
        if kind == "fade":
            opacity *= _ease(p)
        elif kind == "pop":
            scale *= max(0.05, _back(p)) if sign > 0 else max(0.05, _ease(p))
        elif kind == "slide":
            opacity *= _ease(p)
            dy += sign * (1 - _ease(p)) * SLIDE * height
    if enter == "typewriter":
        typing = max(1e-6, _typing_seconds(text))
        reveal = min(len(text.text), math.ceil(len(text.text) * (t - text.start) / typing))
    if text.exit == "typewriter":
        typing = max(1e-6, _typing_seconds(text))
        left = math.ceil(len(text.text) * (text.end - t) / typing)
        reveal = min(len(text.text) if reveal < 0 else reveal, left)
    if reveal >= len(text.text):
        reveal = -1
    if opacity <= 0.0 or reveal == 0:
        return None
    return Placed(
        words=text.text,
        look=text.look,
        px=_px(text.look, text.scale, width),
        reveal=reveal,
        scale=round(scale, 3),
        rotation=round(text.rotation, 1),
        opacity=round(opacity * 64) / 64,
        cx=text.x * width,
        cy=text.y * height + dy,
    )


def _px(look: TextStyle, scale: float, width: int) -> int:
    # a glyph wider than the frame is pointless, and would make a huge raster
    return max(4, min(width, round(look.size * scale * width / REFERENCE_WIDTH)))


def cue_placed(captions: Captions, t: float, width: int, height: int) -> Placed | None:
    for cue in captions.cues:
        if cue.start <= t < cue.end and cue.text.strip():
            return Placed(
                cue.text, captions.look, _px(captions.look, 1.0, width), -1, 1.0, 0.0, 1.0,
                0.5 * width, captions.y * height,
            )  # fmt: skip
    return None


def tile_for(placed: Placed, width: int, height: int) -> text_render.Tile:
    base = text_render.raster(
        placed.words, placed.look, placed.px, round(width * WRAP), 2 * height, placed.reveal
    )
    return text_render.transformed(base, placed.scale, placed.rotation, placed.opacity)


def blend(bgr: np.ndarray, tile: text_render.Tile, cx: float, cy: float) -> tuple[int, ...]:
    """Alpha-blend `tile` centred at (cx, cy) over its bounding box only; returns the box
    drawn (x0, y0, x1, y1), clipped to the frame (a text past the edge is cut, not moved)."""
    tw, th = tile.size
    h, w = bgr.shape[:2]
    left, top = round(cx - tw / 2), round(cy - th / 2)
    x0, y0, x1, y1 = max(0, left), max(0, top), min(w, left + tw), min(h, top + th)
    if x1 <= x0 or y1 <= y0:
        return (0, 0, 0, 0)
    roi = bgr[y0:y1, x0:x1]
    sx, sy = x0 - left, y0 - top
    inv = tile.inv[sy : sy + y1 - y0, sx : sx + x1 - x0]
    premul = tile.premul[sy : sy + y1 - y0, sx : sx + x1 - x0]
    cv2.multiply(roi, inv, dst=roi, scale=1 / 255)
    cv2.add(roi, premul, dst=roi)
    return (x0, y0, x1, y1)


def text_box(text: TextOverlay, width: int, height: int) -> tuple[int, int]:
    """The settled, unturned size of `text` in a width x height frame (for on-screen handles);
    the raster is the one the preview draws, so it is usually cached already."""
    tile = text_render.raster(
        text.text, text.look, _px(text.look, text.scale, width), round(width * WRAP), 2 * height
    )
    return tile.size


class WordsLayer:
    """The draft's texts and burned captions for frames of one size."""

    def __init__(self, draft: Draft, width: int, height: int) -> None:
        self.texts = draft.texts
        captions = draft.captions
        self.captions = captions if captions is not None and captions.burn else None
        self.fps = draft.fps
        self.width, self.height = width, height

    @property
    def empty(self) -> bool:
        return not self.texts and (self.captions is None or not self.captions.cues)

    def placed(self, index: int) -> list[Placed]:
        t = index / self.fps
        out = [p for text in self.texts if (p := place(text, t, self.width, self.height))]
        if self.captions is not None and (cue := cue_placed(self.captions, t, *self.size)):
            out.append(cue)  # captions on top: they must stay readable
        return out

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def showing(self, index: int) -> bool:
        return not self.empty and bool(self.placed(index))

    def composite(self, bgr: np.ndarray, index: int) -> np.ndarray:
        """Draw what shows at reel frame `index` onto `bgr` (in place) and return it."""
        if self.empty:
            return bgr
        for p in self.placed(index):
            blend(bgr, tile_for(p, self.width, self.height), p.cx, p.cy)
        return bgr


def composite_words(bgr: np.ndarray, draft: Draft, reel_index: int, fps: int) -> np.ndarray:
    """In place: the texts and burned caption showing at frame `reel_index` of `fps`."""
    layer = WordsLayer(draft, bgr.shape[1], bgr.shape[0])
    layer.fps = fps
    return layer.composite(bgr, reel_index)
