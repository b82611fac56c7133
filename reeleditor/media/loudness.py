"""EBU R128 loudness (ITU-R BS.1770-4) in numpy; normalisation with a true-peak limiter."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

TARGET_LUFS = -14.0  # what the large platforms normalise to
MAX_TRUE_PEAK = -1.0  # dBTP
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
BLOCK_SECONDS = 0.4
STEP_SECONDS = 0.1  # 75 % overlap
OVERSAMPLE = 4
_IR_LENGTH = 8192  # the K-weighting filter's tail is below 1e-12 long before this


@dataclass(frozen=True)
class Loudness:
    integrated: float | None  # LUFS; None when every block is below the absolute gate
    true_peak: float  # dBTP; -inf for digital silence


def _biquad_ir(b, a, x: np.ndarray) -> np.ndarray:
    """Run one biquad over a short signal (the impulse response only; a Python loop)."""
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    for i, xi in enumerate(x.tolist()):
        yi = b[0] * xi + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        x2, x1, y2, y1 = x1, xi, y1, yi
        y[i] = yi
    return y


@functools.lru_cache(maxsize=4)
def k_weighting_ir(rate: int) -> np.ndarray:
    """Impulse response of BS.1770's K-weighting (shelf + high-pass) at any sample rate.

    Coefficients are derived from the analogue prototypes (as libebur128 does), so 44.1
    and 48 kHz both match the standard's 48 kHz table. numpy has no IIR filter and scipy is
    not a dependency, so the IIR runs once on an impulse and the signal is convolved by FFT.
    """
    f0, gain, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = (
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
    )
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    hp_b = (1.0, -2.0, 1.0)
    hp_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    impulse = np.zeros(_IR_LENGTH)
    impulse[0] = 1.0
    ir = _biquad_ir(hp_b, hp_a, _biquad_ir(shelf_b, shelf_a, impulse))
    ir.flags.writeable = False  # cached and shared
    return ir


def _fft_filter(x: np.ndarray, ir: np.ndarray):
    """Overlap-add convolution, yielding the filtered signal piece by piece (float64, in
    order, len(x) in all): a 10-minute track is never held filtered in full."""
    n_fft = 1 << 17
    block = n_fft - len(ir) + 1
    spectrum = np.fft.rfft(ir, n_fft)
    carry = np.zeros(len(ir) - 1)
    for start in range(0, len(x), block):
        chunk = x[start : start + block]
        y = np.fft.irfft(np.fft.rfft(chunk, n_fft) * spectrum, n_fft)
        y[: carry.size] += carry
        carry = y[chunk.size : chunk.size + carry.size].copy()
        yield y[: chunk.size]


def _prefix_sums(pieces, at: np.ndarray) -> np.ndarray:
    """sum(x[:i] ** 2) for each sorted index i in `at`, from x given piece by piece."""
    values = np.zeros(at.size)
    offset, total, first = 0, 0.0, np.searchsorted(at, 1)  # index 0 sums nothing
    for piece in pieces:
        cumulative = np.cumsum(piece * piece) + total
        last = np.searchsorted(at, offset + piece.size, side="right")
        values[first:last] = cumulative[at[first:last] - offset - 1]
        first, offset, total = last, offset + piece.size, cumulative[-1]
    return values


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """Gated integrated loudness in LUFS of (channels, n) float samples; None if silent."""
    samples = np.atleast_2d(np.asarray(samples))
    block, step = int(BLOCK_SECONDS * rate), int(STEP_SECONDS * rate)
    n = samples.shape[1]
    if n < block:
        return None
    ir = k_weighting_ir(rate)
    starts = np.arange(0, n - block + 1, step)
    at, where = np.unique(np.concatenate((starts, starts + block)), return_inverse=True)
    power = np.zeros(len(starts))
    for channel in samples[:2]:  # L and R weigh 1.0; surround is downmixed before this
        sums = _prefix_sums(_fft_filter(channel, ir), at)[where]
        power += (sums[starts.size :] - sums[: starts.size]) / block
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(power)
    gated = power[block_lufs > ABSOLUTE_GATE]
    if gated.size == 0:
        return None
    relative = -0.691 + 10 * math.log10(gated.mean()) + RELATIVE_GATE
    kept = power[(block_lufs > ABSOLUTE_GATE) & (block_lufs > relative)]
    return -0.691 + 10 * math.log10(kept.mean())


def _oversampling_phases() -> np.ndarray:
    """A 4-phase Kaiser-windowed sinc (32 taps a phase), cut off at the input's Nyquist."""
    taps = 32 * OVERSAMPLE
    t = (np.arange(taps) - (taps - 1) / 2) / OVERSAMPLE
    h = np.sinc(t) * np.kaiser(taps, 8.0)
    phases = h.reshape(-1, OVERSAMPLE).T
    return phases / phases.sum(axis=1, keepdims=True)


CHUNK = 1 << 16  # samples a piece: the envelope and limiter work piece by piece


