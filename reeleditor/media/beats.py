"""The music's beats: a bundled track's BPM from its catalogue, a detected tempo otherwise.

Trim handles snap to beats, so the timeline needs beat times in reel time. Detection is
the classic one (Ellis 2007 without the dynamic programming): an onset-strength envelope
(positive spectral flux of a log-magnitude spectrogram), its autocorrelation searched over
60-180 BPM with a mild preference for ~120 BPM (octave errors are the usual failure), then
the first beat as the phase whose comb over the envelope is strongest.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeleditor.core.draft import MusicCue

ENVELOPE_RATE = 100.0  # onset envelope frames per second (10 ms hop)
BPM_RANGE = (60.0, 180.0)
# an onset shows in the envelope this much before it is heard: the flux rises as the click
# enters the 40 ms window (measured on click tracks: 40-50 ms)
ENVELOPE_LEAD = 0.045
ANALYSE_SECONDS = 90.0  # enough for a steady tempo; a 10-minute file is not read whole


@dataclass(frozen=True)
class Tempo:
    bpm: float
    offset: float  # seconds into the song of the first beat
    detected: bool  # False: the bundled catalogue's figure

    def song_beats(self, start: float, end: float) -> np.ndarray:
        """Beat times in song seconds within [start, end)."""
        period = 60.0 / self.bpm
        first = np.ceil((start - self.offset) / period - 1e-9)
        last = np.floor((end - self.offset) / period - 1e-9)
        if last < first:
            return np.zeros(0)
        return self.offset + np.arange(first, last + 1) * period


def onset_envelope(mono: np.ndarray, rate: int) -> np.ndarray:
    """Positive spectral flux per 10 ms, smoothed and normalised (length ~ seconds * 100)."""
    hop = int(rate / ENVELOPE_RATE)
    win = 4 * hop
    if mono.size < win * 2:
        return np.zeros(0, np.float32)
    count = 1 + (mono.size - win) // hop
    frames = np.lib.stride_tricks.as_strided(
        mono, shape=(count, win), strides=(mono.strides[0] * hop, mono.strides[0])
    )
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(win).astype(np.float32), axis=1))
    log_mag = np.log1p(100.0 * spectrum)
    flux = np.maximum(np.diff(log_mag, axis=0), 0).sum(axis=1)
    flux -= np.convolve(flux, np.ones(31) / 31, mode="same")  # remove the slow loudness trend
    flux = np.maximum(flux, 0)
    peak = flux.max()
    return (flux / peak).astype(np.float32) if peak > 0 else flux.astype(np.float32)


def detect_tempo(mono: np.ndarray, rate: int) -> Tempo:
    """BPM (60-180) and first-beat offset of `mono` (float samples at `rate`)."""
    env = onset_envelope(np.ascontiguousarray(mono, dtype=np.float32), rate)
    if env.size < ENVELOPE_RATE * 2 or not env.any():
        return Tempo(120.0, 0.0, True)
    centred = env - env.mean()
    n = centred.size
    spec = np.fft.rfft(centred, 2 * n)
    acf = np.fft.irfft(spec * np.conj(spec))[:n]
    acf /= acf[0] if acf[0] > 0 else 1
    lo = int(ENVELOPE_RATE * 60 / BPM_RANGE[1])
    hi = min(n - 1, int(ENVELOPE_RATE * 60 / BPM_RANGE[0]) + 1)
    lags = np.arange(lo, hi + 1)
    bpm_of = 60 * ENVELOPE_RATE / lags
    weight = np.exp(-0.5 * (np.log2(bpm_of / 120.0) / 1.0) ** 2)  # prefer ~120 gently
    # a beat period also shows at twice the lag; adding half of it resolves octave ties
    doubled = np.where(2 * lags < n, acf[np.minimum(2 * lags, n - 1)], 0)
    score = (acf[lags] + 0.5 * doubled) * weight
    best = int(lags[np.argmax(score)])
    # refine the lag to a fraction by a parabola through its neighbours
    a, b, c = acf[best - 1], acf[best], acf[min(best + 1, n - 1)]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    period = (best + float(np.clip(shift, -0.5, 0.5))) / ENVELOPE_RATE
    bpm = 60.0 / period
    return Tempo(round(bpm, 2), _phase(env, period), True)


def _phase(env: np.ndarray, period: float) -> float:
    """The first beat's time: the offset whose beat comb collects the most onset strength."""
    steps = max(1, round(period * ENVELOPE_RATE))
    beats = np.arange(0, env.size / ENVELOPE_RATE - period, period)
    best, best_sum = 0.0, -1.0
    for k in range(steps):
        offset = k / ENVELOPE_RATE
        idx = np.round((beats + offset) * ENVELOPE_RATE).astype(int)
        idx = idx[idx < env.size]
        total = float(env[idx].sum())
        if total > best_sum:
            best, best_sum = offset, total
    period_s = steps / ENVELOPE_RATE
    return round((best + ENVELOPE_LEAD) % period_s, 3)


@functools.lru_cache(maxsize=16)
def _file_tempo(path: str, size: int, mtime: int, bpm: float | None) -> Tempo:
    from reeleditor.media.music import RATE, decode_audio

    samples = decode_audio(Path(path))[:, : int(ANALYSE_SECONDS * RATE)]
    mono = samples.mean(axis=0)
    found = detect_tempo(mono, RATE)
    if bpm is None:
        return found
    # the catalogue's BPM is exact; the phase still has to be found in the sound
    return Tempo(float(bpm), _phase(onset_envelope(mono, RATE), 60.0 / bpm), False)


def track_tempo(track: str) -> Tempo:
    """The cue's track's tempo: the catalogue's BPM for a bundled track, else detected.

    Decodes up to 90 s of the file: call it off the GUI thread. Cached per file version.
    """
    from reeleditor.media.music import LIBRARY_PREFIX, library, resolve_track

    path = resolve_track(track)
    bpm = None
    if track.startswith(LIBRARY_PREFIX):
        name = track[len(LIBRARY_PREFIX) :]
        bpm = next((t.bpm for t in library() if t.name == name), None)
    stat = path.stat()
    return _file_tempo(str(path), stat.st_size, stat.st_mtime_ns, bpm)


def reel_beats(cue: MusicCue, tempo: Tempo, reel_seconds: float) -> list[float]:
    """Beat times in reel seconds: the song plays from cue.start at reel time 0."""
    beats = tempo.song_beats(cue.start, cue.start + reel_seconds)
    return [round(float(b - cue.start), 4) for b in beats]
