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


def _fft_filter(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Overlap-add convolution, in blocks so a 10-minute track stays in bounded memory."""
    n_fft = 1 << 17
    block = n_fft - len(ir) + 1
    spectrum = np.fft.rfft(ir, n_fft)
    out = np.zeros(len(x) + len(ir) - 1)
    for start in range(0, len(x), block):
        chunk = x[start : start + block]
        y = np.fft.irfft(np.fft.rfft(chunk, n_fft) * spectrum, n_fft)
        end = min(len(out), start + n_fft)
        out[start:end] += y[: end - start]
    return out[: len(x)]


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """Gated integrated loudness in LUFS of (channels, n) float samples; None if silent."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float64))
    block, step = int(BLOCK_SECONDS * rate), int(STEP_SECONDS * rate)
    n = samples.shape[1]
    if n < block:
        return None
    ir = k_weighting_ir(rate)
    starts = np.arange(0, n - block + 1, step)
    power = np.zeros(len(starts))
    for channel in samples[:2]:  # L and R weigh 1.0; surround is downmixed before this
        weighted = _fft_filter(channel, ir)
        cumulative = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
        power += (cumulative[starts + block] - cumulative[starts]) / block
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


def peak_envelope(samples: np.ndarray) -> np.ndarray:
    """Per input sample, the largest inter-sample (4x oversampled) magnitude across channels."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    phases = _oversampling_phases().astype(np.float32)
    delay = phases.shape[1] // 2
    envelope = np.abs(samples).max(axis=0)
    for channel in samples:
        for phase in phases:
            y = np.abs(np.convolve(channel, phase))[delay : delay + channel.size]
            np.maximum(envelope, y, out=envelope)
    return envelope


def true_peak(samples: np.ndarray) -> float:
    """True peak in dBTP (BS.1770-4 annex 2: 4x oversampling)."""
    samples = np.asarray(samples)
    if samples.size == 0:
        return -math.inf
    peak = float(peak_envelope(samples).max())
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


def limit(samples: np.ndarray, rate: int, ceiling_db: float) -> np.ndarray:
    """A linked look-ahead true-peak limiter: gain never above what keeps peaks at the ceiling.

    The needed gain per sample is min-filtered over +-5 ms, then averaged over 5 ms: every
    averaged value covers only windows that contain the sample, so the smoothed gain stays
    at or below the needed gain (no overshoot) and changes smoothly (no clicks).
    """
    ceiling = 10 ** (ceiling_db / 20)
    envelope = peak_envelope(samples).astype(np.float64)
    need = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-12))
    if need.min() >= 1.0:
        return samples
    half = max(1, int(0.005 * rate))
    padded = np.pad(need, half, constant_values=1.0)
    held = _running_min(padded, 2 * half + 1)
    cumulative = np.concatenate(([0.0], np.cumsum(np.pad(held, half // 2, mode="edge"))))
    width = 2 * (half // 2) + 1
    gain = (cumulative[width:] - cumulative[:-width]) / width
    return (samples * gain[: samples.shape[1]]).astype(samples.dtype)


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
        return np.clip(samples * np.float32(10 ** (gain / 20)), -1.0, 1.0)
    out = samples
    for _ in range(3):
        out = limit(samples * np.float32(10 ** (gain / 20)), rate, ceiling_db)
        reached = integrated_loudness(out, rate)
        if reached is None or abs(reached - target) < 0.1:
            break
        gain += target - reached
    return np.clip(out, -1.0, 1.0)
