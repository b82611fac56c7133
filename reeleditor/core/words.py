"""Words and voice in the recipe: text overlays, caption cues and voice-over tracks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reeleditor.core.errors import DraftFormatError
from reeleditor.core.fields import inside_draft
from reeleditor.core.fields import new_id as _new_id
from reeleditor.core.fields import number as _num
from reeleditor.core.fields import obj as _obj
from reeleditor.core.fields import text as _text

TEXT_STYLES = ("classic", "boxed", "outline", "neon", "typewriter")
TEXT_FONTS = ("sans", "display", "serif", "hand")  # bundled faces; emoji always fall back
TEXT_ALIGNS = ("left", "center", "right")
TEXT_ANIMATIONS = ("none", "fade", "pop", "slide", "typewriter")
MAX_TEXT_CHARS = 500  # more than fits a reel's frame at any readable size
SCALE_RANGE = (0.2, 5.0)
MIN_TEXT_SECONDS = 0.1
CAPTION_LINE_CHARS = 32  # at most 2 lines of 32 characters per cue
CAPTION_MIN_SECONDS = 0.8
DEFAULT_DUCK_DB = 12.0  # music drops this much under speech (side-chain, as CapCut does)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _choice(data: dict, key: str, default: str, allowed: tuple[str, ...]) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise DraftFormatError(f"field '{key}' = {value!r} is not one of {', '.join(allowed)}")
    return value


def _colour(data: dict, key: str, default: str | None) -> str | None:
    value = data.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise DraftFormatError(f"field '{key}' = {value!r} is not a colour like #ffcc00")
    return value.lower()


@dataclass(frozen=True)
class TextStyle:
    """How words look: shared by text overlays and captions, so both draw the same way."""

    style: str = "classic"  # one of TEXT_STYLES
    font: str = "sans"  # one of TEXT_FONTS
    colour: str = "#ffffff"
    background: str | None = None  # a box behind the text, or None
    align: str = "center"  # one of TEXT_ALIGNS
    size: float = 64.0  # font pixels at the reel's 1080-pixel width, before `scale`

    def to_dict(self) -> dict:
        return {
            "style": self.style,
            "font": self.font,
            "colour": self.colour,
            "background": self.background,
            "align": self.align,
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TextStyle:
        data = _obj(data, "a text style")
        return cls(
            style=_choice(data, "style", "classic", TEXT_STYLES),
            font=_choice(data, "font", "sans", TEXT_FONTS),
            colour=_colour(data, "colour", "#ffffff") or "#ffffff",
            background=_colour(data, "background", None),
            align=_choice(data, "align", "center", TEXT_ALIGNS),
            size=_num(data, "size", 64.0, lo=8, hi=400),
        )


@dataclass(frozen=True)
class TextOverlay:
    """Words on the reel from `start` to `end` (reel seconds), placed, turned and animated.

    x, y are the text's centre as fractions of the frame (0..1, 0.5 is the middle), so a
    recipe reads the same at any output size.
    """

    text: str
    start: float
    end: float
    id: str = field(default_factory=_new_id)
    look: TextStyle = field(default_factory=TextStyle)
    x: float = 0.5
    y: float = 0.5
    scale: float = 1.0  # within SCALE_RANGE
    rotation: float = 0.0  # degrees, clockwise, -180..180
    enter: str = "none"  # one of TEXT_ANIMATIONS
    exit: str = "none"

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "look": self.look.to_dict(),
            "x": self.x,
            "y": self.y,
            "scale": self.scale,
            "rotation": self.rotation,
            "enter": self.enter,
            "exit": self.exit,
        }

    @classmethod
    def from_dict(cls, data: Any) -> TextOverlay:
        data = _obj(data, "a text overlay")
        text = _text(data, "text")
        if not text.strip() or len(text) > MAX_TEXT_CHARS:
            raise DraftFormatError(f"a text overlay holds 1-{MAX_TEXT_CHARS} characters")
        start = _num(data, "start", lo=0)
        end = _num(data, "end", lo=0)
        if end - start < MIN_TEXT_SECONDS - 1e-9:
            raise DraftFormatError(f"text {text[:20]!r} ends at {end:g} s, before {start:g} s")
        return cls(
            id=_text(data, "id"),
            text=text,
            start=start,
            end=end,
            look=TextStyle.from_dict(data.get("look", {})),
            x=_num(data, "x", 0.5, lo=0, hi=1),
            y=_num(data, "y", 0.5, lo=0, hi=1),
            scale=_num(data, "scale", 1.0, lo=SCALE_RANGE[0], hi=SCALE_RANGE[1]),
            rotation=_num(data, "rotation", 0.0, lo=-180, hi=180),
            enter=_choice(data, "enter", "none", TEXT_ANIMATIONS),
            exit=_choice(data, "exit", "none", TEXT_ANIMATIONS),
        )


@dataclass(frozen=True)
class Cue:
    """One caption on screen from `start` to `end` reel seconds: at most 2 lines of 32."""

    start: float
    end: float
    text: str  # lines joined by '\n'

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, data: Any) -> Cue:
        data = _obj(data, "a caption cue")
        start, end = _num(data, "start", lo=0), _num(data, "end", lo=0)
        if end <= start:
            raise DraftFormatError(f"caption cue {start:g}-{end:g} s ends before it starts")
        return cls(start, end, _text(data, "text"))


@dataclass(frozen=True)
class Captions:
    """The reel's captions: cues from speech recognition (editable), how they look, and
    whether the export burns them into the picture (a .vtt beside it is always written)."""

    cues: tuple[Cue, ...] = ()
    look: TextStyle = field(
        default_factory=lambda: TextStyle(style="boxed", size=48.0, background="#000000")
    )
    y: float = 0.78  # the cue's centre, as a fraction of the height: above platform buttons
    burn: bool = True
    language: str = "en-US"
    engine: str = ""  # which recogniser made them (blank: typed by hand)

    def to_dict(self) -> dict:
        return {
            "cues": [c.to_dict() for c in self.cues],
            "look": self.look.to_dict(),
            "y": self.y,
            "burn": self.burn,
            "language": self.language,
            "engine": self.engine,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Captions:
        data = _obj(data, "the captions")
        cues = data.get("cues", [])
        if not isinstance(cues, list):
            raise DraftFormatError("field 'cues' must be a list")
        burn = data.get("burn", True)
        if not isinstance(burn, bool):
            raise DraftFormatError(f"field 'burn' must be true or false, not {burn!r}")
        return cls(
            cues=tuple(Cue.from_dict(c) for c in cues),
            look=TextStyle.from_dict(data.get("look", cls().look.to_dict())),
            y=_num(data, "y", 0.78, lo=0, hi=1),
            burn=burn,
            language=_text(data, "language", "en-US"),
            engine=_text(data, "engine", ""),
        )


@dataclass(frozen=True)
class VoiceOver:
    """Narration recorded (or imported) over the reel, starting at `at` reel seconds."""

    media: str  # path relative to the draft folder, like a segment's
    duration: float  # seconds of sound in the file
    at: float = 0.0
    id: str = field(default_factory=_new_id)
    volume: float = 1.0  # 0..2

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "media": self.media,
            "duration": self.duration,
            "at": self.at,
            "volume": self.volume,
        }

    @classmethod
    def from_dict(cls, data: Any) -> VoiceOver:
        data = _obj(data, "a voice-over")
        media = _text(data, "media")
        if not inside_draft(media):
            raise DraftFormatError(f"voice-over path {media!r} must stay inside the draft")
        return cls(
            id=_text(data, "id"),
            media=media,
            duration=_num(data, "duration", lo=0),
            at=_num(data, "at", 0.0, lo=0),
            volume=_num(data, "volume", 1.0, lo=0, hi=2),
        )
