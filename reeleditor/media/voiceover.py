"""Voice-over files: an audio file checked and copied in, narration recorded from a
microphone and written as a WAV, and the reel's whole mix for the preview to play."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
import wave
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.errors import MediaError
from reeleditor.core.progress import Progress
from reeleditor.core.words import VoiceOver
from reeleditor.media.music import RATE, decode_audio
from reeleditor.storage.atomic import fsync_dir

COPY_CHUNK = 4 << 20
READ_EVERY = 0.05  # seconds between microphone reads: its buffer holds 5 s, this is plenty
MIN_VOICE_SECONDS = 0.1  # a shorter recording (a double click) is not kept
SLACK_SECONDS = 2.0  # how long past the reel's end a recording may run before it stops itself
# a file this much longer than the reel can ever be is not narration for it (an album, a
# podcast): refused from its header before minutes of decoding and a copy of it
LONG_FILE_SLACK = 60.0


def audio_seconds(path: Path) -> float:
    """Seconds of sound in `path`, decoded whole (so a damaged file is refused now, not at
    export); MediaError in one line naming the file if it is not audio."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    samples = decode_audio(path)
    return samples.shape[1] / RATE


def _header_seconds(path: Path) -> float | None:
    """The length the file's header declares (cheap: nothing decoded); None if unknown."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / av.time_base
            audio = next(iter(container.streams.audio), None)
            if audio is not None and audio.duration is not None and audio.time_base:
                return float(audio.duration * audio.time_base)
    except (av.error.FFmpegError, OSError):
        return None  # decoding it says what is wrong, in its own words
    return None


def _check_length(path: Path, seconds: float, limit: float) -> None:
    if seconds > limit:
        raise MediaError(
            f"{path.name} is {seconds / 60:.1f} min long, far past the reel's "
            f"{(limit - LONG_FILE_SLACK):g} s; cut the narration out of it first"
        )


def check_start(draft: Draft, at: float) -> None:
    """Refuse a voice-over that would start before the reel or after its end."""
    if at < 0 or (draft.segments and at >= draft.duration):
        raise MediaError(
            f"--at {at:g} s is outside the reel (0 to {draft.duration:.2f} s)",
            "start the voice-over inside the reel",
        )


def import_voiceover(
    store, draft_id: str, path: Path, at: float = 0.0, volume: float = 1.0
) -> Generator[Progress, None, VoiceOver]:
    """Check `path` is audio, copy it into the draft's media folder, return the VoiceOver.

    The copy goes to a temp name, is fsynced and renamed once whole: a cancel or a crash
    leaves no half file under a name the recipe could point at.
    """
    path = Path(path)
    # said before the decode, which takes a while for a long file; a refusal copies nothing
    yield Progress("import", 0, None, f"checking {path.name}")
    limit = store.load(draft_id).max_duration + LONG_FILE_SLACK
    declared = _header_seconds(path) if path.is_file() else None
    if declared is not None:
        _check_length(path, declared, limit)
    seconds = audio_seconds(path)
    _check_length(path, seconds, limit)  # a header can be missing or wrong
    yield Progress("import", 0, None, f"checked {path.name}")
    voice_id = uuid.uuid4().hex[:12]
    dest = store.media_dir(draft_id) / f"voice-{voice_id}{path.suffix.lower()}"
    total, done = path.stat().st_size, 0
    with _landing(dest) as tmp, open(path, "rb") as src, open(tmp, "wb") as out:
        while chunk := src.read(COPY_CHUNK):
            out.write(chunk)
            done += len(chunk)
            yield Progress("copy", done, total, f"copying {path.name}", unit="bytes")
        out.flush()
        os.fsync(out.fileno())
    return VoiceOver(f"media/{dest.name}", round(seconds, 6), at, voice_id, volume)


@contextlib.contextmanager
def _landing(dest: Path):
    """A temp path beside `dest`, renamed onto it when the block ends well, else removed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        yield tmp
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        raise MediaError(f"{dest.name} could not be written into the draft: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def discard_voiceover(store, draft_id: str, voice: VoiceOver) -> None:
    """Remove a copied file whose edit was refused (the recipe never pointed at it)."""
    with contextlib.suppress(OSError):
        (store.folder(draft_id) / voice.media).unlink()


def write_wav(samples: np.ndarray, rate: int, dest: Path) -> None:
    """`samples` (n, channels) float32 as 16-bit PCM WAV at `dest`, atomically.

    WAV: every decoder reads it, it needs no encoder, and narration is short (a minute of
    mono is 5.8 MB); the export encodes it with the rest of the mix anyway.
    """
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with _landing(Path(dest)) as tmp, open(tmp, "wb") as raw:
        with wave.open(raw, "wb") as out:
            out.setnchannels(pcm.shape[1])
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm.tobytes())
        raw.flush()
        os.fsync(raw.fileno())


