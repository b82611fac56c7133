"""The bundled faces (resources/fonts, all SIL OFL 1.1) and which one draws each character.

A line is cut into runs by the face that covers its characters: emoji go to Noto Color
Emoji, Hebrew and Arabic to Noto Sans Hebrew/Arabic, the rest to the chosen face (and to
Noto Sans where the chosen face has no glyph, e.g. a handwritten face without Å). Each run
is shaped by raqm (HarfBuzz + FriBiDi) inside Pillow.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from pathlib import Path

from PIL import ImageFont, features

from reeleditor.core.errors import MediaError
from reeleditor.storage.paths import resources_dir

log = logging.getLogger(__name__)

FACES = {
    "sans": "NotoSans-Bold.ttf",
    "display": "LeagueSpartan-Bold.otf",
    "serif": "NotoSerif-Bold.ttf",
    "hand": "DancingScript-Bold.otf",
}
HEBREW, ARABIC, EMOJI = "NotoSansHebrew-Bold.ttf", "NotoSansArabic-Bold.ttf", "NotoColorEmoji.ttf"
EMOJI_PX = 109  # the only size Noto Color Emoji's bitmaps (CBDT) come in; scaled after
_MISSING = "\U000e01ef"  # an unassigned-in-practice code point: every face draws its .notdef

# emoji and the joiners/selectors that glue them into one picture
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0x1F1E6, 0x1F1FF),
)
_EMOJI_GLUE = {0x200D, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400))


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


@functools.cache
def shaping_available() -> bool:
    """Whether Pillow can shape text (raqm). Its raqm loads the system's FriBiDi at run
    time; without it Pillow quietly falls back to basic layout and Hebrew and Arabic come
    out unjoined and in the wrong order, so say so once, naming what to install."""
    ok = bool(features.check("raqm"))
    if not ok:
        log.warning(
            "text shaping is off: Pillow's raqm could not load libfribidi (FriBiDi), so "
            "Hebrew and Arabic text will draw unjoined and left-to-right; install libfribidi0 "
            "(Debian/Ubuntu), fribidi (Fedora, Homebrew) or fribidi.dll on Windows"
        )
    return ok


@functools.lru_cache(maxsize=64)
def font(file: str, px: int) -> ImageFont.FreeTypeFont:
    """A face at `px` pixels, shaped by raqm (Pillow built without it would draw RTL wrong)."""
    shaping_available()  # the one-time warning when it cannot shape
    path = fonts_dir() / file
    try:
        return ImageFont.truetype(str(path), px, layout_engine=ImageFont.Layout.RAQM)
    except OSError as exc:
        raise MediaError(f"font {path} cannot be read: {exc}") from exc


def emoji_font() -> ImageFont.FreeTypeFont:
    return font(EMOJI, EMOJI_PX)


def is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return cp in _EMOJI_GLUE or any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


def _script(ch: str) -> str | None:
    cp = ord(ch)
    if 0x0590 <= cp <= 0x05FF or 0xFB1D <= cp <= 0xFB4F:
        return HEBREW
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0xFB50 <= cp <= 0xFEFF:
        return ARABIC
    return None


@functools.lru_cache(maxsize=4096)
def covers(file: str, ch: str) -> bool:
    """Whether `file` has a glyph for `ch`: its drawing differs from the .notdef box."""
    f = font(file, 32)
    return bytes(f.getmask(ch)) != bytes(f.getmask(_MISSING)) or ch.isspace()


def _neutral(ch: str) -> bool:
    # spaces, digits and punctuation take the face of the run around them
    return unicodedata.bidirectional(ch) in ("WS", "ON", "CS", "ES", "ET", "EN", "BN", "S")


def runs(line: str, face: str) -> list[tuple[str, str]]:
    """`line` cut into (font file, text) runs in logical order."""
    face_file = FACES.get(face, FACES["sans"])
    out: list[tuple[str, str]] = []
    for ch in line:
        if is_emoji(ch):
            file = EMOJI
        elif (script := _script(ch)) is not None:
            file = script
        elif out and _neutral(ch) and out[-1][0] != EMOJI:
            file = out[-1][0]
        elif covers(face_file, ch):
            file = face_file
        else:
            file = FACES["sans"]
        if out and out[-1][0] == file:
            out[-1] = (file, out[-1][1] + ch)
        else:
            out.append((file, ch))
    return out


def paragraph_rtl(line: str) -> bool:
    """The paragraph's direction, from its first strong character (Unicode's rule P2)."""
    for ch in line:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