def peak_envelope(samples: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Per input sample in [start, stop), the largest inter-sample (4x oversampled) magnitude
    across channels (float32; the convolution reads the 16 samples either side)."""
    samples = np.atleast_2d(samples)
    n = samples.shape[1]
    stop = n if stop is None else min(stop, n)
    phases = _oversampling_phases().astype(np.float32)
    delay = phases.shape[1] // 2
    lo, hi = max(0, start - phases.shape[1]), min(n, stop + phases.shape[1])
    envelope = np.abs(samples[:, start:stop]).max(axis=0).astype(np.float32)
    first = start - lo + delay
    for channel in samples[:, lo:hi].astype(np.float32):
        for phase in phases:
            y = np.abs(np.convolve(channel, phase)[first : first + envelope.size])
            np.maximum(envelope, y, out=envelope)
    return envelope


def true_peak(samples: np.ndarray) -> float:
    """True peak in dBTP (BS.1770-4 annex 2: 4x oversampling)."""
    samples = np.atleast_2d(samples)
    n = samples.shape[1]
    if samples.size == 0:
        return -math.inf
    peak = max(float(peak_envelope(samples, a, a + CHUNK).max()) for a in range(0, n, CHUNK))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def measure(samples: np.ndarray, rate: int) -> Loudness:
    return Loudness(integrated_loudness(samples, rate), true_peak(samples))


def _running_min(values: np.ndarray, width: int) -> np.ndarray:
    """r[i] = min(values[i : i + width]) in O(n) (van Herk / Gil-Werman, vectorised)."""
    n = values.size
    padded = np.full(-(-(n + width - 1) // width) * width, np.inf)
    padded[:n] = values
    blocks = padded.reshape(-1, width)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    last = n - width + 1
    return np.minimum(suffix[:last], prefix[width - 1 : width - 1 + last])


def _gain(samples: np.ndarray, start: int, stop: int, ceiling: float, half: int) -> np.ndarray:
    """The limiter's smoothed gain for samples [start, stop) (see limit)."""
    n, q = samples.shape[1], half // 2
    lo, hi = start - q - half, stop + q + half  # what the held minimum and average read
    need = np.ones(hi - lo)  # 1.0 outside the signal, as if padded with it
    envelope = peak_envelope(samples, max(0, lo), min(n, hi))
    need[max(0, lo) - lo : min(n, hi) - lo] = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    held = _running_min(need, 2 * half + 1)  # samples [start - q, stop + q)
    if start - q < 0:  # the average repeats the first and last held values past the ends
        held[: q - start] = held[q - start]
    if stop + q > n:
        held[held.size - (stop + q - n) :] = held[held.size - (stop + q - n) - 1]
    cumulative = np.concatenate(([0.0], np.cumsum(held)))
    width = 2 * q + 1
    return (cumulative[width:] - cumulative[:-width]) / width


def limit(samples: np.ndarray, rate: int, ceiling_db: float, in_place: bool = False) -> np.ndarray:
    """A linked look-ahead true-peak limiter: gain never above what keeps peaks at the ceiling.

    The needed gain per sample is min-filtered over +-5 ms, then averaged over 5 ms: every
    averaged value covers only windows that contain the sample, so the smoothed gain stays
    at or below the needed gain (no overshoot) and changes smoothly (no clicks). Worked out
    piece by piece; `samples` is returned itself when no gain is needed, and scaled in
    place when `in_place`.
    """
    ceiling = 10 ** (ceiling_db / 20)
    half = max(1, int(0.005 * rate))
    n = samples.shape[1]
    out = None
    pending = None  # a piece's gain is applied once the next piece's is known: that one
    for start in range(0, n + CHUNK, CHUNK):  # reads a few hundred samples before it
        gain = _gain(samples, start, min(n, start + CHUNK), ceiling, half) if start < n else None
        if pending is not None:
            if out is None:
                out = samples if in_place else samples.copy()
            out[:, pending[0] : pending[0] + CHUNK] *= pending[1]
        pending = None if gain is None or gain.min() >= 1.0 else (start, gain.astype(np.float32))
    return samples if out is None else out


def normalise(
    samples: np.ndarray,
    rate: int,
    target: float = TARGET_LUFS,
    ceiling_db: float = MAX_TRUE_PEAK - 0.5,
    measured: float | None = None,
    peak: float | None = None,
) -> np.ndarray:
    """Gain to `target` LUFS, limiting true peaks to `ceiling_db`; silence is returned as is.

    Limiting lowers the integrated loudness a little, so the gain is re-measured and
    corrected (at most three rounds); the ceiling sits below -1 dBTP because AAC encoding
    adds some inter-sample overshoot (the caller re-checks after encoding).
    """
    samples = np.asarray(samples, dtype=np.float32)
    loudness = measured if measured is not None else integrated_loudness(samples, rate)
    if loudness is None:
        return samples
    gain = target - loudness
    if peak is not None and peak + gain <= ceiling_db:
        # gain alone keeps the peaks under the ceiling: no limiting, and the loudness
        # reached is exactly the target (gain is linear), so nothing to re-measure
        out = samples * np.float32(10 ** (gain / 20))
        return np.clip(out, -1.0, 1.0, out=out)
    out = samples
    for _ in range(3):
        del out  # one scaled copy alive at a time (a 10-minute track is 230 MB)
        out = samples * np.float32(10 ** (gain / 20))
        limit(out, rate, ceiling_db, in_place=True)
        reached = integrated_loudness(out, rate)
        if reached is None or abs(reached - target) < 0.1:
            break
        gain += target - reached
    return np.clip(out, -1.0, 1.0, out=out)
