"""Stills: the poster (JPEG + WebP, at the cover time or a sharp frame) and the scrub sprite."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

CANDIDATE_SECONDS = 5.0  # a sharp frame is looked for in the opening seconds ...
CANDIDATE_STEP = 0.5  # ... every half second
SCORE_WIDTH = 180  # candidates are scored small: sharpness ranks the same, 30x cheaper
BLANK_MEAN, BLANK_STD = 16.0, 4.0  # 8-bit luma: below either, a frame is black or flat
JPEG_QUALITY = 85
WEBP_QUALITY = 80
SPRITE_LONG_SIDE = 160
SPRITE_COLUMNS = 10
SPRITE_MAX_TILES = 100


def parse_cover(value, duration: float) -> float | None:
    """The app's cover time in seconds, if it is a number inside the video; else None."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(seconds) or seconds < 0 or seconds >= max(duration, 0.0):
        return None
    return seconds


class PosterPicker:
    """Fed every upright frame once; keeps the cover frame, or the sharpest candidate."""

    def __init__(self, rate: Fraction, cover: float | None, size: tuple[int, int]) -> None:
        self.rate, self.size = rate, size
        self.cover_index = round(cover * rate) if cover is not None else None
        step = max(1, round(CANDIDATE_STEP * rate))
        last = int(CANDIDATE_SECONDS * rate)
        self.candidates = set(range(0, last + 1, step))
        self.best = None
        self.best_score = -1.0
        self.fallback = None

    def offer(self, index: int, frame) -> None:
        if self.cover_index is not None:
            if index <= self.cover_index:
                self.best = frame  # the last frame at or before the cover time
            return
        if index not in self.candidates:
            return
        if self.fallback is None:
            self.fallback = frame
        h = max(2, round(SCORE_WIDTH * frame.height / frame.width) // 2 * 2)
        luma = frame.reformat(width=SCORE_WIDTH, height=h, format="gray").to_ndarray()
        if luma.mean() < BLANK_MEAN or luma.std() < BLANK_STD:
            return
        score = float(cv2.Laplacian(luma, cv2.CV_64F).var())
        if score > self.best_score:
            self.best, self.best_score = frame, score

    def settled(self, index: int) -> bool:
        """Whether frame `index` was the last the choice depends on (the poster can go)."""
        if self.cover_index is not None:
            return index >= self.cover_index
        return index >= max(self.candidates)

    def write(self, folder: Path) -> list[str]:
        """poster.jpg and poster.webp at the top rung's size; the file names written."""
        frame = self.best if self.best is not None else self.fallback
        if frame is None:
            raise ValueError("no frame was offered for the poster")
        width, height = self.size
        image = frame.reformat(width=width, height=height, format="bgr24").to_ndarray()
        _write_image(folder / "poster.jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        _write_image(folder / "poster.webp", image, [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY])
        return ["poster.jpg", "poster.webp"]


def _write_image(path: Path, image: np.ndarray, params: list[int]) -> None:
    ok, data = cv2.imencode(path.suffix, image, params)
    if not ok:
        raise OSError(f"could not encode {path.name}")
    path.write_bytes(data.tobytes())


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


class SpriteBuilder:
    """Thumbnails every second (fewer for long videos: at most 100 tiles) in one grid JPEG,
    indexed by a WebVTT file whose cues point at "sprite.jpg#xywh=x,y,w,h"."""

    def __init__(self, rate: Fraction, duration: float, width: int, height: int) -> None:
        self.rate = rate
        self.duration = duration
        self.interval = max(1.0, duration / SPRITE_MAX_TILES)
        scale = SPRITE_LONG_SIDE / max(width, height)
        self.tile = (max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2))
        self.tiles: list[np.ndarray] = []
        self.scaler = VideoReformatter()
        self.next_time = 0.0

    def offer(self, index: int, frame) -> None:
        t = float(index / self.rate)
        if t + 1e-9 < self.next_time or len(self.tiles) >= SPRITE_MAX_TILES:
            return
        w, h = self.tile
        # a kept scaler: frame.reformat() would rebuild its tables for every new frame
        tile = self.scaler.reformat(frame, width=w, height=h, format="bgr24")
        self.tiles.append(tile.to_ndarray())
        self.next_time += self.interval

    def write(self, folder: Path) -> list[str]:
        w, h = self.tile
        if not self.tiles:
            return []
        columns = min(SPRITE_COLUMNS, len(self.tiles))
        rows = -(-len(self.tiles) // columns)
        grid = np.zeros((rows * h, columns * w, 3), np.uint8)
        cues = ["WEBVTT", ""]
        for i, tile in enumerate(self.tiles):
            x, y = (i % columns) * w, (i // columns) * h
            grid[y : y + h, x : x + w] = tile
            start = i * self.interval
            end = min(self.duration, start + self.interval)
            cues += [
                f"{_timestamp(start)} --> {_timestamp(end)}",
                f"sprite.jpg#xywh={x},{y},{w},{h}",
                "",
            ]
        _write_image(folder / "sprite.jpg", grid, [cv2.IMWRITE_JPEG_QUALITY, 75])
        (folder / "sprite.vtt").write_text("\n".join(cues))
        return ["sprite.jpg", "sprite.vtt"]
