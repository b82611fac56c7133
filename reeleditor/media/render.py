"""Export: the draft's segments, trims, look and music into one clean MP4.

Decoding, the look and encoding overlap on threads (PyAV and cv2 release the GIL). Frames
stay in YUV 4:2:0 from the decoder to the encoder when no look is set; with a look they go
to BGR once (cv2, the cheapest conversion measured) and back once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import threading
import uuid
from collections import deque
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from reeleditor.core.draft import Draft
from reeleditor.core.errors import Cancelled, MediaError, ReelEditorError
from reeleditor.core.presets import Preset, preset_named
from reeleditor.core.progress import Progress
from reeleditor.media.decode import clip_frames as clip_frames  # its home before decode.py
from reeleditor.media.encoders import VIDEO_ENCODERS, pick_encoder
from reeleditor.media.looks import compile_look
from reeleditor.media.music import RATE
from reeleditor.media.soundtrack import build_soundtrack, check_voiceovers
from reeleditor.media.thumbnails import BLACK_LEVEL, write_thumbnail
from reeleditor.media.timeline import Clip, plan
from reeleditor.media.transitions import clip_overlaps, reel_frames, reel_length
from reeleditor.media.verify import verify_export
from reeleditor.media.vtt import vtt_path, write_beside
from reeleditor.media.words_layer import WordsLayer
from reeleditor.storage.atomic import atomic_write, fsync_dir, storage_error
from reeleditor.storage.locks import FileLock

log = logging.getLogger(__name__)

# Bump when the same recipe and preset would give other pixels or sound (a new look
# table, another mix, an encoder setting): every stored export is then made again.
RENDERER_VERSION = 3  # 2: transitions between segments; 3: text overlays, burned captions


@dataclass(frozen=True)
class ExportResult:
    path: Path
    poster: Path
    frames: int
    duration: float
    encoder: str
    preset: str
    notices: tuple[str, ...]


def _decode_all(clips: list[Clip], fps: int, out: queue.Queue, stop: threading.Event) -> None:
    try:
        for _, frame in reel_frames(clips, fps):  # its errors name the segment
            while not stop.is_set():
                try:
                    out.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(None)
    except BaseException as exc:  # handed to the consumer, which raises it
        if stop.is_set():  # nobody is left to raise it: the log is the only trace
            log.warning("the export's decoder failed after the export ended", exc_info=True)
        else:
            log.debug("the export's decoder failed; the export raises it", exc_info=True)
        out.put(exc)


# -- pictures ------------------------------------------------------------------------------
class FrameShaper:
    """Decoded frame -> the output's yuv420p frame, with size, look and cover sampling."""

    def __init__(self, draft: Draft) -> None:
        self.width, self.height, self.fps = draft.width, draft.height, draft.fps
        self.look = compile_look(draft.look, draft.width, draft.height)
        self.words = WordsLayer(draft, draft.width, draft.height)  # after the look, as the preview
        self.cover_index = None if draft.cover_time is None else round(draft.cover_time * draft.fps)
        self.cover: np.ndarray | None = None
        self.fallback_cover: np.ndarray | None = None
        self._lock = threading.Lock()

    def passthrough(self, frame: av.VideoFrame) -> bool:
        return (
            self.look.is_identity
            and frame.format.name == "yuv420p"
            and (frame.width, frame.height) == (self.width, self.height)
        )

    def shape(self, index: int, frame: av.VideoFrame) -> av.VideoFrame:
        wants_cover = self._wants_cover(index)
        if self.passthrough(frame) and not wants_cover and not self.words.showing(index):
            out = frame  # no look, right size: the decoded picture goes to the encoder as is
            out.pict_type = av.video.frame.PictureType.NONE  # or x264 keeps every I-frame
        else:
            bgr = self.picture(index, self._to_bgr(frame))
            if wants_cover:
                self._offer_cover(index, bgr)
            out = av.VideoFrame.from_ndarray(
                cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), format="yuv420p"
            )
        out.pts = index
        out.time_base = Fraction(1, self.fps)
        return out

    def picture(self, index: int, bgr: np.ndarray) -> np.ndarray:
        """The reel's BGR frame `index` with the look and the words on it (in place)."""
        if not self.look.is_identity:
            bgr = self.look.apply(bgr, index=index, out=bgr)
        return self.words.composite(bgr, index)

    def _to_bgr(self, frame: av.VideoFrame) -> np.ndarray:
        if frame.format.name == "yuv420p":
            bgr = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        else:
            bgr = frame.to_ndarray(format="bgr24")
        if bgr.shape[:2] != (self.height, self.width):
            from reeleditor.media.conform import conform

            bgr = conform(bgr, self.width, self.height)
        return bgr

    def _wants_cover(self, index: int) -> bool:
        if self.cover_index is not None:
            return index == self.cover_index
        return self.cover is None and index < 5 * self.fps  # look for a non-black frame

    def _offer_cover(self, index: int, bgr: np.ndarray) -> None:
        with self._lock:
            if self.fallback_cover is None:
                self.fallback_cover = bgr.copy()
            if self.cover is None and (
                self.cover_index is not None
                or cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).mean() > BLACK_LEVEL
            ):
                self.cover = bgr.copy()


