"""Clips and photos from disk: checked, copied into the draft, and shaped to the reel's frame."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.draft import Segment
from reeleditor.core.errors import MediaError
from reeleditor.core.progress import Progress

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".m4v")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")
MAX_PHOTO_PIXELS = 40_000_000  # 40 MP: a larger photo is refused, not silently decoded (~150 MB)
DEFAULT_STILL_SECONDS = 3.0
ZOOM_END = 1.10  # a still zooms slowly from 100 % to 110 % over its length (Ken Burns)
COPY_CHUNK = 4 << 20
_END_SLACK = 0.5  # seconds a clip's last decoded picture may fall short of its packets


@dataclass(frozen=True)
class ClipInfo:
    """What an importable file is, as shown (rotation applied)."""

    kind: str  # "clip" or "photo"
    width: int
    height: int
    duration: float  # seconds of pictures; 0 for a photo
    fps: float
    notes: tuple[str, ...] = ()  # what conforming it will do (8-bit, 30 fps, ...)

    @property
    def default_fit(self) -> str:
        """fill for a 9:16 picture (within 2 %), else blur (the standard for the rest)."""
        return "fill" if abs(self.width / self.height - 9 / 16) < 0.02 * 9 / 16 else "blur"


def inspect_media(path: Path) -> ClipInfo:
    """Check a file can be imported; raise MediaError with one line if it cannot."""
    path = Path(path)
    ext = path.suffix.lower()
    if not path.is_file():
        raise MediaError(f"{path} does not exist")
    if ext not in VIDEO_EXTENSIONS + PHOTO_EXTENSIONS:
        raise MediaError(
            f"{path.name} is not a video or a photo",
            "add an mp4, mov, mkv or webm video, or a jpg or png photo",
        )
    if ext in PHOTO_EXTENSIONS:
        return _inspect_photo(path)
    return _inspect_video(path)


def _inspect_photo(path: Path) -> ClipInfo:
    try:
        with av.open(str(path)) as container:  # the header only: a 50 MP photo is not decoded
            stream = container.streams.video[0]
            w, h = stream.codec_context.width, stream.codec_context.height
    except (av.error.FFmpegError, IndexError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise MediaError(f"{path.name} is not a photo this app can read ({why})") from exc
    if w * h > MAX_PHOTO_PIXELS:
        raise MediaError(
            f"{path.name} is {w * h / 1e6:.1f} megapixels; photos up to "
            f"{MAX_PHOTO_PIXELS / 1e6:.0f} MP can be added",
            "scale it down first; a reel shows 2 MP",
        )
    image = read_photo(path)
    h, w = image.shape[:2]  # EXIF orientation applied
    return ClipInfo("photo", w, h, 0.0, 0.0)


def read_photo(path: Path) -> np.ndarray:
    """The photo as BGR, turned upright by its EXIF orientation (OpenCV's default)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f"{Path(path).name} is not a photo this app can read")
    return image


def _inspect_video(path: Path) -> ClipInfo:
    name = path.name
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{name} is not a video or a photo (it holds no pictures)")
            stream = container.streams.video[0]
            first = last = None
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                t = float(packet.pts * packet.time_base)
                end = t + float((packet.duration or 0) * packet.time_base)
                first = t if first is None else min(first, t)
                last = end if last is None else max(last, end)
            if first is None:
                raise MediaError(f"{name} holds no pictures", "it may be truncated")
            container.seek(0)
            frame = next(container.decode(stream), None)
            if frame is None:
                raise MediaError(
                    f"{name} is truncated or damaged: its first picture does not decode"
                )
            rotation = frame.rotation
            fmt = frame.format.name
            container.seek(int(max(0.0, last - 1.0) / stream.time_base), stream=stream)
            tail = None
            for decoded in container.decode(stream):
                if decoded.pts is not None:
                    tail = float(decoded.pts * stream.time_base)
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            w, h = stream.codec_context.width, stream.codec_context.height
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"{name} cannot be read: it is truncated or damaged, or not a video "
            f"({exc.strerror or type(exc).__name__})"
        ) from exc
    frame_time = 1 / rate if rate else 0.04
    if tail is None or tail + frame_time < last - _END_SLACK:
        shown = "nothing" if tail is None else f"{tail - first:.2f} s"
        raise MediaError(
            f"{name} is truncated: its packets run {last - first:.2f} s but {shown} decodes",
            "export or copy it again from the camera",
        )
    if rotation in (90, -90, 270, -270):
        w, h = h, w
    notes = []
    if "10" in fmt or "12" in fmt or "p16" in fmt:
        notes.append(f"{fmt} pictures are converted to 8-bit yuv420p (no HDR tone curve)")
    if rate > 30.5:
        notes.append(f"{rate:g} fps is sampled down to 30 fps")
    if w * h > 1080 * 1920:
        notes.append(f"{w}x{h} is scaled down to the reel's frame")
    return ClipInfo("clip", w, h, last - first, rate, tuple(notes))


