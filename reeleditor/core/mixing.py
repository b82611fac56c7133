"""The soundtrack as pure math: place the song under the reel, fade it, mix, limit."""

from __future__ import annotations

import numpy as np

LOOP_CROSSFADE = 0.05  # seconds: a seam without a click when a short song loops


def music_bed(
    song: np.ndarray,
    start: float,
    length: int,
    rate: int,
    volume: float = 1.0,
    fade_in: float = 0.0,
    fade_out: float = 0.0,
) -> np.ndarray:
    """`length` samples of `song` (channels, n) from `start` seconds on, at `volume`.

    A song shorter than the reel loops (from its start, with a short crossfade at the
    seam) rather than falling silent: a reel with music that stops halfway sounds broken.
    """
    channels = song.shape[0]
    out = np.zeros((channels, length), np.float32)
    if song.shape[1] == 0 or length == 0 or volume <= 0:
        return out
    offset = int(start * rate) % song.shape[1]
    fade = min(int(LOOP_CROSSFADE * rate), song.shape[1] // 4)
    pos = 0
    piece = song[:, offset:]
    while pos < length:
        if pos and fade:
            # overlap the seam: the tail fades out while the song's start fades in
            begin = pos - fade
            take = min(piece.shape[1], length - begin)
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            out[:, begin:pos] *= 1.0 - ramp
            chunk = piece[:, :take].copy()
            head = min(fade, take)
            chunk[:, :head] *= ramp[:head]
            out[:, begin : begin + take] += chunk
            pos = begin + take
        else:
            take = min(piece.shape[1], length - pos)
            out[:, pos : pos + take] = piece[:, :take]
            pos += take
        piece = song
    out *= volume
    apply_fades(out, rate, fade_in, fade_out)
    return out


def apply_fades(samples: np.ndarray, rate: int, fade_in: float, fade_out: float) -> None:
    """Linear fade in at the start and out at the end, in place."""
    n = samples.shape[1]
    fi = min(n, int(fade_in * rate))
    if fi > 0:
        samples[:, :fi] *= np.linspace(0.0, 1.0, fi, dtype=np.float32)
    fo = min(n, int(fade_out * rate))
    if fo > 0:
        samples[:, n - fo :] *= np.linspace(1.0, 0.0, fo, dtype=np.float32)


def mix(original: np.ndarray, original_volume: float, music: np.ndarray | None) -> np.ndarray:
    """Original sound at its volume plus the music; a soft limiter keeps peaks under 1."""
    out = original * np.float32(original_volume)
    if music is not None:
        out = out + music
    return soft_limit(out)


def soft_limit(samples: np.ndarray, knee: float = 0.8) -> np.ndarray:
    """Leave levels under `knee` untouched; bend louder ones smoothly towards 1."""
    out = samples.astype(np.float32, copy=True)
    over = np.abs(out) > knee
    if over.any():
        x = out[over]
        head = 1.0 - knee
        out[over] = np.sign(x) * (knee + head * np.tanh((np.abs(x) - knee) / head))
    return out


def to_stereo(samples: np.ndarray) -> np.ndarray:
    if samples.shape[0] == 2:
        return samples
    if samples.shape[0] == 1:
        return np.repeat(samples, 2, axis=0)
    return samples[:2]


def peak_bars(peaks: np.ndarray, columns: int) -> np.ndarray:
    """The loudest of `peaks` in each of `columns` equal runs: a waveform `columns` bars wide."""
    peaks = np.asarray(peaks, np.float32)
    if peaks.size == 0 or columns < 1:
        return np.zeros(0, np.float32)
    edges = np.linspace(0, peaks.size, columns + 1).astype(int)
    return np.maximum.reduceat(peaks, np.minimum(edges[:-1], peaks.size - 1))
