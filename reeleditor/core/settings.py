"""User settings as plain data with a versioned dict form (the token is never stored here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

SETTINGS_VERSION = 1
DEFAULT_ENDPOINT = "http://127.0.0.1:8765/files/"


@dataclass(frozen=True)
class Settings:
    endpoint: str = DEFAULT_ENDPOINT
    camera: str = "auto"  # 'auto', 'testpattern', 'camera:N' or 'file:PATH'
    microphone: str = "auto"  # 'auto', 'none' or a device name
    width: int = 1080
    height: int = 1920
    fps: int = 30
    export_preset: str = "standard"
    mirror_preview: bool = True
    show_fps: bool = False
    chunk_size_mib: int = 8
    take_seconds: int = 0  # the record screen's timer: a take stops by itself after this; 0: never
    align_ghost: bool = False  # the previous take's last frame over the camera
    show_grid: bool = False  # rule-of-thirds lines over the camera
    show_safe_zones: bool = False  # where a platform's buttons and captions cover the reel

    def to_dict(self) -> dict:
        return {"schema_version": SETTINGS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Any) -> Settings:
        """Lenient: unknown keys are dropped and values of the wrong type fall back."""
        if not isinstance(data, dict):
            return cls()
        defaults = cls()
        values = {}
        for f in fields(cls):
            default = getattr(defaults, f.name)
            value = data.get(f.name, default)
            if type(value) is not type(default):
                value = default
            values[f.name] = value
        return cls(**values)
