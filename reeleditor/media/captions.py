"""Auto-captions: the reel's speech (its own sound and voice-overs, never the music) heard by
a Recognizer, and the words cut into caption cues a viewer can read."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path

import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.errors import Cancelled, MediaError
from reeleditor.core.progress import Progress
from reeleditor.core.words import CAPTION_LINE_CHARS, CAPTION_MIN_SECONDS, Captions, Cue
from reeleditor.media.speech import RATE, Recognizer, Word

MAX_LINES = 2
PAUSE_SECONDS = 0.6  # a breath this long between words starts a new cue
SHORT_PAUSE_SECONDS = 0.3  # ... and this long, once the cue holds half a line (a sentence end)
MAX_CUE_SECONDS = 6.0  # longer than this on screen and a viewer loses the place
SILENCE_PEAK = 0.003  # about -50 dBFS: below this at its loudest, nothing was said
_POLL_S = 0.1
_CAPITAL = {"i", "i'm", "i'll", "i've", "i'd"}


def speech_audio(store, draft: Draft) -> np.ndarray:
    """The reel's speech as float32 mono at 16 kHz on the reel's timeline: each segment's
    own sound (crossfaded through transitions, as exported) plus the voice-overs.

    The music is left out: it is not speech, and it is what recognisers stumble on. The
    original sound is left out when the draft mutes it (then it is not what is heard).
    """
    from reeleditor.media.music import decode_audio
    from reeleditor.media.soundtrack import clip_sound, lay_out
    from reeleditor.media.timeline import plan

    clips = plan(draft, store.media_path)
    sounds = [clip_sound(c, draft.fps, RATE) for c in clips]
    stereo = lay_out(sounds, clips, draft.fps, RATE)
    if draft.original_volume <= 0:
        stereo[:] = 0
    folder = Path(store.folder(draft.id))
    for number, voice in enumerate(draft.voiceovers, 1):
        path = Path(folder, *voice.media.split("/"))
        if not path.is_file():
            raise MediaError(f"voice-over {number} ({voice.media}) is missing: {path}")
        sound = decode_audio(path, RATE) * voice.volume
        first = round(voice.at * RATE)
        n = max(0, min(sound.shape[1], stereo.shape[1] - first))
        stereo[:, first : first + n] += sound[:, :n]
    return stereo.mean(axis=0).astype(np.float32)


def to_pcm16(mono: np.ndarray) -> np.ndarray:
    """float -1..1 to int16, quiet speech raised to a full-scale peak (loud left alone)."""
    peak = float(np.abs(mono).max()) if mono.size else 0.0
    gain = 0.9 / peak if 0 < peak < 0.9 else 1.0
    return np.clip(mono * gain * 32767, -32768, 32767).astype(np.int16)


def _wrap(words: list[str], width: int = CAPTION_LINE_CHARS) -> list[str] | None:
    """Greedy lines of at most `width` characters; None when they need more than 2 lines."""
    lines: list[str] = []
    for word in words:
        word = word[:width]  # a single word longer than a line is cut, not overflowed
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines if len(lines) <= MAX_LINES else None


def _display(word: str) -> str:
    return word.capitalize() if word in _CAPITAL else word


def words_to_cues(words: list[Word], reel_seconds: float | None = None) -> list[Cue]:
    """Cues of at most 2 lines of 32 characters, each on screen at least 0.8 s, never
    overlapping; a new cue starts at a pause (a shorter one once the cue holds half a
    line: recognisers give no full stops, but speakers pause at them), after punctuation
    a recogniser may give, or when one is full."""
    groups: list[list[Word]] = []
    for word in words:
        if not word.text.strip():
            continue
        current = groups[-1] if groups else None
        if current is not None and (
            word.start - current[-1].end >= PAUSE_SECONDS
            or (
                word.start - current[-1].end >= SHORT_PAUSE_SECONDS
                and len(" ".join(w.text for w in current)) >= CAPTION_LINE_CHARS // 2
            )
            or current[-1].text.endswith((".", "?", "!"))
            or word.end - current[0].start > MAX_CUE_SECONDS
            or _wrap([w.text for w in current] + [word.text]) is None
        ):
            current = None
        if current is None:
            groups.append([word])
        else:
            current.append(word)
    cues: list[Cue] = []
    for group in groups:
        texts = [_display(w.text) for w in group]
        texts[0] = texts[0][:1].upper() + texts[0][1:]
        cues.append(Cue(group[0].start, group[-1].end, "\n".join(_wrap(texts) or texts)))
    return _fit_times(cues, reel_seconds)


def _fit_times(cues: list[Cue], reel_seconds: float | None) -> list[Cue]:
    """Stretch short cues to CAPTION_MIN_SECONDS: later first, into the gap after them,
    then earlier, into the gap before; never over a neighbour or past the reel's end."""
    fitted: list[Cue] = []
    for i, cue in enumerate(cues):
        start, end = cue.start, cue.end
        limit = cues[i + 1].start if i + 1 < len(cues) else (reel_seconds or end + 10)
        floor = fitted[-1].end if fitted else 0.0
        start = max(start, floor)
        if end - start < CAPTION_MIN_SECONDS:
            end = min(max(end, start + CAPTION_MIN_SECONDS), max(limit, end))
        if end - start < CAPTION_MIN_SECONDS:
            start = max(floor, end - CAPTION_MIN_SECONDS)
        if end <= start:
            end = start + 0.01  # two words heard on top of each other: keep both readable
        fitted.append(Cue(round(start, 3), round(end, 3), cue.text))
    return fitted


