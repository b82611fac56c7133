"""Loads and saves settings.json; a damaged file falls back to defaults and is kept aside."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reeleditor.core.settings import Settings
from reeleditor.storage.atomic import atomic_write


def load_settings(path: Path) -> tuple[Settings, str | None]:
    """The settings and a warning if the file could not be used."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return Settings(), None
    except OSError as exc:
        return Settings(), f"could not read {path} ({exc.strerror}); using defaults"
    try:
        return Settings.from_dict(json.loads(raw)), None
    except ValueError:
        aside = Path(path).with_suffix(".json.damaged")
        os.replace(path, aside)
        return Settings(), f"{path} was damaged; kept as {aside.name} and defaults used"


def save_settings(path: Path, settings: Settings) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(Path(path), json.dumps(settings.to_dict(), indent=1).encode())
