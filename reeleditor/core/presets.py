"""Export presets: quality against size, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

from reeleditor.core.errors import ReelEditorError


@dataclass(frozen=True)
class Preset:
    name: str
    crf: int  # x264 constant rate factor: lower is better and larger
    maxrate: str  # peak video bitrate, so no platform rejects a spike
    bufsize: str
    x264_preset: str
    audio_bitrate: int
    description: str


PRESETS = {
    p.name: p
    for p in (
        Preset("high", 18, "16M", "32M", "fast", 192_000, "best quality, larger file"),
        Preset("standard", 21, "10M", "20M", "veryfast", 160_000, "what platforms re-encode well"),
        Preset("small", 26, "4M", "8M", "veryfast", 96_000, "quick to send on a slow connection"),
    )
}
PRESET_NAMES = tuple(PRESETS)


def preset_named(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ReelEditorError(
            f"no export preset {name!r}", f"choose one of {', '.join(PRESETS)}"
        ) from None
