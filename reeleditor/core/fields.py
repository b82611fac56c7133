"""Reading a recipe's stored fields: checked numbers, text and objects, and new ids."""

from __future__ import annotations

import math
import uuid
from typing import Any

from reeleditor.core.errors import DraftFormatError


def new_id() -> str:
    """A short random id, safe as a folder name on every platform."""
    return uuid.uuid4().hex[:12]


def number(data: dict, key: str, default: float | None = None, *, lo=None, hi=None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DraftFormatError(f"field '{key}' must be a number, not {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise DraftFormatError(f"field '{key}' = {value} is outside {lo}..{hi}")
    return float(value)


def text(data: dict, key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise DraftFormatError(f"field '{key}' must be text, not {value!r}")
    return value


def obj(data: Any, what: str) -> dict:
    if not isinstance(data, dict):
        raise DraftFormatError(f"{what} must be an object, not {type(data).__name__}")
    return data


def inside_draft(path: str) -> bool:
    """True for a non-empty relative path that cannot climb out of the draft's folder."""
    parts = path.replace("\\", "/").split("/")
    return bool(path) and not path.startswith(("/", "\\")) and ".." not in parts