class NarrationRecorder:
    """Records an AudioInput until `stop()` (kept) or a cancel (thrown away).

    `run` is the task's generator: it yields the seconds recorded so far and returns the
    VoiceOver written into the draft's media folder, or None when less than
    MIN_VOICE_SECONDS came. `clock()` gives the time.monotonic() at which the playing reel's
    second 0 is due (None until it is known): with it the voice is placed where the reel
    was when its first sample was heard, not where playback was asked to start, which
    differs by the time the player takes to open its files (100-300 ms for a few clips).
    """

    def __init__(
        self,
        store,
        draft_id: str,
        audio_input,
        at: float,
        max_seconds: float,
        clock: Callable[[], float | None] | None = None,
    ) -> None:
        self.store, self.draft_id, self.input = store, draft_id, audio_input
        self.at, self.max_seconds, self.clock = at, max_seconds, clock
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> Generator[Progress, None, VoiceOver | None]:
        chunks: list[np.ndarray] = []
        got, heard, zero = 0, None, None
        rate = self.input.sample_rate
        # with a clock the reel's end stops the recording; this is only a backstop
        limit = (self.max_seconds + (SLACK_SECONDS if self.clock else 0.0)) * rate
        self.input.start()
        try:
            while True:
                # an Event wait, not a sleep: stop() ends it at once
                stopping = self._stop.wait(READ_EVERY)
                if zero is None and self.clock is not None:
                    zero = self.clock()
                block, first = self.input.read()
                if block.size:
                    heard = first if heard is None else heard
                    chunks.append(np.asarray(block, np.float32).reshape(len(block), -1))
                    got += len(block)
                yield Progress("voice", got / rate, self.max_seconds, "recording the voice-over")
                if stopping or got >= limit:
                    break
        finally:
            self.input.stop()
        if not chunks:
            return None
        samples, at = np.concatenate(chunks), self.at
        if zero is not None and heard is not None:
            reel_time = heard - zero  # the reel second showing when the first sample came
            if reel_time < at:  # the microphone ran before the reel got to `at`
                samples = samples[round((at - reel_time) * rate) :]
            else:
                at = round(reel_time, 3)
        samples = samples[: max(0, round((self.at + self.max_seconds - at) * rate))]
        if len(samples) < MIN_VOICE_SECONDS * rate:
            return None
        voice_id = uuid.uuid4().hex[:12]
        name = f"voice-{voice_id}.wav"
        write_wav(samples, rate, self.store.media_dir(self.draft_id) / name)
        return VoiceOver(f"media/{name}", round(len(samples) / rate, 6), at, voice_id)


# -- the preview's sound ----------------------------------------------------------------------
def sound_key(store, draft: Draft) -> str:
    """What decides the reel's mix: the sound parts of the recipe and each file's stamp."""
    recipe = draft.to_dict()
    parts = {k: recipe[k] for k in ("segments", "music", "original_volume", "fps")}
    parts["voiceovers"] = recipe["voiceovers"]
    parts["duck_db"] = recipe["duck_db"]
    files = [store.media_path(draft, s) for s in draft.segments]
    files += [store.folder(draft.id) / v.media for v in draft.voiceovers]
    parts["stamps"] = [_stamp(p) for p in files]
    canonical = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def _stamp(path: Path) -> list:
    try:
        st = Path(path).stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns]


def mix_path(store, draft: Draft, folder: Path) -> Path:
    """Where `render_mix` keeps this version of the draft's mix (it may not exist yet)."""
    return Path(folder) / f"mix-{sound_key(store, draft)}.wav"


def render_mix(store, draft: Draft, folder: Path) -> Path:
    """The reel's whole soundtrack (music ducked under the voice-overs) as a WAV in
    `folder`, named by its `sound_key`: made once per version of the mix, older ones
    removed. The preview plays it in place of the song when the reel has a voice-over."""
    from reeleditor.media.soundtrack import build_soundtrack
    from reeleditor.media.timeline import plan

    folder = Path(folder)
    dest = mix_path(store, draft, folder)
    if dest.is_file():
        os.utime(dest)
        return dest
    clips = plan(draft, store.media_path)
    mixed = build_soundtrack(draft, clips, folder=store.folder(draft.id))
    write_wav(mixed.T, RATE, dest)
    _prune(folder, keep=dest)
    return dest


def _prune(folder: Path, keep: Path, count: int = 4) -> None:
    """Keep the newest few mixes (undo goes back to one of them), delete the rest."""
    mixes = sorted(folder.glob("mix-*.wav"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in mixes if m != keep][count - 1 :]:
        with contextlib.suppress(OSError):
            old.unlink()
