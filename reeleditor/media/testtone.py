"""The test pattern's sound: a quiet hum with a beep at each whole second, on the clock."""

from __future__ import annotations

import threading
import time

import numpy as np

BEEP_SECONDS = 0.1
BEEP_HZ = 1000.0
HUM_HZ = 440.0


def tone(start_sample: int, count: int, rate: int, epoch_offset: float = 0.0) -> np.ndarray:
    """Samples [start, start+count) of the test tone, float32 mono; deterministic."""
    n = np.arange(start_sample, start_sample + count, dtype=np.float64)
    t = n / rate + epoch_offset
    beep = (t % 1.0) < BEEP_SECONDS
    out = 0.05 * np.sin(2 * np.pi * HUM_HZ * t)
    out = np.where(beep, 0.5 * np.sin(2 * np.pi * BEEP_HZ * t), out)
    return out.astype(np.float32)


class TestToneInput:
    """An AudioInput paced by the monotonic clock; sample 0 is at `epoch` (the pattern's t0)."""

    __test__ = False  # not a pytest class, whatever its name

    notice = None

    def __init__(
        self, epoch: float, fps: float = 30, sample_rate: int = 48000, channels: int = 1
    ) -> None:
        self.epoch = epoch
        self.sample_rate = sample_rate
        self.channels = channels
        self._produced: int | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._produced = max(0, int((now - self.epoch) * self.sample_rate))

    def read(self) -> tuple[np.ndarray, float]:
        with self._lock:
            if self._produced is None:
                raise RuntimeError("start() the input before reading")
            now = time.monotonic()
            target = int((now - self.epoch) * self.sample_rate)
            count = max(0, target - self._produced)
            first = self.epoch + self._produced / self.sample_rate
            samples = tone(self._produced, count, self.sample_rate)
            self._produced += count
        if count == 0:
            first = now
        return np.repeat(samples[:, None], self.channels, axis=1), first

    def stop(self) -> None:
        with self._lock:
            self._produced = None
