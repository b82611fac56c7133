"""Picks the H.264 encoder this PyAV build really has, falling back and saying which."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import av

from reeleditor.core.errors import EncoderError

log = logging.getLogger(__name__)

# Preferred first. Hardware encoders are listed by some builds and fail to open without the
# device, so each candidate is opened once on a tiny frame before it is trusted.
VIDEO_ENCODERS = ("libx264", "libopenh264", "h264_videotoolbox", "h264_mf", "mpeg4")
AUDIO_ENCODERS = ("aac", "libfdk_aac")


@dataclass(frozen=True)
class EncoderChoice:
    name: str
    notice: str | None  # set when the preferred encoder was not available


@cache
def _opens(name: str) -> bool:
    try:
        ctx = av.codec.CodecContext.create(name, "w")
        if ctx.type == "video":
            ctx.width, ctx.height, ctx.pix_fmt = 64, 64, "yuv420p"
            ctx.time_base = Fraction(1, 30)
        else:
            ctx.sample_rate, ctx.layout, ctx.format = 48000, "stereo", "fltp"
        ctx.open()
        return True
    except Exception as exc:  # any failure to create or open means "not usable here"
        log.info("encoder %s is not usable here: %s", name, exc)
        return False


def pick_encoder(
    candidates: tuple[str, ...] = VIDEO_ENCODERS, kind: str = "H.264"
) -> EncoderChoice:
    """The first candidate that opens; a notice names the fallback when it is not the first."""
    for n, name in enumerate(candidates):
        if _opens(name):
            notice = None
            if n:
                notice = f"{candidates[0]} is not in this PyAV build; encoding with {name}"
            return EncoderChoice(name, notice)
    raise EncoderError(
        f"no {kind} encoder found among {', '.join(candidates)}",
        "install a PyAV wheel from PyPI: it bundles libx264",
    )


def available_encoders() -> dict[str, bool]:
    """Every encoder the app may use, and whether it opens here (for `doctor`)."""
    return {name: _opens(name) for name in (*VIDEO_ENCODERS, *AUDIO_ENCODERS)}
