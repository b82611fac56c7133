"""The `Progress` value that long work yields, so the UI and the CLI can show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """How far one stage of long work has come; `total` None means unknown."""

    stage: str
    done: float = 0.0
    total: float | None = None
    message: str = ""
    unit: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))

    def describe(self) -> str:
        """One short line such as 'export 42% (126/300 frames)'."""
        text = self.stage
        frac = self.fraction
        if frac is not None:
            text += f" {frac * 100:3.0f}%"
            if self.unit:
                text += f" ({self.done:g}/{self.total:g} {self.unit})"
        elif self.unit:
            text += f" {self.done:g} {self.unit}"
        if self.message:
            text += f" {self.message}"
        return text
