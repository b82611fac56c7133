"""The soundtrack as pure math: place the song and the voice, duck the music, mix, limit."""

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


def mix(
    original: np.ndarray,
    original_volume: float,
    music: np.ndarray | None,
    voice: np.ndarray | None = None,
) -> np.ndarray:
    """Original sound at its volume plus the music (ducked already) and the voice-over;
    a soft limiter keeps peaks under 1."""
    out = original * np.float32(original_volume)
    if music is not None:
        out = out + music
    if voice is not None:
        out = out + voice
    return soft_limit(out)


# -- voice-over and ducking -----------------------------------------------------------------
DUCK_BLOCK = 0.010  # the envelope is measured per 10 ms block, then interpolated per sample
DUCK_WINDOW = 0.030  # RMS over 30 ms: a syllable's body, not each cycle of the voice
DUCK_THRESHOLD_DB = -40.0  # dBFS RMS: speech is well above, a quiet room's hiss below
DUCK_ATTACK = 0.05  # seconds for the music to go all the way down ...
DUCK_RELEASE = 0.30  # ... and back up: a slow release does not pump between words
DUCK_HOLD = 0.20  # the gaps between words (up to ~200 ms) keep the music down


def place_voices(
    voices: list[tuple[np.ndarray, float, float]], length: int, rate: int
) -> np.ndarray:
    """The voice-over track (2, length): each (samples, at seconds, volume) at its time.

    Overlapping voice-overs add up (two takes over each other are both heard, as in any
    editor); what runs past the reel's end is cut, as the pictures are.
    """
    out = np.zeros((2, length), np.float32)
    for samples, at, volume in voices:
        first = round(at * rate)
        n = min(samples.shape[1], length - first)
        if n <= 0 or volume <= 0:
            continue
        out[:, first : first + n] += to_stereo(samples)[:, :n] * np.float32(volume)
    return out


def duck_gain(
    key: np.ndarray,
    rate: int,
    depth_db: float,
    threshold_db: float = DUCK_THRESHOLD_DB,
    attack: float = DUCK_ATTACK,
    release: float = DUCK_RELEASE,
    hold: float = DUCK_HOLD,
) -> np.ndarray:
    """The music's gain per sample (n,) under the side-chain `key` (channels, n): 1 where
    the key is quiet, 10^(-depth/20) where it speaks, with smooth ramps between.

    The key's RMS is measured per 10 ms block; a block above the threshold (or within
    `hold` after one) wants the music down. The gain moves in dB at most depth/attack per
    second downwards and depth/release upwards (a slew limit: straight ramps in dB, which
    the ear hears as even fades). The render is offline, so it looks ahead: the ramp down
    starts `attack` before the voice, and its first syllable is never under full music.
    """
    n = key.shape[1]
    if depth_db <= 0 or n == 0:
        return np.ones(n, np.float32)
    gains, block = _block_gains(key, rate, depth_db, threshold_db, attack, release, hold)
    centres = (np.arange(gains.size) + 0.5) * block
    return np.interp(np.arange(n), centres, gains).astype(np.float32)


def _block_gains(
    key: np.ndarray,
    rate: int,
    depth_db: float,
    threshold_db: float = DUCK_THRESHOLD_DB,
    attack: float = DUCK_ATTACK,
    release: float = DUCK_RELEASE,
    hold: float = DUCK_HOLD,
) -> tuple[np.ndarray, int]:
    """The music's linear gain per 10 ms block (see duck_gain), and the block's samples."""
    n = key.shape[1]
    block = max(1, round(DUCK_BLOCK * rate))
    whole = n // block
    blocks = -(-n // block)
    power = np.zeros(blocks, np.float64)
    body = key[:, : whole * block].reshape(key.shape[0], whole, block)
    power[:whole] = np.einsum("cbk,cbk->b", body, body) / (key.shape[0] * block)
    if blocks > whole:
        tail = key[:, whole * block :]
        power[whole] = np.square(tail, dtype=np.float64).mean()
    width = max(1, round(DUCK_WINDOW / DUCK_BLOCK))
    half = (width - 1) // 2  # "same" by hand: numpy's is as long as the kernel if longer
    power = np.convolve(power, np.ones(width) / width)[half : half + blocks]
    speaking = 10 * np.log10(np.maximum(power, 1e-12)) > threshold_db
    # hold forwards and look ahead backwards: a running max over the boolean key
    ahead, held = round(attack / DUCK_BLOCK), round(hold / DUCK_BLOCK)
    want = _dilate(speaking, before=ahead, after=held)
    target = np.where(want, -float(depth_db), 0.0)
    down = depth_db / max(1.0, attack / DUCK_BLOCK)  # dB per block
    up = depth_db / max(1.0, release / DUCK_BLOCK)
    gains_db = np.empty(blocks, np.float64)
    g = 0.0
    # a slew limiter is recursive; per 10 ms block it is 100 steps a second, not 48,000
    for i, t in enumerate(target.tolist()):
        g = max(t, g - down) if t < g else min(t, g + up)
        gains_db[i] = g
    # linear gain between block centres: over 10 ms it differs from a dB ramp by < 0.01 dB
    return 10.0 ** (gains_db / 20.0), block


def _dilate(flags: np.ndarray, before: int, after: int) -> np.ndarray:
    """True where a True of `flags` lies within `before` blocks ahead or `after` behind."""
    n = flags.size
    counts = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    idx = np.arange(n)
    lo = np.clip(idx - after, 0, n)
    hi = np.clip(idx + before + 1, 0, n)
    return (counts[hi] - counts[lo]) > 0


def duck(music: np.ndarray, voice: np.ndarray, rate: int, depth_db: float) -> np.ndarray:
    """The music with its gain following the voice-over (side-chain), same shape.

    Only the voice-over is the key, not the original sound. Creators talk over their own
    takes with music under them on purpose (a vlog with a beat), and a take's street noise
    or a crowd would pump the music at random; narration is the track recorded to be heard
    over the music, which is what CapCut's auto-ducking keys on too.
    """
    if depth_db <= 0 or not voice.any():
        return music
    gains, block = _block_gains(voice, rate, depth_db)
    out = music.copy()
    n = music.shape[1]
    # the gain is piecewise: constant between equal block centres (most of a reel, at 1 or
    # at the ducked floor: one scalar multiply or none), interpolated on the ramps only
    centres = np.minimum(np.arange(gains.size) * block + block // 2, n)
    _scale(out, 0, int(centres[0]), gains[0])
    _scale(out, int(centres[-1]), n, gains[-1])
    ramp = gains[1:] != gains[:-1]  # interval i runs from centre i to centre i + 1
    if ramp.size:
        splits = np.flatnonzero(ramp[1:] != ramp[:-1]) + 1
        starts = np.concatenate(([0], splits)).tolist()
        ends = np.concatenate((splits, [ramp.size])).tolist()
        for first, end in zip(starts, ends, strict=True):
            a, b = int(centres[first]), int(centres[end])
            if ramp[first]:
                out[:, a:b] *= np.interp(np.arange(a, b), centres, gains).astype(np.float32)
            else:
                _scale(out, a, b, gains[first])
    return out


def _scale(samples: np.ndarray, a: int, b: int, gain: float) -> None:
    if gain != 1.0 and b > a:
        samples[:, a:b] *= np.float32(gain)


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
