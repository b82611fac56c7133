"""The named looks: each a recipe of neutral-at-zero parameters, with a title and a line."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from reeleditor.core.draft import ADJUSTMENT_NAMES, Look

Triple = tuple[float, float, float]  # (blue, green, red): OpenCV's channel order
ZERO: Triple = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Recipe:
    """Look parameters; every one is 0 when neutral, so strength is a plain scale.

    The nine adjustment names share their meaning with `Look.adjustments` (-1..1 here,
    -100..100 there). The rest only looks use: split toning (`shadows`, `highlights`:
    BGR offsets weighted toward the dark or the bright end) and per-channel contrast.
    """

    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0  # -1 is black and white, +1 doubles the colour
    warmth: float = 0.0
    tint: float = 0.0  # + magenta, - green
    fade: float = 0.0  # + lifts the blacks (matte), - crushes them
    vignette: float = 0.0  # + darkens the corners, - lightens them
    grain: float = 0.0  # 0..1
    sharpen: float = 0.0  # + sharpens, - softens
    shadows: Triple = ZERO
    highlights: Triple = ZERO
    channel_contrast: Triple = ZERO

    def scaled(self, k: float) -> Recipe:
        """This recipe at strength k (0..1): every parameter moves toward neutral."""
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                changes[f.name] = tuple(v * k for v in value)
            else:
                changes[f.name] = value * k
        return Recipe(**changes)

    def adjusted(self, adjustments: dict[str, float]) -> Recipe:
        """Manual adjustments (-100..100) on top; saturation multiplies, the rest add."""
        changes = {}
        for name in ADJUSTMENT_NAMES:
            amount = max(-1.0, min(1.0, adjustments.get(name, 0.0) / 100.0))
            if not amount:
                continue
            base = getattr(self, name)
            if name == "saturation":
                # multiplicative, so a black-and-white look stays black and white
                changes[name] = (1.0 + base) * (1.0 + amount) - 1.0
            elif name == "grain":
                changes[name] = max(0.0, min(1.0, base + amount))
            else:
                changes[name] = max(-1.0, min(1.0, base + amount))
        return Recipe(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})


@dataclass(frozen=True)
class LookInfo:
    """A look as the user sees it: a stable name, a title, a line, and its recipe."""

    name: str
    title: str
    description: str
    recipe: Recipe = field(default_factory=Recipe)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "description": self.description}


CATALOG: tuple[LookInfo, ...] = (
    LookInfo("none", "Original", "The picture as recorded."),
    LookInfo(
        "warm",
        "Sunlit",
        "Warm, bright and soft, like late afternoon light.",
        Recipe(
            brightness=0.12,
            contrast=0.1,
            saturation=0.1,
            warmth=0.55,
            highlights=(-0.03, 0.01, 0.03),
        ),
    ),
    LookInfo(
        "cool",
        "Frost",
        "Cool blue cast with crisp contrast.",
        Recipe(
            contrast=0.2, saturation=-0.1, warmth=-0.55, tint=-0.05, shadows=(0.04, 0.01, -0.02)
        ),
    ),
    LookInfo(
        "faded",
        "Matte",
        "Lifted blacks and muted colour for a calm, flat finish.",
        Recipe(contrast=-0.25, saturation=-0.3, fade=0.65, brightness=0.05),
    ),
    LookInfo(
        "vivid",
        "Punch",
        "Rich colour and extra contrast that make things pop.",
        Recipe(contrast=0.35, saturation=0.55, brightness=0.03, sharpen=0.0),
    ),
    LookInfo(
        "vintage",
        "Attic",
        "Warm, faded print with yellowed highlights, dark corners and grain.",
        Recipe(
            contrast=-0.1,
            saturation=-0.3,
            warmth=0.35,
            fade=0.45,
            vignette=0.5,
            grain=0.35,
            shadows=(0.05, 0.02, -0.01),
            highlights=(-0.08, 0.02, 0.03),
        ),
    ),
    LookInfo(
        "mono",
        "Mono",
        "Clean black and white with gentle contrast.",
        Recipe(saturation=-1.0, contrast=0.15),
    ),
    LookInfo(
        "noir",
        "Noir",
        "Hard black and white with deep shadows, dark corners and grain.",
        Recipe(saturation=-1.0, contrast=0.7, fade=-0.4, vignette=0.6, grain=0.3),
    ),
    LookInfo(
        "bold",
        "Bold",
        "High contrast with punchy blacks and bright whites.",
        Recipe(contrast=0.8, fade=-0.3, saturation=0.1),
    ),
    LookInfo(
        "sepia",
        "Sepia",
        "Brown-toned black and white, like an old photograph.",
        Recipe(
            saturation=-1.0,
            contrast=0.1,
            fade=0.25,
            shadows=(-0.06, -0.01, 0.05),
            highlights=(-0.12, -0.02, 0.04),
            vignette=0.3,
        ),
    ),
    LookInfo(
        "cinema",
        "Cinema",
        "Teal shadows and warm skin tones, the blockbuster grade.",
        Recipe(
            contrast=0.35,
            saturation=0.05,
            shadows=(0.1, 0.03, -0.06),
            highlights=(-0.1, 0.0, 0.06),
            vignette=0.25,
        ),
    ),
    LookInfo(
        "haze",
        "Haze",
        "Bright, airy pastels with a soft pink glow.",
        Recipe(
            brightness=0.3,
            contrast=-0.35,
            saturation=-0.2,
            fade=0.35,
            tint=0.12,
            highlights=(0.02, -0.01, 0.03),
        ),
    ),
    LookInfo(
        "golden",
        "Golden",
        "Saturated golden-hour warmth with glowing highlights.",
        Recipe(
            brightness=0.08,
            contrast=0.2,
            saturation=0.3,
            warmth=0.75,
            highlights=(-0.08, 0.03, 0.06),
        ),
    ),
    LookInfo(
        "xpro",
        "Cross",
        "Cross-processed film: yellow-green highlights, blue shadows, strong contrast.",
        Recipe(
            contrast=0.3,
            saturation=0.2,
            channel_contrast=(-0.35, 0.25, 0.5),
            shadows=(0.12, 0.0, -0.04),
            highlights=(-0.12, 0.04, 0.02),
            vignette=0.35,
        ),
    ),
    LookInfo(
        "lofi",
        "Lo-fi",
        "Saturated, contrasty and dark at the edges, like a toy camera.",
        Recipe(contrast=0.55, saturation=0.45, vignette=0.8, fade=-0.2),
    ),
    LookInfo(
        "dusk",
        "Dusk",
        "Moody and dim, with blue shadows and quiet colour.",
        Recipe(
            brightness=-0.25,
            contrast=0.2,
            saturation=-0.35,
            warmth=-0.2,
            shadows=(0.08, 0.02, -0.02),
            vignette=0.4,
        ),
    ),
)

LOOKS: dict[str, LookInfo] = {info.name: info for info in CATALOG}


def recipe_for(look: Look) -> Recipe:
    """The recipe a core `Look` stands for: the named look at its strength, then adjustments.

    Raises KeyError for an unknown look name.
    """
    base = LOOKS[look.name].recipe
    k = max(0.0, min(100.0, look.strength)) / 100.0
    return base.scaled(k).adjusted(dict(look.adjustments))
