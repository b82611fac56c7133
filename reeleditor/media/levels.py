"""Sound levels in dBFS, and a microphone shared by the level meter and the recorder."""

from __future__ import annotations

import threading

import numpy as np

FLOOR_DB = -90.0  # what silence reads as: log10(0) has no value, and a meter needs one


def signal_levels(samples: np.ndarray) -> tuple[float, float]:
    """(peak, RMS) of float samples in dBFS (full scale 1.0); FLOOR_DB for silence or none."""
    if samples.size == 0:
        return FLOOR_DB, FLOOR_DB
    data = np.asarray(samples, dtype=np.float32)
    peak = float(np.max(np.abs(data)))
    rms = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))
    return _db(peak), _db(rms)


def _db(value: float) -> float:
    return max(FLOOR_DB, 20.0 * np.log10(value)) if value > 0 else FLOOR_DB


class MeteredInput:
    """An AudioInput several users hold at once: the meter between takes, the recorder in one.

    `start`/`stop` are counted, so the device runs while anyone holds it and the recorder's
    `stop` at the end of a take does not silence the meter. Every `read` measures what it
    passes on (`level`), whichever thread reads. Only one user may read at a time: the
    meter calls `monitor`, which reads only while nobody else holds the input.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.level: tuple[float, float] = (FLOOR_DB, FLOOR_DB)  # (peak, rms) of the last read
        self._lock = threading.Lock()
        self._users = 0

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    @property
    def channels(self) -> int:
        return self.inner.channels

    @property
    def notice(self) -> str | None:
        return self.inner.notice

    @property
    def users(self) -> int:
        return self._users

    def start(self) -> None:
        with self._lock:
            self._users += 1
            first = self._users == 1
        if first:
            self.inner.start()
        else:
            self.inner.read()  # what came before this user started is not its to keep

    def read(self) -> tuple[np.ndarray, float]:
        samples, first = self.inner.read()
        if len(samples):
            self.level = signal_levels(samples)
        return samples, first

    def monitor(self) -> tuple[float, float] | None:
        """Drain and measure for the meter while it holds the input alone; else the level
        the recorder's reads measured. None when nobody holds it."""
        with self._lock:
            users = self._users
        if users == 0:
            return None
        if users == 1:
            self.read()
        return self.level

    def stop(self) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            last = self._users == 0
        if last:
            self.level = (FLOOR_DB, FLOOR_DB)
            self.inner.stop()
