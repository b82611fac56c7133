"""Speech for the captions tests: espeak-ng says a script, and tells where each word starts.

Word boundaries come from espeak-ng itself: its library reports a WORD event with the
sample each word starts at (libespeak-ng through ctypes; the CLI has no such output). A
word's end is the last sound above the noise floor before the next word's start.

The voice is en-us+klatt2 at 160 words a minute: of espeak's voices it is the one
pocketsphinx's bundled model hears best (WER 0.48 on SCRIPT in a quick survey; the plain
en-us voice scored 0.80).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reeleditor.core.draft import Segment

SCRIPT = (
    "The quick brown fox jumps over the lazy dog. We recorded this reel on a sunny "
    "morning by the river, and the light was perfect."
)
VOICE = "en-us+klatt2"
SPEED = 160  # words a minute
_LIB = "libespeak-ng.so.1"


def require_espeak() -> None:
    """Skip without espeak-ng on a developer's machine; in CI (CI set) fail instead."""
    if shutil.which("espeak-ng") and _library() is not None:
        return
    message = "espeak-ng is not installed (apt-get install espeak-ng)"
    if os.environ.get("CI"):  # .ci/run sets CI=true
        pytest.fail(message + "; CI installs it with scripts/install-system-packages.sh --test")
    pytest.skip(message)


def _library():
    try:
        return ctypes.CDLL(_LIB)
    except OSError:
        name = ctypes.util.find_library("espeak-ng")
        return ctypes.CDLL(name) if name else None


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_SYNCHRONOUS, _POS_CHARACTER, _RATE_PARAM, _EVENT_END_LIST, _EVENT_WORD = 2, 1, 1, 0, 1


def speak(text: str = SCRIPT, voice: str = VOICE, speed: int = SPEED):
    """(int16 samples, rate, [(word, start s, end s)]) for `text` as espeak-ng says it."""
    lib = _library()
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, None, 0)
    lib.espeak_SetVoiceByName(voice.encode())
    lib.espeak_SetParameter(_RATE_PARAM, speed, 0)
    chunks: list[np.ndarray] = []
    starts: list[tuple[int, int, int]] = []

    def on_sound(wav, count, events):
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        i = 0
        while events[i].type != _EVENT_END_LIST:
            if events[i].type == _EVENT_WORD:
                e = events[i]
                starts.append((e.text_position, e.length, e.sample))
            i += 1
        return 0

    keep = _CALLBACK(on_sound)  # referenced until synthesis ends, or ctypes frees it
    lib.espeak_SetSynthCallback(keep)
    data = text.encode()
    lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, 0, None, None)
    lib.espeak_Synchronize()
    samples = np.concatenate(chunks)
    words = []
    for n, (pos, length, sample) in enumerate(starts):
        word = data[pos - 1 : pos - 1 + length].decode()
        if not word.strip():
            continue
        nxt = starts[n + 1][2] if n + 1 < len(starts) else samples.size
        loud = np.nonzero(np.abs(samples[sample:nxt].astype(np.int32)) > 300)[0]
        end = sample + (loud[-1] + 1 if loud.size else 0)
        words.append((normal(word), sample / rate, end / rate))
    return samples, rate, words


def normal(text: str) -> str:
    """Lower case, letters and apostrophes only: how WER compares words."""
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance (substitutions, deletions, insertions) over the reference."""
    ref, hyp = normal(reference).split(), normal(hypothesis).split()
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, row = row, [i] + [0] * len(hyp)
        for j in range(1, len(hyp) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ref[i - 1] != hyp[j - 1]))
    return row[-1] / max(1, len(ref))


def speech_mp4(path: Path, samples: np.ndarray, rate: int, lead: float = 0.5, tail: float = 0.5):
    """A small portrait MP4 (grey pictures, 15 fps) with `samples` as its sound, `lead`
    seconds into it; its length in seconds."""
    pad = np.zeros(round(lead * rate), np.int16), np.zeros(round(tail * rate), np.int16)
    sound = np.concatenate([pad[0], samples.astype(np.int16), pad[1]])
    seconds = sound.size / rate
    fps = 15
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 108, 192, "yuv420p"
        audio = container.add_stream("aac", rate=48000)
        audio.layout = "mono"
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=48000)
        frame = av.AudioFrame.from_ndarray(sound.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, 0, Fraction(1, rate)
        pieces = resampler.resample(frame) + resampler.resample(None)
        for piece in pieces:
            piece.pts = None
            for packet in audio.encode(piece):
                container.mux(packet)
        container.mux(audio.encode(None))
        grey = np.full((192, 108, 3), 90, np.uint8)
        for i in range(round(seconds * fps)):
            picture = av.VideoFrame.from_ndarray(grey, format="rgb24").reformat(format="yuv420p")
            picture.pts, picture.time_base = i, Fraction(1, fps)
            container.mux(video.encode(picture))
        container.mux(video.encode(None))
    return seconds


def speech_draft(store, samples=None, rate=None, lead: float = 0.5, silent: bool = False):
    """A draft of one take: SCRIPT spoken (or silence), starting `lead` s into the reel."""
    if samples is None:
        samples, rate, _ = speak()
    if silent:
        samples = np.zeros_like(samples)
    draft = store.create("speech")
    media = store.folder(draft.id) / "media" / "speech.mp4"
    seconds = speech_mp4(media, samples, rate, lead)
    draft = draft.with_changes(
        segments=(Segment(media="media/speech.mp4", duration=seconds, id="s0001"),)
    )
    store.save(draft)
    return store.load(draft.id)
