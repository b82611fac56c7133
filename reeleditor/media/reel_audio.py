"""A reel's sound: decoded once, loudness-normalised, encoded once to AAC-LC 48 kHz stereo."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from reeleditor.media import loudness
from reeleditor.media.admission import read_frames

RATE = 48_000
BITRATE = 128_000
FRAME = 1024  # AAC-LC samples per frame


@dataclass(frozen=True)
class AudioTrack:
    """The encoded track (an .m4a whose packets every rendition muxes) and its loudness."""

    path: Path
    loudness: dict | None  # input_i, input_tp, output_i, output_tp; None for silence


def decode_stereo(source: Path, seconds: float, start: float = 0.0) -> np.ndarray | None:
    """The first audio stream as float32 (2, n) at 48 kHz, cut or padded to `seconds`.

    Sample 0 is at `start`, the first video frame's time (where the video's grid begins):
    sound that starts later is preceded by silence, sound that starts earlier is trimmed,
    so a source's A/V offset survives publishing.
    """
    want = round(seconds * RATE)
    with av.open(str(source)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        samples = np.zeros((2, want), np.float32)  # filled in place: one copy of the track
        got = 0
        skip = None  # samples before `start`, still to drop
        for frame in read_frames(container, stream, "sound"):
            if skip is None:
                lead = round(((frame.time if frame.time is not None else start) - start) * RATE)
                skip, got = max(0, -lead), min(want, max(0, lead))  # silence before it
            for out in resampler.resample(frame):
                got, skip = _keep(samples, got, out.to_ndarray(), skip)
            if got >= want:
                break
        else:
            for out in resampler.resample(None):
                got, skip = _keep(samples, got, out.to_ndarray(), skip)
    return samples


def _keep(samples: np.ndarray, got: int, chunk: np.ndarray, skip: int) -> tuple[int, int]:
    """Copy `chunk` less its first `skip` samples in at `got`: (new got, skip left)."""
    kept = chunk[:, skip:][:, : samples.shape[1] - got]
    samples[:, got : got + kept.shape[1]] = kept
    return got + kept.shape[1], max(0, skip - chunk.shape[1])


def encode_aac(samples: np.ndarray, path: Path) -> None:
    """Encode (2, n) float32 to AAC-LC in an MP4 container at `path`."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE, layout="stereo")
        stream.bit_rate = BITRATE
        n = samples.shape[1]
        for start in range(0, n, FRAME):
            chunk = np.ascontiguousarray(samples[:, start : start + FRAME])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def decode_encoded(path: Path, expected: int = 0) -> np.ndarray:
    """The encoded track decoded to (2, n) float32, into one array grown only if needed."""
    samples = np.zeros((2, expected + 4 * FRAME), np.float32)
    got = 0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunk = frame.to_ndarray()
            if got + chunk.shape[1] > samples.shape[1]:
                samples = np.concatenate((samples, np.zeros_like(samples)), axis=1)
            samples[:, got : got + chunk.shape[1]] = chunk
            got += chunk.shape[1]
    return samples[:, :got]


def _round(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 2)


def make_track(source: Path, seconds: float, work: Path, start: float = 0.0) -> AudioTrack:
    """Decode, normalise to -14 LUFS / -1 dBTP, encode; a silent track when there is no sound.

    The true peak is checked again on the decoded AAC, because the codec's quantisation
    adds inter-sample overshoot: if it lands above -1 dBTP the limiter's ceiling is lowered
    by the excess and the track encoded again (at most three rounds; sound is cheap).
    """
    path = work / "audio.m4a"
    samples = decode_stereo(source, seconds, start)
    measured = loudness.measure(samples, RATE) if samples is not None else None
    if measured is None or measured.true_peak < loudness.ABSOLUTE_GATE:
        # No sound or silence: a silent track, so players and muxers behave alike.
        silence = np.broadcast_to(np.zeros((2, 1), np.float32), (2, round(seconds * RATE)))
        encode_aac(silence, path)  # a view: no 10 minutes of zeros held
        return AudioTrack(path, None)
    if measured.integrated is None:
        # Sound too short to measure (under one 400 ms block): kept as it is, peaks held.
        encode_aac(loudness.limit(samples, RATE, loudness.MAX_TRUE_PEAK - 0.5), path)
        return AudioTrack(path, None)
    ceiling = loudness.MAX_TRUE_PEAK - 0.5
    for _ in range(3):
        normalised = loudness.normalise(
            samples,
            RATE,
            ceiling_db=ceiling,
            measured=measured.integrated,
            peak=measured.true_peak,
        )
        encode_aac(normalised, path)
        del normalised  # the decoded AAC takes its place
        result = loudness.measure(decode_encoded(path, samples.shape[1]), RATE)
        excess = result.true_peak - loudness.MAX_TRUE_PEAK
        if excess <= -0.05:
            break
        ceiling -= excess + 0.2
    stats = {
        "input_i": _round(measured.integrated),
        "input_tp": _round(measured.true_peak),
        "output_i": _round(result.integrated),
        "output_tp": _round(result.true_peak),
    }
    return AudioTrack(path, stats)
