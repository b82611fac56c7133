"""The rendition ladder: which sizes and bitrates a source gets (pure; no media I/O)."""

from __future__ import annotations

from dataclasses import dataclass

# Short sides of the ladder, smallest first, with the VBV peak (maxrate) of each in kb/s.
# Peaks follow the common vertical-video ladders (TikTok/Instagram/YouTube Shorts sit at
# 4-6 Mb/s for 1080p, ~0.8 Mb/s for 360p); bufsize is twice the peak (2 s, one GOP).
LADDER_KBPS = {360: 800, 480: 1400, 720: 2800, 1080: 5000}
SHORT_SIDES = tuple(sorted(LADDER_KBPS))
# Capped CRF: quality-driven below the peak, so easy content costs fewer bytes.
CRF = 23


@dataclass(frozen=True)
class Rung:
    """One rendition: its name (by short side), even pixel size and VBV limits."""

    name: str
    width: int
    height: int
    maxrate_kbps: int

    @property
    def bufsize_kbps(self) -> int:
        return 2 * self.maxrate_kbps

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def _even(value: float) -> int:
    """Nearest even integer, at least 2 (H.264 4:2:0 needs even sizes)."""
    return max(2, round(value / 2.0) * 2)


def _rate_for(short: int) -> int:
    """A rung off the standard ladder (a tiny source) gets a peak scaled by its pixels."""
    if short in LADDER_KBPS:
        return LADDER_KBPS[short]
    return max(200, int(LADDER_KBPS[360] * (short / 360) ** 2))


def rung_size(width: int, height: int, short: int) -> tuple[int, int]:
    """The size with the given short side and the source's aspect, both sides even."""
    if width <= height:
        return _even(short), _even(height * short / width)
    return _even(width * short / height), _even(short)


def plan_ladder(width: int, height: int) -> list[Rung]:
    """Rungs for a source of this (display) size, smallest first.

    Only rungs up to the source's short side are made (no upscaling); a source whose
    short side is under 360 gets one rung at its own size rounded to even. The aspect is
    kept for every input: portrait, landscape and square each get their own sizes.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"invalid size {width}x{height}")
    short = min(width, height)
    sides = [s for s in SHORT_SIDES if s <= short]
    if not sides:
        sides = [_even(short) if short >= 2 else 2]
    rungs = []
    for side in sides:
        w, h = rung_size(width, height, side)
        rungs.append(Rung(f"{side}p", w, h, _rate_for(side)))
    return rungs
