"""Upgrades stored draft dicts from older schema versions to the current one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reeleditor.core.draft import SCHEMA_VERSION
from reeleditor.core.errors import DraftFormatError


def _v1_to_v2(data: dict) -> dict:
    """Schema 1 (0.0.x) kept a bare filter name, 'path'/'length' segments and 'music_path'."""
    out = {k: v for k, v in data.items() if k not in ("filter", "filter_strength", "music_path")}
    out["look"] = {
        "name": data.get("filter") or "none",
        "strength": data.get("filter_strength", 100),
    }
    out["segments"] = [
        {
            "id": seg.get("id") or f"seg{i}",
            "media": seg.get("path"),
            "duration": seg.get("length"),
            "trim_in": seg.get("trim_in", 0.0),
            "trim_out": seg.get("trim_out"),
        }
        for i, seg in enumerate(data.get("segments", []))
        if isinstance(seg, dict)
    ]
    music_path = data.get("music_path")
    out["music"] = (
        {"track": music_path, "volume": data.get("music_volume", 1.0)} if music_path else None
    )
    out.pop("music_volume", None)
    out["schema_version"] = 2
    return out


def _v2_to_v3(data: dict) -> dict:
    """Schema 3 gave each segment a speed; every older segment played at 1x."""
    out = dict(data)
    out["segments"] = [
        {**seg, "speed": 1.0} if isinstance(seg, dict) else seg for seg in data.get("segments", [])
    ]
    out["schema_version"] = 3
    return out


def _v3_to_v4(data: dict) -> dict:
    """Schema 4 imports clips and photos: every older segment is a take, filled (cropped)."""
    out = dict(data)
    out["segments"] = [
        {**seg, "fit": "fill", "kind": "take"} if isinstance(seg, dict) else seg
        for seg in data.get("segments", [])
    ]
    out["schema_version"] = 4
    return out


def _v4_to_v5(data: dict) -> dict:
    """Schema 5 adds transitions between segments: every older boundary is a cut."""
    out = dict(data)
    out["segments"] = [
        {**seg, "transition": "cut", "transition_seconds": 0.0} if isinstance(seg, dict) else seg
        for seg in data.get("segments", [])
    ]
    out["schema_version"] = 5
    return out


def _v5_to_v6(data: dict) -> dict:
    """Schema 6 adds words and voice: no text, no captions, no voice-over, music ducking."""
    out = {**data, "texts": [], "captions": None, "voiceovers": [], "duck_db": 12.0}
    out["schema_version"] = 6
    return out


MIGRATIONS: dict[int, Callable[[dict], dict]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
    5: _v5_to_v6,
}


def migrate(data: Any) -> dict:
    """Return `data` at the current schema; raise DraftFormatError if it cannot be."""
    if not isinstance(data, dict):
        raise DraftFormatError(f"draft.json must hold an object, not {type(data).__name__}")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DraftFormatError(f"schema_version {version!r} is not a schema this app knows")
    if version > SCHEMA_VERSION:
        raise DraftFormatError(
            f"saved by a newer reeleditor (schema {version}, this app reads up to "
            f"{SCHEMA_VERSION}); update reeleditor to open it"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data
