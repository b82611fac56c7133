"""Edits of text overlays, captions and voice-overs as pure functions: each returns a Draft."""

from __future__ import annotations

from dataclasses import replace

from reeleditor.core.draft import Draft
from reeleditor.core.errors import DraftError
from reeleditor.core.words import (
    MAX_TEXT_CHARS,
    MIN_TEXT_SECONDS,
    SCALE_RANGE,
    Captions,
    Cue,
    TextOverlay,
    VoiceOver,
)


def _touch(draft: Draft, now: float, **changes) -> Draft:
    return draft.with_changes(updated=max(now, draft.updated), **changes)


def check_text(overlay: TextOverlay, reel_seconds: float) -> None:
    """Refuse, in one line naming the value, text that is empty, too long or off the frame."""
    words = overlay.text
    if not words.strip():
        raise DraftError("the text is empty", "type the words to show, e.g. --text 'Hello'")
    if len(words) > MAX_TEXT_CHARS:
        raise DraftError(
            f"the text has {len(words)} characters; a text overlay holds at most {MAX_TEXT_CHARS}",
            "split it into several texts or shorten it",
        )
    for name, value in (("x", overlay.x), ("y", overlay.y)):
        if not 0.0 <= value <= 1.0:
            raise DraftError(
                f"--{name} {value:g} is outside the frame (0 is one edge, 1 the other)",
                "give the text's centre as a fraction of the frame, e.g. 0.5",
            )
    lo, hi = SCALE_RANGE
    if not lo <= overlay.scale <= hi:
        raise DraftError(f"scale {overlay.scale:g} is outside {lo:g}-{hi:g}")
    if not -180 <= overlay.rotation <= 180:
        raise DraftError(f"rotation {overlay.rotation:g} is outside -180..180 degrees")
    if overlay.start < 0 or overlay.end - overlay.start < MIN_TEXT_SECONDS:
        raise DraftError(
            f"text from {overlay.start:g} s for {overlay.end - overlay.start:g} s shows nothing",
            f"give --for at least {MIN_TEXT_SECONDS:g} s",
        )
    if reel_seconds > 0 and overlay.start >= reel_seconds:
        raise DraftError(
            f"text at {overlay.start:g} s starts after the reel ends ({reel_seconds:.2f} s)",
            "pick a time inside the reel",
        )


def add_text(draft: Draft, overlay: TextOverlay, now: float) -> Draft:
    check_text(overlay, draft.duration)
    return _touch(draft, now, texts=(*draft.texts, overlay))


def update_text(draft: Draft, text_id: str, now: float, **changes) -> Draft:
    """Change fields of one overlay (text, start, end, look, x, y, scale, rotation, ...)."""
    texts = list(draft.texts)
    for i, overlay in enumerate(texts):
        if overlay.id == text_id:
            changed = replace(overlay, **changes)
            check_text(changed, draft.duration)
            texts[i] = changed
            return _touch(draft, now, texts=tuple(texts))
    raise DraftError(f"draft {draft.id} has no text {text_id}")


def remove_text(draft: Draft, text_id: str, now: float) -> Draft:
    kept = tuple(t for t in draft.texts if t.id != text_id)
    if len(kept) == len(draft.texts):
        raise DraftError(f"draft {draft.id} has no text {text_id}")
    return _touch(draft, now, texts=kept)


def set_captions(draft: Draft, captions: Captions | None, now: float) -> Draft:
    return _touch(draft, now, captions=captions)


def edit_cue(
    draft: Draft,
    index: int,
    now: float,
    *,
    text: str | None = None,
    start: float | None = None,
    end: float | None = None,
) -> Draft:
    """Fix a cue's words or re-time it (index is 0-based); cues keep their order."""
    captions = draft.captions
    if captions is None or not 0 <= index < len(captions.cues):
        count = 0 if captions is None else len(captions.cues)
        raise DraftError(f"draft {draft.id} has no caption {index + 1} (it has {count})")
    cue = captions.cues[index]
    new = Cue(
        cue.start if start is None else start,
        cue.end if end is None else end,
        cue.text if text is None else text,
    )
    if new.end <= new.start:
        raise DraftError(f"caption {index + 1} would end ({new.end:g} s) before it starts")
    if not new.text.strip():
        raise DraftError(f"caption {index + 1} would be empty", "remove the caption instead")
    cues = list(captions.cues)
    cues[index] = new
    cues.sort(key=lambda c: c.start)
    return _touch(draft, now, captions=replace(captions, cues=tuple(cues)))


def add_voiceover(draft: Draft, voice: VoiceOver, now: float) -> Draft:
    if voice.at < 0:
        raise DraftError(f"a voice-over cannot start before the reel ({voice.at:g} s)")
    return _touch(draft, now, voiceovers=(*draft.voiceovers, voice))


def remove_voiceover(draft: Draft, voice_id: str, now: float) -> Draft:
    kept = tuple(v for v in draft.voiceovers if v.id != voice_id)
    if len(kept) == len(draft.voiceovers):
        raise DraftError(f"draft {draft.id} has no voice-over {voice_id}")
    return _touch(draft, now, voiceovers=kept)


def set_voiceover_volume(draft: Draft, voice_id: str, volume: float, now: float) -> Draft:
    if not 0 <= volume <= 2:
        raise DraftError(f"volume {volume:g} is outside 0-2 (1 = as recorded)")
    if all(v.id != voice_id for v in draft.voiceovers):
        raise DraftError(f"draft {draft.id} has no voice-over {voice_id}")
    voices = tuple(replace(v, volume=volume) if v.id == voice_id else v for v in draft.voiceovers)
    return _touch(draft, now, voiceovers=voices)


def set_duck(draft: Draft, decibels: float, now: float) -> Draft:
    if not 0 <= decibels <= 40:
        raise DraftError(f"ducking of {decibels:g} dB is outside 0-40")
    return _touch(draft, now, duck_db=float(decibels))
