"""The words the pickers show for camera and microphone settings."""

from __future__ import annotations

from pathlib import Path

NO_MICROPHONE = "No microphone"


def camera_text(value: str, auto: str = "Automatic camera") -> str:
    """The picker's words for a camera setting (`auto`: the words for "auto")."""
    if value == "auto":
        return auto
    if value == "testpattern":
        return "Test pattern"
    if value.startswith("camera:"):
        return f"Camera {value.split(':', 1)[1]}"
    if value.startswith("file:"):
        return f"Video file: {Path(value[5:]).name}"
    return value


def microphone_text(value: str) -> str:
    return {"auto": "Automatic microphone", "none": NO_MICROPHONE}.get(value, value)