def hear(
    store,
    draft: Draft,
    recognizer: Recognizer,
    should_cancel: Callable[[], bool] | None = None,
) -> Generator[Progress, None, list[Word]]:
    """The words of the reel's speech, on the reel's timeline; yields Progress.

    The recogniser runs on a thread of its own so progress is yielded while it works;
    closing the generator (a cancel) stops it at its next chunk and waits for it.
    Raises MediaError "no speech found" for a silent reel.
    """
    yield Progress("captions", 0, None, "reading the reel's sound")
    mono = speech_audio(store, draft)
    if mono.size == 0 or float(np.abs(mono).max()) < SILENCE_PEAK:
        raise MediaError(_NO_SPEECH, _NO_SPEECH_HINT)  # before the gain lifts the hiss
    pcm = to_pcm16(mono)
    seconds = pcm.size / RATE
    stop = threading.Event()
    updates: queue.Queue = queue.Queue()
    outcome: dict = {}

    def cancelled() -> bool:
        return stop.is_set() or (should_cancel is not None and should_cancel())

    def run() -> None:
        try:
            outcome["words"] = recognizer.words(
                pcm, RATE, cancelled, lambda done, total: updates.put(done)
            )
        except BaseException as exc:  # raised again on the generator's thread
            outcome["error"] = exc
        finally:
            updates.put(None)

    worker = threading.Thread(target=run, name="captions-recognise", daemon=True)
    worker.start()
    try:
        while True:
            try:
                done = updates.get(timeout=_POLL_S)
            except queue.Empty:
                done = -1.0
            if done is None:
                break
            if done >= 0:
                yield Progress("captions", round(done, 1), round(seconds, 1), "", "s")
            if should_cancel is not None and should_cancel():
                raise Cancelled("the captions were cancelled")
    finally:
        stop.set()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["words"]


def transcribe(
    store,
    draft: Draft,
    recognizer: Recognizer,
    should_cancel: Callable[[], bool] | None = None,
) -> Generator[Progress, None, Captions]:
    """Recognise the reel's speech and cut it into cues; yields Progress, returns the
    draft's new Captions (the look, place and burn setting it already has are kept).

    Raises MediaError "no speech found" for a silent reel or one where no word is heard;
    Cancelled when `should_cancel()` turns true. The draft is not touched: the caller
    stores the result.
    """
    words = yield from hear(store, draft, recognizer, should_cancel)
    cues = words_to_cues(words, draft.duration)
    if not cues:
        raise MediaError(_NO_SPEECH, _NO_SPEECH_HINT)
    base = draft.captions or Captions()
    return replace(base, cues=tuple(cues), engine=recognizer.name)


_NO_SPEECH = "no speech found in the reel's sound"
_NO_SPEECH_HINT = "captions need someone talking: in a take or a voice-over"
