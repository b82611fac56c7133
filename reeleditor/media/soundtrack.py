"""Builds the reel's whole soundtrack: original sound per segment, the music, the voice-overs
(with the music ducked under them), the mix."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.errors import MediaError
from reeleditor.core.mixing import duck, mix, music_bed, place_voices, to_stereo
from reeleditor.media.music import RATE, decode_audio, resolve_track
from reeleditor.media.tempo import change_tempo
from reeleditor.media.timeline import Clip
from reeleditor.media.transitions import clip_overlaps, reel_length


def clip_sound(
    clip: Clip, fps: int, rate: int = RATE, notices: list[str] | None = None
) -> np.ndarray:
    """The clip's own sound, stereo, exactly as long as its pictures (silence if none).

    At a speed other than 1x the media range is decoded, then tempo-changed with its pitch
    kept; where that cannot be done the clip is silent and `notices` says why.
    """
    length = round(clip.frames * rate / fps)
    if clip.speed == 1.0:
        return _media_sound(clip, length, rate)
    media = _media_sound(clip, round((clip.end - clip.start) * rate), rate)
    out = np.zeros((2, length), np.float32)
    if not clip.info.has_audio:
        return out
    try:
        fast = change_tempo(media, rate, clip.speed)
    except MediaError as exc:
        if notices is not None:
            notices.append(f"{clip.label} at {clip.speed:g}x is muted: {exc}")
        return out
    n = min(length, fast.shape[1])
    out[:, :n] = fast[:, :n]
    return out


def _media_sound(clip: Clip, length: int, rate: int) -> np.ndarray:
    """`length` samples of the clip's file from clip.start, stereo (silence if none)."""
    out = np.zeros((2, length), np.float32)
    if not clip.info.has_audio:
        return out
    first = round(clip.start * rate)
    try:
        with av.open(str(clip.path)) as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
            if clip.start > 0.5:
                container.seek(int(clip.start / stream.time_base), stream=stream)
            pos = None
            for frame in container.decode(stream):
                for chunk in resampler.resample(frame):
                    if pos is None:
                        start_t = float(chunk.pts * chunk.time_base) if chunk.pts is not None else 0
                        pos = round(start_t * rate)
                    data = to_stereo(chunk.to_ndarray())
                    lo, hi = pos - first, pos - first + data.shape[1]
                    pos += data.shape[1]
                    a, b = max(lo, 0), min(hi, length)
                    if b > a:
                        out[:, a:b] = data[:, a - lo : b - lo]
                    if hi >= length:
                        return out
    except av.error.FFmpegError as exc:
        raise MediaError(f"{clip.label}: its sound cannot be decoded ({exc})") from exc
    return out


def lay_out(sounds: list[np.ndarray], clips: list[Clip], fps: int, rate: int) -> np.ndarray:
    """The clips' sounds end to end, crossfaded where a transition overlaps two clips.

    Equal-power (cos/sin) fades: two unrelated sounds keep their loudness through the
    overlap, where a linear fade would dip by 3 dB mid-way. A cut is a plain join. The
    result is exactly the reel's frames long in samples.
    """
    frames = [c.frames for c in clips]
    overlaps = clip_overlaps(clips, fps)
    out = np.zeros((2, round(reel_length(frames, overlaps) * rate / fps)), np.float32)
    start = 0  # the clip's first reel frame
    for i, sound in enumerate(sounds):
        head = round(overlaps[i - 1] * rate / fps) if i > 0 else 0
        tail = round(overlaps[i] * rate / fps) if i < len(overlaps) else 0
        piece = sound.copy() if head or tail else sound
        if head:
            piece[:, :head] *= np.sin(_ramp(head) * (np.pi / 2))
        if tail:
            piece[:, piece.shape[1] - tail :] *= np.cos(_ramp(tail) * (np.pi / 2))
        first = round(start * rate / fps)
        n = min(piece.shape[1], out.shape[1] - first)
        out[:, first : first + n] += piece[:, :n]
        start += frames[i] - (overlaps[i] if i < len(overlaps) else 0)
    return out


def _ramp(n: int) -> np.ndarray:
    return ((np.arange(n, dtype=np.float32) + 0.5) / n).astype(np.float32)


def build_soundtrack(
    draft: Draft,
    clips: list[Clip],
    rate: int = RATE,
    notices: list[str] | None = None,
    folder: Path | None = None,
) -> np.ndarray:
    """The mixed soundtrack (2, n), n matching the pictures' total length.

    The music is not sped up: it plays under the whole reel. Voice-overs are read from the
    draft's `folder` (by default the one the clips' files are in) and the music ducks under
    them by `draft.duck_db`.
    """
    sounds = [clip_sound(c, draft.fps, rate, notices) for c in clips]
    original = lay_out(sounds, clips, draft.fps, rate)
    length = original.shape[1]
    music = None
    if draft.music is not None and draft.music.volume > 0:
        song = decode_audio(resolve_track(draft.music.track), rate)
        cue = draft.music
        music = music_bed(song, cue.start, length, rate, cue.volume, cue.fade_in, cue.fade_out)
    voice = None
    if draft.voiceovers:
        voice = voice_track(draft, folder or draft_folder(clips), length, rate)
        if music is not None:
            music = duck(music, voice, rate, draft.duck_db)
    return mix(original, draft.original_volume, music, voice)


def draft_folder(clips: list[Clip]) -> Path:
    """The draft's folder, from a clip's file and its recipe path (relative to the folder)."""
    clip = clips[0]
    return clip.path.parents[len(clip.segment.media.split("/")) - 1]


def check_voiceovers(draft: Draft, folder: Path) -> list[Path]:
    """The voice-overs' files; a missing one is named in a MediaError. The export calls
    this with its plan, before it writes or decodes anything, not minutes in."""
    paths = []
    for number, voice in enumerate(draft.voiceovers, 1):
        path = Path(folder, *voice.media.split("/"))
        if not path.is_file():
            raise MediaError(
                f"voice-over {number} ({voice.media}) is missing: {path}",
                "restore the file or remove the voice-over; nothing was written",
            )
        paths.append(path)
    return paths


def voice_track(draft: Draft, folder: Path, length: int, rate: int = RATE) -> np.ndarray:
    """The draft's voice-overs decoded and placed on the reel (2, length)."""
    placed = [
        (decode_audio(path, rate), voice.at, voice.volume)
        for path, voice in zip(check_voiceovers(draft, folder), draft.voiceovers, strict=True)
    ]
    return place_voices(placed, length, rate)
