"""Changes the speed of sound with its pitch kept: FFmpeg's atempo through PyAV's filter graph."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from reeleditor.core.errors import MediaError

_CHUNK = 4096
# atempo takes 0.5..2.0 per instance; the speeds outside that are two in a row
_CHAINS = {0.3: (0.5, 0.6), 0.5: (0.5,), 2.0: (2.0,), 3.0: (2.0, 1.5)}


def tempo_chain(speed: float) -> tuple[float, ...]:
    """The atempo factors whose product is `speed`, each within 0.5..2.0."""
    if speed == 1.0:
        return ()
    try:
        return _CHAINS[speed]
    except KeyError:
        raise MediaError(f"no tempo chain for speed {speed:g}x") from None


def change_tempo(samples: np.ndarray, rate: int, speed: float) -> np.ndarray:
    """(2, n) float32 at `speed`, pitch kept; about n / speed samples (the caller fits it).

    Raises MediaError when this FFmpeg build has no atempo or the graph fails.
    """
    chain = tempo_chain(speed)
    if not chain:
        return samples
    if "atempo" not in av.filter.filters_available:
        raise MediaError("this FFmpeg build has no atempo filter")
    try:
        graph = av.filter.Graph()
        node = graph.add_abuffer(
            format="fltp", sample_rate=rate, layout="stereo", time_base=Fraction(1, rate)
        )
        first = node
        for factor in chain:
            nxt = graph.add("atempo", f"{factor}")
            node.link_to(nxt)
            node = nxt
        planar = graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
        node.link_to(planar)
        sink = graph.add("abuffersink")
        planar.link_to(sink)
        graph.configure()
        out: list[np.ndarray] = []
        for pos in range(0, samples.shape[1], _CHUNK):
            chunk = np.ascontiguousarray(samples[:, pos : pos + _CHUNK], dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = rate, pos, Fraction(1, rate)
            first.push(frame)
            _drain(sink, out)
        first.push(None)
        _drain(sink, out)
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(f"the tempo filter failed ({exc})") from exc
    if not out:
        return np.zeros((2, 0), np.float32)
    return np.concatenate(out, axis=1).astype(np.float32, copy=False)


def _drain(sink, out: list[np.ndarray]) -> None:
    while True:
        try:
            frame = sink.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        out.append(frame.to_ndarray())
