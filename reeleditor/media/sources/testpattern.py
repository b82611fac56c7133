"""A deterministic moving test pattern with a frame counter, a clock and a test tone."""

from __future__ import annotations

import time

import cv2
import numpy as np

from reeleditor.media.sources.base import CaptureSource
from reeleditor.media.testtone import TestToneInput

FLASH_SIZE = 0.2  # fraction of the width covered by the once-a-second white square


def pattern_background(width: int, height: int) -> np.ndarray:
    """Colour bars over a vertical gradient: every look has something to act on."""
    bars = np.array(
        [
            [192, 192, 192],
            [0, 192, 192],
            [192, 192, 0],
            [0, 192, 0],
            [192, 0, 192],
            [0, 0, 192],
            [192, 0, 0],
        ],
        dtype=np.uint8,
    )
    x = np.arange(width) * len(bars) // width
    image = np.empty((height, width, 3), np.uint8)
    image[:] = bars[x][None, :, :]
    ramp = np.linspace(0.35, 1.0, height, dtype=np.float32)[:, None, None]
    image = (image * ramp).astype(np.uint8)
    # skin-like tones and a grey ramp in the lower third
    third = height * 2 // 3
    image[third:, : width // 2] = (120, 150, 205)
    grey = np.linspace(0, 255, width // 2, dtype=np.uint8)
    image[third:, width // 2 :] = grey[None, : width - width // 2, None]
    return image


def draw_pattern(background: np.ndarray, index: int, fps: float, out: np.ndarray) -> np.ndarray:
    """Frame `index`: a moving disc, a counter, a clock, and a white square each second."""
    height, width = background.shape[:2]
    np.copyto(out, background)
    t = index / fps
    scale = width / 1080
    cx = int(width * (0.5 + 0.35 * np.sin(t * 1.7)))
    cy = int(height * (0.45 + 0.2 * np.cos(t * 1.1)))
    cv2.circle(out, (cx, cy), int(110 * scale), (40, 40, 230), -1, cv2.LINE_AA)
    font = cv2.FONT_HERSHEY_SIMPLEX
    text_scale = 2.2 * scale
    thick = max(1, int(5 * scale))
    cv2.putText(
        out,
        f"#{index:06d}",
        (int(40 * scale), int(110 * scale)),
        font,
        text_scale,
        (255, 255, 255),
        thick,
        cv2.LINE_AA,
    )
    cv2.putText(
        out,
        f"{int(t // 60):02d}:{t % 60:06.3f}",
        (int(40 * scale), int(220 * scale)),
        font,
        text_scale,
        (255, 255, 255),
        thick,
        cv2.LINE_AA,
    )
    if index % max(1, round(fps)) == 0:  # sync marker, with the tone's beep
        side = int(width * FLASH_SIZE)
        out[height - side :, width - side :] = 255
    return out


def has_flash(image: np.ndarray) -> bool:
    """True if a frame carries the once-a-second sync square (for A/V sync checks)."""
    height, width = image.shape[:2]
    side = int(width * FLASH_SIZE)
    corner = image[
        height - side + side // 4 : height - side // 4, width - side + side // 4 : width - side // 4
    ]
    return float(corner.mean()) > 235


class TestPatternSource(CaptureSource):
    """Delivers frames on an exact fps schedule; its tone beeps with each white square."""

    __test__ = False  # not a pytest class, whatever its name

    name = "test pattern"

    def __init__(
        self, width: int = 1080, height: int = 1920, fps: float = 30, realtime: bool = True
    ) -> None:
        super().__init__(width, height, fps)
        self.realtime = realtime
        self._background = pattern_background(width, height)
        self._t0 = 0.0
        self.audio = None

    def _open(self) -> None:
        self._t0 = time.monotonic() + 0.02
        self._next = 0
        self.audio = TestToneInput(epoch=self._t0, fps=self.fps)

    def _grab(self):
        index = self._next
        self._next += 1
        due = self._t0 + index / self.fps
        if self.realtime:
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return None
        # a fresh array each frame: a consumer may hold the previous one as long as it likes
        out = np.empty_like(self._background)
        return draw_pattern(self._background, index, self.fps, out), due

    def _close(self) -> None:
        pass