def import_media(
    store, draft_id: str, path: Path, fit: str | None = None, still_seconds: float | None = None
) -> Generator[Progress, None, tuple[Segment, ClipInfo]]:
    """Check `path`, copy it into the draft's media folder, return the segment to insert.

    The copy goes to a temp name and is renamed once whole, so a cancel or a crash leaves
    no half file under a name the recipe could point at.
    """
    path = Path(path)
    info = inspect_media(path)  # before the first yield: a refusal prints no progress line
    yield Progress("import", 0, None, f"checked {path.name}")
    if still_seconds is not None and (info.kind != "photo" or not 0.1 <= still_seconds <= 60):
        raise MediaError(
            "--still-seconds is for photos, 0.1 to 60 s"
            if info.kind == "photo"
            else f"--still-seconds is for photos; {path.name} is a video"
        )
    media_dir = store.media_dir(draft_id)
    media_dir.mkdir(parents=True, exist_ok=True)
    seg_id = uuid.uuid4().hex[:12]
    dest = media_dir / f"import-{seg_id}{path.suffix.lower()}"
    tmp = dest.with_name(f".{dest.name}.partial")
    total = path.stat().st_size
    done = 0
    try:
        with open(path, "rb") as src, open(tmp, "wb") as out:
            while chunk := src.read(COPY_CHUNK):
                out.write(chunk)
                done += len(chunk)
                yield Progress("copy", done, total, f"copying {path.name}", unit="bytes")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        raise MediaError(f"{path.name} could not be copied into the draft: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    duration = (still_seconds or DEFAULT_STILL_SECONDS) if info.kind == "photo" else info.duration
    segment = Segment(
        media=f"media/{dest.name}",
        duration=round(duration, 6),
        id=seg_id,
        fit=fit or info.default_fit,
        kind=info.kind,
    )
    return segment, info


def discard_import(store, draft_id: str, segment: Segment) -> None:
    """Remove a copied file whose edit was refused (the recipe never pointed at it)."""
    with contextlib.suppress(OSError):
        (store.folder(draft_id) / segment.media).unlink()


# -- pictures ---------------------------------------------------------------------------
def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded picture as its display matrix says (counter-clockwise degrees)."""
    turn = rotation % 360
    if turn == 90:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if turn == 270:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if turn == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    return image


def _fitted(image: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return _resized(image, size)


def _resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` at `size` (w, h): halvings by INTER_AREA, then one INTER_LINEAR step.

    INTER_AREA at a ratio that is not a whole number costs 6.6 ms for 1920x1080 -> 1080x608
    (8x a linear resize), and a clip pays it every frame. Halving by area is the cheap
    integer case and keeps a linear step from ever skipping pixels (its ratio stays > 1/2),
    so edges do not alias: mipmapping, as GPUs do it.
    """
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        half = (image.shape[1] // 2, image.shape[0] // 2)
        image = cv2.resize(image, half, interpolation=cv2.INTER_AREA)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _paste(canvas: np.ndarray, image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    y, x = (canvas.shape[0] - h) // 2, (canvas.shape[1] - w) // 2
    canvas[y : y + h, x : x + w] = image
    return canvas


def shape_picture(image: np.ndarray, fit: str, width: int, height: int) -> np.ndarray:
    """`image` (BGR, upright) in a width x height frame: fill crops, fit letterboxes on
    black, blur puts the fitted picture over a blurred, darkened copy that covers the frame."""
    from reeleditor.media.conform import conform

    if fit == "fill":
        return np.ascontiguousarray(conform(image, width, height))
    fitted = _fitted(image, width, height)
    if fit == "fit":
        return _paste(np.zeros((height, width, 3), np.uint8), fitted)
    # blur: made at an eighth of the size (cheap) from the fitted picture (a quarter of a
    # 1080p frame's pixels), darkened while small, then scaled up: smooth by construction
    small = conform(fitted, max(2, width // 8), max(2, height // 8))
    small = cv2.GaussianBlur(small, (0, 0), 3)
    small = cv2.convertScaleAbs(small, alpha=0.55)
    back = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return _paste(back, fitted)


def still_picture(base: np.ndarray, index: int, count: int) -> np.ndarray:
    """Frame `index` of `count` of a still: `base` zoomed about its centre, 100 % -> 110 %."""
    t = index / max(1, count - 1)
    scale = 1.0 + (ZOOM_END - 1.0) * t
    h, w = base.shape[:2]
    cx, cy = (w - 1) / 2, (h - 1) / 2
    matrix = np.array([[scale, 0, (1 - scale) * cx], [0, scale, (1 - scale) * cy]], np.float64)
    return cv2.warpAffine(
        base, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