# -- encoding ------------------------------------------------------------------------------
def _open_output(tmp: Path, draft: Draft, preset: Preset, encoder: str):
    container = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
    video = container.add_stream(encoder, rate=draft.fps)
    video.width, video.height, video.pix_fmt = draft.width, draft.height, "yuv420p"
    video.codec_context.time_base = Fraction(1, draft.fps)
    video.codec_context.gop_size = 2 * draft.fps  # seekable every 2 s, like platforms ask
    if encoder == "libx264":
        video.thread_type = "FRAME"  # measured: the default is slower and larger
        video.options = {
            "preset": preset.x264_preset,
            "crf": str(preset.crf),
            "maxrate": preset.maxrate,
            "bufsize": preset.bufsize,
        }
    else:
        video.codec_context.bit_rate = int(float(preset.maxrate[:-1]) * 1_000_000 * 0.7)
    audio = container.add_stream("aac", rate=RATE, layout="stereo")
    audio.bit_rate = preset.audio_bitrate
    return container, video, audio


class _AudioWriter:
    def __init__(self, container, stream, samples: np.ndarray) -> None:
        self.container, self.stream, self.samples = container, stream, samples
        self.pos = 0

    def write_until(self, sample: int, final: bool = False) -> None:
        size = 1024
        end = min(sample, self.samples.shape[1])
        while self.pos + size <= end or (final and self.pos < end):
            chunk = np.ascontiguousarray(self.samples[:, self.pos : min(self.pos + size, end)])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = self.pos
            frame.time_base = Fraction(1, RATE)
            self.pos += chunk.shape[1]
            self.container.mux(self.stream.encode(frame))
        if final:
            self.container.mux(self.stream.encode(None))


