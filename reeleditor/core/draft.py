"""The draft model: a reel's recipe as frozen dataclasses with a versioned dict form."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from reeleditor.core.errors import DraftFormatError
from reeleditor.core.fields import inside_draft, new_id
from reeleditor.core.fields import number as _num
from reeleditor.core.fields import obj as _dict
from reeleditor.core.fields import text as _str
from reeleditor.core.words import DEFAULT_DUCK_DB, Captions, TextOverlay, VoiceOver

SCHEMA_VERSION = 6
DEFAULT_MAX_DURATION = 90.0
DEFAULT_SIZE = (1080, 1920)
DEFAULT_FPS = 30

ADJUSTMENT_NAMES = (
    "brightness",
    "contrast",
    "saturation",
    "warmth",
    "tint",
    "fade",
    "vignette",
    "grain",
    "sharpen",
)
SPEEDS = (0.3, 0.5, 1.0, 2.0, 3.0)  # as in Reels; reel seconds = media seconds / speed
FITS = ("fill", "fit", "blur")  # crop to cover, letterbox on black, over a blurred copy
KINDS = ("take", "clip", "photo")  # recorded here, a video from disk, a still from disk
TRANSITIONS = ("cut", "crossfade", "dip", "slide", "zoom")  # dip: through black
TRANSITION_RANGE = (0.2, 1.0)  # seconds a transition other than a cut may last
DEFAULT_TRANSITION_SECONDS = 0.5


@dataclass(frozen=True)
class Segment:
    """One recorded or imported clip, trimmed to [trim_in, trim_out) seconds."""

    media: str  # path relative to the draft folder, '/'-separated
    duration: float  # seconds of media in the file
    id: str = field(default_factory=new_id)
    trim_in: float = 0.0
    trim_out: float | None = None  # None: to the end
    speed: float = 1.0  # one of SPEEDS
    fit: str = "fill"  # one of FITS: how a picture of another shape fills the reel's frame
    kind: str = "take"  # one of KINDS; a photo's duration is its chosen still length
    # how this segment hands over to the next one; the two overlap for transition_seconds
    # (reel time), so the reel is that much shorter. Ignored on the last segment.
    transition: str = "cut"  # one of TRANSITIONS
    transition_seconds: float = 0.0  # 0 for a cut, else within TRANSITION_RANGE

    @property
    def media_length(self) -> float:
        """Seconds of the media file this segment plays (after trims)."""
        end = self.duration if self.trim_out is None else min(self.trim_out, self.duration)
        return max(0.0, end - self.trim_in)

    @property
    def length(self) -> float:
        """Seconds this segment contributes to the reel."""
        return self.media_length / self.speed

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "media": self.media,
            "duration": self.duration,
            "trim_in": self.trim_in,
            "trim_out": self.trim_out,
            "speed": self.speed,
            "fit": self.fit,
            "kind": self.kind,
            "transition": self.transition,
            "transition_seconds": self.transition_seconds,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Segment:
        data = _dict(data, "a segment")
        media = _str(data, "media")
        if not inside_draft(media):
            raise DraftFormatError(f"segment media path {media!r} must stay inside the draft")
        trim_out = data.get("trim_out")
        speed = _num(data, "speed", 1.0)
        if speed not in SPEEDS:
            raise DraftFormatError(f"segment speed {speed:g} is not one of {_speeds_text()}")
        fit, kind = _str(data, "fit", "fill"), _str(data, "kind", "take")
        if fit not in FITS or kind not in KINDS:
            raise DraftFormatError(f"segment fit {fit!r} / kind {kind!r} is not known")
        transition = _str(data, "transition", "cut")
        if transition not in TRANSITIONS:
            raise DraftFormatError(f"segment transition {transition!r} is not known")
        seconds = _num(data, "transition_seconds", 0.0, lo=0, hi=TRANSITION_RANGE[1])
        if transition == "cut":
            seconds = 0.0
        elif seconds < TRANSITION_RANGE[0]:
            raise DraftFormatError(f"a {transition} of {seconds:g} s is shorter than 0.2 s")
        return cls(
            id=_str(data, "id"),
            media=media,
            duration=_num(data, "duration", lo=0),
            trim_in=_num(data, "trim_in", 0.0, lo=0),
            trim_out=None if trim_out is None else _num(data, "trim_out", lo=0),
            speed=speed,
            fit=fit,
            kind=kind,
            transition=transition,
            transition_seconds=seconds,
        )


def overlap_frames(frames: list[int], wanted: list[int]) -> list[int]:
    """The frames each boundary's transition really overlaps, given segment frame counts.

    `wanted[i]` is the transition after segment i (len(frames) - 1 of them). A trim or a
    speed change can leave a transition longer than what is left of a segment, so each one
    is cut to fit, first come first served: boundary i takes at most what segment i has
    not given to boundary i-1, and at most all of segment i+1. The export, the preview and
    the timeline all call this, so they agree on every frame.
    """
    out: list[int] = []
    given = 0  # frames of segment i already inside the transition before it
    for i, want in enumerate(wanted):
        k = max(0, min(want, frames[i] - given, frames[i + 1]))
        out.append(k)
        given = k
    return out


def _speeds_text() -> str:
    return ", ".join(f"{s:g}x" for s in SPEEDS)


@dataclass(frozen=True)
class Look:
    """A named look at a strength, plus manual adjustments (-100..100 each)."""

    name: str = "none"
    strength: float = 100.0  # percent, 0..100
    adjustments: tuple[tuple[str, float], ...] = ()

    def adjustment(self, name: str) -> float:
        return dict(self.adjustments).get(name, 0.0)

    def to_dict(self) -> dict:
        return {"name": self.name, "strength": self.strength, "adjustments": dict(self.adjustments)}

    @classmethod
    def from_dict(cls, data: Any) -> Look:
        data = _dict(data, "the look")
        adj = _dict(data.get("adjustments", {}), "look adjustments")
        cleaned = []
        for key in sorted(adj):
            if key not in ADJUSTMENT_NAMES:
                raise DraftFormatError(f"unknown adjustment {key!r}")
            cleaned.append((key, _num(adj, key, lo=-100, hi=100)))
        return cls(
            name=_str(data, "name", "none"),
            strength=_num(data, "strength", 100.0, lo=0, hi=100),
            adjustments=tuple(cleaned),
        )


@dataclass(frozen=True)
class MusicCue:
    """Which part of which song plays under the reel, and how loud."""

    track: str  # a file path, or 'library:<name>' for a bundled track
    start: float = 0.0  # offset into the song, seconds
    volume: float = 1.0  # 0..2
    fade_in: float = 0.0
    fade_out: float = 0.0

    def to_dict(self) -> dict:
        return {
            "track": self.track,
            "start": self.start,
            "volume": self.volume,
            "fade_in": self.fade_in,
            "fade_out": self.fade_out,
        }

    @classmethod
    def from_dict(cls, data: Any) -> MusicCue:
        data = _dict(data, "the music cue")
        return cls(
            track=_str(data, "track"),
            start=_num(data, "start", 0.0, lo=0),
            volume=_num(data, "volume", 1.0, lo=0, hi=2),
            fade_in=_num(data, "fade_in", 0.0, lo=0),
            fade_out=_num(data, "fade_out", 0.0, lo=0),
        )


@dataclass(frozen=True)
class Draft:
    """A reel in progress: segments in order, the look, the music, the cover."""

    id: str
    title: str
    created: float  # unix seconds
    updated: float
    segments: tuple[Segment, ...] = ()
    look: Look = field(default_factory=Look)
    music: MusicCue | None = None
    original_volume: float = 1.0  # 0 mutes the recorded sound
    cover_time: float | None = None  # None: the first frame that is not black
    max_duration: float = DEFAULT_MAX_DURATION
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    fps: int = DEFAULT_FPS
    texts: tuple[TextOverlay, ...] = ()  # words on screen, in the order they are drawn
    captions: Captions | None = None
    voiceovers: tuple[VoiceOver, ...] = ()
    duck_db: float = DEFAULT_DUCK_DB  # how far the music drops under a voice-over (0: not)

    @property
    def duration(self) -> float:
        """Reel seconds: the segments' lengths less the transitions' overlaps."""
        return sum(s.length for s in self.segments) - sum(self.overlaps()) / self.fps

    def overlaps(self) -> list[int]:
        """Frames segment i shares with segment i+1, one per boundary (see overlap_frames)."""
        frames = [round(s.length * self.fps) for s in self.segments]
        wanted = [
            0 if s.transition == "cut" else round(s.transition_seconds * self.fps)
            for s in self.segments
        ]
        return overlap_frames(frames, wanted[:-1])

    @property
    def remaining(self) -> float:
        return max(0.0, self.max_duration - self.duration)

    def with_changes(self, **changes: Any) -> Draft:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "segments": [s.to_dict() for s in self.segments],
            "look": self.look.to_dict(),
            "music": None if self.music is None else self.music.to_dict(),
            "original_volume": self.original_volume,
            "cover_time": self.cover_time,
            "max_duration": self.max_duration,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "texts": [t.to_dict() for t in self.texts],
            "captions": None if self.captions is None else self.captions.to_dict(),
            "voiceovers": [v.to_dict() for v in self.voiceovers],
            "duck_db": self.duck_db,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Draft:
        """Build from the current schema; run `migrations.migrate` first on stored data."""
        data = _dict(data, "draft.json")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DraftFormatError(f"schema_version {version!r} is not {SCHEMA_VERSION}")
        segments = data.get("segments", [])
        if not isinstance(segments, list):
            raise DraftFormatError("field 'segments' must be a list")
        music = data.get("music")
        cover = data.get("cover_time")
        texts, voiceovers = data.get("texts", []), data.get("voiceovers", [])
        if not isinstance(texts, list) or not isinstance(voiceovers, list):
            raise DraftFormatError("fields 'texts' and 'voiceovers' must be lists")
        captions = data.get("captions")
        width = int(_num(data, "width", DEFAULT_SIZE[0], lo=16, hi=8192))
        height = int(_num(data, "height", DEFAULT_SIZE[1], lo=16, hi=8192))
        if width % 2 or height % 2:
            raise DraftFormatError(f"size {width}x{height} must be even for H.264")
        return cls(
            id=_str(data, "id"),
            title=_str(data, "title", ""),
            created=_num(data, "created", 0.0),
            updated=_num(data, "updated", 0.0),
            segments=tuple(Segment.from_dict(s) for s in segments),
            look=Look.from_dict(data.get("look", {})),
            music=None if music is None else MusicCue.from_dict(music),
            original_volume=_num(data, "original_volume", 1.0, lo=0, hi=2),
            cover_time=None if cover is None else _num(data, "cover_time", lo=0),
            max_duration=_num(data, "max_duration", DEFAULT_MAX_DURATION, lo=1, hi=3600),
            width=width,
            height=height,
            fps=int(_num(data, "fps", DEFAULT_FPS, lo=1, hi=120)),
            texts=tuple(TextOverlay.from_dict(t) for t in texts),
            captions=None if captions is None else Captions.from_dict(captions),
            voiceovers=tuple(VoiceOver.from_dict(v) for v in voiceovers),
            duck_db=_num(data, "duck_db", DEFAULT_DUCK_DB, lo=0, hi=40),
        )


DRAFT_FIELDS = tuple(f.name for f in fields(Draft))
