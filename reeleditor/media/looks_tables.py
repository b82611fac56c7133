"""Builds a recipe's tables once: tone LUT, colour matrix, vignette mask, grain tile, kernel."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from reeleditor.media.looks_catalog import Recipe

# BT.601 luma weights in OpenCV's BGR order; cv2.COLOR_BGR2GRAY uses the same ones
LUMA_BGR = np.array([0.114, 0.587, 0.299])
GRAIN_PAD = 32  # the grain tile is this much larger than the frame; offsets move within it
GRAIN_PHASES = 8  # grain positions precomputed when grain and vignette share one mask
GRAIN_SEED = 0x5EE1  # fixed: the same grain everywhere, every run, on every machine


def _tanh_curve(y: np.ndarray, amount: float) -> np.ndarray:
    """An S-curve through (0,0), (0.5,0.5), (1,1) for amount > 0; a flatter line below 0."""
    if amount > 0:
        a = 5.0 * amount
        return 0.5 + 0.5 * np.tanh(a * (y - 0.5)) / np.tanh(a / 2)
    if amount < 0:
        return 0.5 + (y - 0.5) * (1.0 + 0.6 * amount)
    return y


def _power(y: np.ndarray, amount: float) -> np.ndarray:
    """Lifts the midtones for amount > 0 and lowers them below 0; ends stay put."""
    return y ** (1.0 / (1.0 + amount)) if amount >= 0 else y ** (1.0 - amount)


def tone_table(r: Recipe) -> np.ndarray:
    """Everything per-channel in one (256, 1, 3) uint8 table for one cv2.LUT pass."""
    x = np.linspace(0.0, 1.0, 256)
    y = x ** (2.0 ** (-0.8 * r.brightness)) if r.brightness else x
    y = _tanh_curve(y, r.contrast)
    chans = []
    for k in range(3):  # B, G, R
        c = _tanh_curve(y, r.channel_contrast[k])
        if k == 2:
            c = _power(c, 0.35 * r.warmth) * (1.0 + 0.03 * r.warmth)
        elif k == 0:
            c = _power(c, -0.35 * r.warmth) * (1.0 - 0.03 * r.warmth)
        else:
            c = _power(c, -0.25 * r.tint)
        c = c + r.shadows[k] * (1.0 - y) ** 2 + r.highlights[k] * y**2
        chans.append(c)
    table = np.stack(chans, axis=-1)
    if r.fade > 0:
        lift = 0.22 * r.fade
        table = lift + table * (1.0 - lift - 0.05 * r.fade)
    elif r.fade < 0:
        crush = 0.12 * -r.fade
        table = (table - crush) / (1.0 - crush)
    table = np.clip(np.rint(table * 255.0), 0, 255).astype(np.uint8)
    return table.reshape(256, 1, 3)


def is_identity_table(table: np.ndarray) -> bool:
    return bool((table.reshape(256, 3) == np.arange(256, dtype=np.uint8)[:, None]).all())


def colour_matrix(r: Recipe) -> np.ndarray | None:
    """The 3x3 (BGR) saturation matrix, or None when it changes nothing."""
    s = max(0.0, 1.0 + r.saturation)
    if abs(s - 1.0) < 1e-6:
        return None
    m = s * np.eye(3) + (1.0 - s) * np.tile(LUMA_BGR, (3, 1))
    return m.astype(np.float32)


@lru_cache(maxsize=8)
def _radius(width: int, height: int) -> np.ndarray:
    """Distance from the centre, 0 there and 1 in the corners (the frame's ellipse)."""
    u = (np.arange(width, dtype=np.float32) + 0.5) / width * 2.0 - 1.0
    v = (np.arange(height, dtype=np.float32) + 0.5) / height * 2.0 - 1.0
    out = np.sqrt((v[:, None] ** 2 + u[None, :] ** 2) * 0.5)
    out.flags.writeable = False
    return out


def vignette_gain(amount: float, width: int, height: int) -> np.ndarray:
    """Per-pixel gain (float32, 1 in the middle); amount > 0 darkens the corners."""
    r = _radius(width, height)
    t = np.clip((r - 0.35) / (1.05 - 0.35), 0.0, 1.0)
    t = t * t * (3.0 - 2.0 * t)  # smoothstep: no visible edge where it starts
    depth = 0.65 * amount if amount > 0 else 0.45 * amount
    return (1.0 - depth * t).astype(np.float32)


@lru_cache(maxsize=4)
def _grain_base(width: int, height: int) -> np.ndarray:
    """Unit-variance, slightly clumpy noise, GRAIN_PAD larger than the frame each way."""
    rng = np.random.default_rng(GRAIN_SEED)
    noise = rng.standard_normal((height + GRAIN_PAD, width + GRAIN_PAD), dtype=np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 0.6)
    noise /= max(float(noise.std()), 1e-6)
    noise.flags.writeable = False
    return noise


def grain_tile(amount: float, width: int, height: int) -> np.ndarray:
    """uint8 gain tile around 128 (= 1.0): multiplicative, film-like luma grain."""
    sigma = 0.12 * amount
    tile = 128.0 + 128.0 * sigma * _grain_base(width, height)
    return np.clip(np.rint(tile), 0, 255).astype(np.uint8)


def grain_offset(index: int) -> tuple[int, int]:
    """Where frame `index` reads the grain tile: a fixed scramble, so every run agrees."""
    h = (int(index) * 2654435761 + 12345) & 0xFFFFFFFF
    return (h >> 8) % GRAIN_PAD, (h >> 20) % GRAIN_PAD


def grain_phase(index: int, phases: int) -> int:
    """Which of `phases` precomputed grain masks frame `index` uses: scrambled, not cyclic."""
    return (((int(index) * 2246822519 + 374761393) & 0xFFFFFFFF) >> 13) % phases


def sharpen_kernel(amount: float) -> np.ndarray | None:
    """A 3x3 unsharp (amount > 0) or soften (amount < 0) kernel, or None for no change."""
    if abs(amount) < 1e-3:
        return None
    g = np.array([1.0, 2.0, 1.0]) / 4.0
    blur = np.outer(g, g)
    delta = np.zeros((3, 3))
    delta[1, 1] = 1.0
    k = 1.5 * amount if amount > 0 else amount
    return (delta + k * (delta - blur)).astype(np.float32)