def export_draft(
    store,
    draft: Draft,
    out: Path,
    preset: str = "standard",
    *,
    encoders: tuple[str, ...] = VIDEO_ENCODERS,
    workers: int = 2,
) -> Generator[Progress, None, ExportResult]:
    """Write the reel to `out`, yielding progress; closing the generator cancels cleanly."""
    chosen = preset_named(preset)
    out = Path(out)
    yield Progress("prepare", 0, None, "checking segments")
    clips = plan(draft, store.media_path)
    check_voiceovers(draft, store.folder(draft.id))  # a missing one fails now, not after the mix
    total = reel_length([c.frames for c in clips], clip_overlaps(clips, draft.fps))
    choice = pick_encoder(encoders)
    notices = tuple(n for n in (choice.notice,) if n)
    tmp = partial_path(out)
    try:
        with open(tmp, "wb"):
            pass  # the output folder is writable, before any long work
    except OSError as exc:
        raise storage_error(out, exc) from exc
    stop = threading.Event()
    frames_q: queue.Queue = queue.Queue(maxsize=8)
    decoder = threading.Thread(
        target=_decode_all,
        args=(clips, draft.fps, frames_q, stop),
        name="export-decode",
        daemon=True,
    )
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export-look")
    container = None
    finished = False
    try:
        yield Progress("prepare", 0, None, "mixing the soundtrack")
        sound_notices: list[str] = []
        soundtrack = build_soundtrack(draft, clips, notices=sound_notices)
        notices = (*notices, *sound_notices)
        shaper = FrameShaper(draft)
        container, vstream, astream = _open_output(tmp, draft, chosen, choice.name)
        audio = _AudioWriter(container, astream, soundtrack)
        decoder.start()
        pending: deque = deque()
        index = 0
        done = 0
        source_done = False
        while done < total:
            while not source_done and len(pending) < workers * 2:
                item = frames_q.get()
                if item is None:
                    source_done = True
                    break
                if isinstance(item, BaseException):
                    raise item
                pending.append(pool.submit(shaper.shape, index, item))
                index += 1
            if not pending:
                raise MediaError(f"the segments gave {done} of {total} frames")
            frame = pending.popleft().result()
            container.mux(vstream.encode(frame))
            done += 1
            audio.write_until(round(done * RATE / draft.fps))
            if done % 10 == 0 or done == total:
                yield Progress("export", done, total, unit="frames")
        container.mux(vstream.encode(None))
        audio.write_until(soundtrack.shape[1], final=True)
        container.close()
        container = None
        yield Progress("verify", total, total, "checking the file")
        verify_export(tmp, total, draft.fps, draft.width, draft.height)
        os.replace(tmp, out)
        fsync_dir(out.absolute().parent)
        finished = True
        poster = out.with_suffix(".jpg")  # beside the video, as players and platforms look
        cover = shaper.cover if shaper.cover is not None else shaper.fallback_cover
        if cover is not None:
            try:
                write_thumbnail(cover, poster, size=(draft.width, draft.height))
            except (ReelEditorError, OSError) as exc:  # the reel is written; say, don't fail
                notices = (*notices, f"the poster {poster} was not written: {exc}")
        notices = (*notices, *write_beside(out, draft))  # the captions as WebVTT, if any
        return ExportResult(
            out, poster, total, total / draft.fps, choice.name, chosen.name, notices
        )
    except av.error.FFmpegError as exc:
        raise MediaError(f"export to {out} failed: {exc}") from exc
    except OSError as exc:
        raise storage_error(out, exc) from exc
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                frames_q.get_nowait()  # unblock the decoder so it can see `stop`
        if decoder.is_alive():
            decoder.join(timeout=5)
        pool.shutdown(wait=True, cancel_futures=True)
        if container is not None:
            try:
                container.close()
            except Exception:  # already failing or cancelled: the first error is the one told
                log.warning("closing the half-written %s failed", tmp, exc_info=True)
        if not finished:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a cancelled or failed export leaves no partial file


def partial_path(out: Path) -> Path:
    """A temp name beside `out` that no other export, in this process or another, uses."""
    return out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")


# -- the draft's own export, made once per recipe --------------------------------------------
# Fields that never change a picture or a sample: a rename or a save does not re-export.
_VOLATILE = ("id", "title", "created", "updated", "max_duration")
_WAIT_S = 0.25  # how often a wait says it still waits (and looks at another process's lock)


@dataclass
class _ExportSlot:
    """The lock of one draft's export in this process, and how many hold or wait for it."""

    lock: threading.Lock
    users: int = 0


_export_locks: dict[Path, _ExportSlot] = {}  # one entry per export running or waited for
_export_locks_guard = threading.Lock()


def _stamp(path: Path) -> list[int] | None:
    """Size and mtime of a file the recipe points at: a file replaced under its name counts."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def recipe_fingerprint(store, draft: Draft, preset: str) -> str:
    """sha256 of what decides the export's pixels and sound: recipe, media, preset, renderer."""
    from reeleditor.media.music import resolve_track

    recipe = draft.to_dict()
    for key in _VOLATILE:
        recipe.pop(key, None)
    for segment in recipe["segments"]:
        segment.pop("id", None)
    music = None
    if draft.music is not None:
        try:
            music = _stamp(resolve_track(draft.music.track))
        except ReelEditorError:
            music = None  # the export itself will say the track is missing
    payload = {
        "recipe": recipe,
        "media": [_stamp(store.media_path(draft, s)) for s in draft.segments],
        "music": music,
        "preset": asdict(preset_named(preset)),
        "renderer": RENDERER_VERSION,
    }
    if draft.voiceovers:  # only then: a draft without one keeps the fingerprint it had
        folder = store.folder(draft.id)
        payload["voices"] = [_stamp(folder / v.media) for v in draft.voiceovers]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _sidecar(out: Path) -> Path:
    return out.with_suffix(".json")


def _reusable(out: Path, fingerprint: str) -> bool:
    """True when `out` is the export the sidecar describes, made from this fingerprint."""
    try:
        meta = json.loads(_sidecar(out).read_text())
        return meta.get("fingerprint") == fingerprint and out.stat().st_size == meta.get("size")
    except (OSError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def _export_slot(out: Path) -> Iterator[threading.Lock]:
    """This process's lock for exports to `out`; the table entry goes with its last user."""
    key = out.absolute()
    with _export_locks_guard:
        slot = _export_locks.setdefault(key, _ExportSlot(threading.Lock()))
        slot.users += 1
    try:
        yield slot.lock
    finally:
        with _export_locks_guard:
            slot.users -= 1
            if slot.users == 0:
                del _export_locks[key]


def _wait_for(
    thread_lock: threading.Lock, file_lock: FileLock, cancel: threading.Event
) -> Generator[Progress, None, None]:
    """Take both locks, yielding while another export holds one; a cancel ends the wait.

    A thread of this process waits on the lock itself. flock has no timeout and a blocking
    one could not be given up, so another process's lock is tried again whenever the wait
    on `cancel` times out: a cancel wakes the wait at once, and the yield after it is where
    the driver closes this generator.
    """
    while not thread_lock.acquire(timeout=_WAIT_S):
        yield Progress("wait", 0, None, "for the export already under way")
        _raise_if_resumed_after(cancel)
    try:
        while not file_lock.acquire():
            yield Progress("wait", 0, None, "for the export another reeleditor is making")
            _raise_if_resumed_after(cancel)
            cancel.wait(_WAIT_S)
    except BaseException:
        thread_lock.release()
        raise


def _raise_if_resumed_after(cancel: threading.Event) -> None:
    # a driver that cancels closes the generator at the yield; one that goes on is told
    if cancel.is_set():
        raise Cancelled("the export was cancelled")


def ensure_export(
    store, draft: Draft, preset: str = "standard", *, cancel: threading.Event | None = None
) -> Generator[Progress, None, Path]:
    """The draft's own export (drafts/<id>/export/reel.mp4), made only when none of this
    recipe and preset exists.

    reel.json beside it holds the fingerprint (`recipe_fingerprint`) it was made from. One
    export per draft runs at a time, across threads and processes: a second caller waits,
    then finds the first one's file and returns it without encoding. Setting `cancel`
    ends such a wait at once (at the next yield, where the driver closes the generator).
    """
    out = store.folder(draft.id) / "export" / "reel.mp4"
    fingerprint = recipe_fingerprint(store, draft, preset)
    if _reusable(out, fingerprint):
        return out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(out.parent, exc) from exc
    with _export_slot(out) as thread_lock:
        work = _export_once(store, draft, preset, out, fingerprint, thread_lock, cancel)
        return (yield from work)


def _export_once(
    store,
    draft: Draft,
    preset: str,
    out: Path,
    fingerprint: str,
    thread_lock: threading.Lock,
    cancel: threading.Event | None,
) -> Generator[Progress, None, Path]:
    """ensure_export's part under the locks: the export, unless the one waited for was it."""
    file_lock = FileLock(out.parent / ".export.lock")
    yield from _wait_for(thread_lock, file_lock, cancel or threading.Event())
    try:
        if _reusable(out, fingerprint):  # the export we waited for was this very one
            return out
        for stale in out.parent.glob(f".{out.name}.*.partial"):  # of a killed export
            with contextlib.suppress(OSError):
                stale.unlink()
        with contextlib.suppress(FileNotFoundError):
            _sidecar(out).unlink()  # never a sidecar that vouches for a file being replaced
        with contextlib.suppress(FileNotFoundError):
            vtt_path(out).unlink()  # captions since removed must not be uploaded with it
        result = yield from export_draft(store, draft, out, preset)
        meta = {
            "fingerprint": fingerprint,
            "preset": result.preset,
            "renderer": RENDERER_VERSION,
            "encoder": result.encoder,
            "frames": result.frames,
            "size": out.stat().st_size,
        }
        try:
            atomic_write(_sidecar(out), json.dumps(meta, indent=1).encode())
        except OSError as exc:
            raise storage_error(_sidecar(out), exc) from exc
        return out
    finally:
        file_lock.release()
        thread_lock.release()
