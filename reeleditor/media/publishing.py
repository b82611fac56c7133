"""process_reel: an upload becomes a published reel (HLS ladder, MP4, posters, sprite)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Generator
from pathlib import Path

from reeleditor.core.errors import Cancelled
from reeleditor.core.progress import Progress
from reeleditor.media import hls
from reeleditor.media.admission import MediaRejected, SourceDamaged, SourceInfo, admit
from reeleditor.media.ladder import plan_ladder
from reeleditor.media.posters import PosterPicker, SpriteBuilder, parse_cover
from reeleditor.media.reel_audio import AudioTrack, make_track
from reeleditor.media.transcode import encode_rungs, progressive_mp4
from reeleditor.media.vtt import publish_captions

__all__ = ["MediaRejected", "SourceDamaged", "process_reel"]
log = logging.getLogger(__name__)


def process_reel(
    source: Path,
    out: Path,
    metadata: dict,
    on_preview: Callable[[Path, dict], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_poster: Callable[[Path, dict], None] | None = None,
) -> Generator[Progress, None, dict]:
    """Probe, then publish `source` into the folder `out`; yields Progress, returns the manifest.

    Two stages (docs/delivery.md). `preview`: the poster and the smallest rung, with a master
    listing only it, in a folder of their own handed to `on_preview(folder, manifest)`; the
    folder is valid only during the call (copy or move it there). `complete`: every rung,
    reel.mp4 and the sprite, in `out`; the smallest rung is the preview's files copied.

    Trade-off: the source is decoded twice, once per stage (once when there is one rung:
    the sprite is then taken from stage 1's frames). Decoding is ~10 % of the
    encoding cost, and it buys a playable reel after one small encode instead of after the
    whole ladder. Within a stage it is decoded once and every rung is scaled from the same
    frame (in YUV, never through BGR). The sound is decoded, normalised to -14 LUFS and
    encoded to AAC once, on a thread beside the first rung; every output muxes its packets.

    Before the preview, `on_poster(folder, manifest)` gets the poster alone (stage `poster`)
    as soon as the frames it is chosen from have been decoded: the cover frame, or the
    sharpest of the opening seconds; the same files are in both later stages.

    Raises MediaRejected (a MediaError) with a reason for a user when the file is not a
    video we publish, its sha256 does not match metadata["sha256"], or reading or decoding
    it fails further in (SourceDamaged: "... damaged after N s"); Cancelled when
    `should_cancel()` turns true (nothing is left in `out` that this call wrote). Errors of
    the machine (av.error.OSError such as a full disk, MemoryError, a missing encoder)
    propagate unchanged: they are not the file's fault, and a job retries them.
    """
    source, out = Path(source), Path(out)
    metadata = metadata or {}
    cancelled = should_cancel or (lambda: False)
    yield Progress("probe", message="checking the file")
    info = admit(source, metadata.get("sha256"))
    rungs = plan_ladder(info.width, info.height)
    top = rungs[-1]
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".processing-", dir=out.parent))
    sound = None
    try:
        # Frames the published video holds: its duration on the output's frame grid (a
        # stored duration a hair short of the last frame still counts it).
        limit = round(info.duration * float(info.out_rate) + 0.49) if info.duration > 0 else None
        # The sound (decode, loudness, AAC) is made on a thread, beside the first rung.
        sound = _Soundtrack(source, info.duration, info.start, work)

        # Stage 1: the smallest rung and the poster.
        preview_dir = work / "preview"
        preview_dir.mkdir()
        poster = PosterPicker(
            info.out_rate,
            parse_cover(metadata.get("cover"), info.duration),
            (top.width, top.height),
        )
        smallest = rungs[0]
        others = rungs[1:]
        # The sprite rides along stage 2's decode; with no other rung there is no stage 2
        # decode, so it is taken from stage 1's frames (one decode of the file in all).
        expected = limit / float(info.out_rate) if limit else info.duration
        sprite = SpriteBuilder(info.out_rate, expected, top.width, top.height)
        poster_dir = work / "poster"
        poster_dir.mkdir()

        def send_poster() -> None:
            names = poster.write(poster_dir)
            if on_poster is not None:
                on_poster(poster_dir, {**_poster_fields(info, top), "files": sorted(names)})

        def offer(index: int, frame) -> None:
            poster.offer(index, frame)
            if not others:
                sprite.offer(index, frame)
            if poster.settled(index) and not any(poster_dir.iterdir()):
                send_poster()  # the reel has a face while its first rung is encoded

        stage = encode_rungs(
            source,
            [smallest],
            [preview_dir / smallest.name],
            info.out_rate,
            info.rotation,
            sound.path,
            on_frame=offer,
            limit=limit,
        )
        preview_codecs, frames = yield from _drive(stage, "preview", info, cancelled)
        if not any(poster_dir.iterdir()):  # a cover past the last frame: its last frame
            send_poster()
        for name in ("poster.jpg", "poster.webp"):
            shutil.copy2(poster_dir / name, preview_dir / name)
        rendition = _rendition(preview_dir, smallest, preview_codecs[smallest.name])
        hls.write_master(preview_dir / "master.m3u8", [rendition], float(info.out_rate))
        base = _manifest_base(info, top, frames, sound.track.loudness)
        preview = {**base, "stage": "preview", "renditions": [rendition]}
        preview["files"] = _files(preview_dir)
        # Kept for the complete set before the callback may move the folder away.
        final = work / "final"
        final.mkdir()
        shutil.copytree(preview_dir / smallest.name, final / smallest.name)
        for name in ("poster.jpg", "poster.webp"):
            shutil.copy2(preview_dir / name, final / name)
        if on_preview is not None:
            on_preview(preview_dir, preview)
        shutil.rmtree(preview_dir, ignore_errors=True)
        _check(cancelled)

        # Stage 2: every other rung, from one more decode; the sprite rides along.
        renditions = [rendition]
        sprite.duration = frames / float(info.out_rate)  # the cues end at the last frame
        if others:
            stage = encode_rungs(
                source,
                others,
                [final / r.name for r in others],
                info.out_rate,
                info.rotation,
                sound.path,
                on_frame=sprite.offer,
                limit=limit,
            )
            codecs, _ = yield from _drive(stage, "complete", info, cancelled)
            renditions += [_rendition(final, r, codecs[r.name]) for r in others]
        yield Progress("complete", frames, frames, "writing the MP4 and the sprite", "frames")
        progressive_mp4(final / top.name, final / "reel.mp4", work)
        sprite.write(final)
        captions = _captions(metadata, frames / float(info.out_rate), final)
        subtitles = captions.get("subtitles")
        hls.write_master(final / "master.m3u8", renditions, float(info.out_rate), subtitles)
        manifest = {
            **base,
            "stage": "complete",
            "mp4": "reel.mp4",
            "sprite": "sprite.vtt",
            "renditions": renditions,
            **captions,
        }
        manifest["files"] = _files(final)
        _check(cancelled)
        _move_into(final, out)
        return manifest
    finally:
        if sound is not None:
            sound.join()  # it writes into `work`
        shutil.rmtree(work, ignore_errors=True)


class _Soundtrack:
    """make_track on its own thread; `path(block)` is the encoded track, None until ready."""

    def __init__(self, source: Path, seconds: float, start: float, work: Path) -> None:
        self.track: AudioTrack | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(source, seconds, start, work), name="reel-audio", daemon=True
        )
        self.thread.start()

    def _run(self, source: Path, seconds: float, start: float, work: Path) -> None:
        try:
            self.track = make_track(source, seconds, work, start)
        except BaseException as exc:  # re-raised on the caller's thread by path()
            self.error = exc

    def path(self, block: bool) -> Path | None:
        if not block and self.thread.is_alive():
            return None
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.track.path

    def join(self) -> None:
        self.thread.join()


def _check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise Cancelled()


def _drive(stage, name: str, info: SourceInfo, cancelled) -> Generator[Progress, None, tuple]:
    """Run an encode_rungs generator, reporting and honouring cancel between frames."""
    total = max(1, round(info.duration * float(info.out_rate)))
    frames = 0
    try:
        while True:
            try:
                frames = next(stage)
            except StopIteration as stop:
                return stop.value, frames
            yield Progress(name, min(frames, total), total, "", "frames")
            if cancelled():
                raise Cancelled()
    finally:
        stage.close()


def _rendition(folder: Path, rung, codecs: str) -> dict:
    peak, average = hls.rung_bandwidth(folder / rung.name / "index.m3u8")
    return {
        "name": rung.name,
        "width": rung.width,
        "height": rung.height,
        "bandwidth": peak,
        "average_bandwidth": average,
        "codecs": codecs,
        "playlist": f"{rung.name}/index.m3u8",
    }


def _poster_fields(info: SourceInfo, top) -> dict:
    """What is known once the poster is: the stage `poster` manifest, bar its files."""
    return {
        "stage": "poster",
        "duration": round(info.duration, 3),
        "width": top.width,
        "height": top.height,
        "source": {
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "sha256": info.sha256,
        },
        "poster": "poster.jpg",
        "poster_webp": "poster.webp",
    }


def _manifest_base(info: SourceInfo, top, frames: int, loudness: dict | None) -> dict:
    base = {**_poster_fields(info, top), "duration": round(frames / float(info.out_rate), 3)}
    del base["stage"]
    return {**base, "hls": "master.m3u8", "loudness": loudness}


def _captions(metadata: dict, duration: float, folder: Path) -> dict:
    """The uploader's WebVTT (tus metadata `captions`) published beside the reel; a
    malformed one is left out, not the reel's failure: the video is what was asked for.

    `captions_burned` (tus metadata) says the picture already shows them: the manifest
    keeps it and the subtitles are offered off by default (else every line shows twice).
    """
    text = metadata.get("captions")
    if not text:
        return {}
    try:
        fields = publish_captions(text, duration, folder)
    except ValueError as exc:
        log.warning("the upload's captions are not WebVTT (%s); published without them", exc)
        return {}
    if fields and metadata.get("captions_burned") in ("1", "true", "yes"):
        fields["captions_burned"] = True
        fields["subtitles"] = {**fields["subtitles"], "default": False}
    return fields


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _move_into(staged: Path, out: Path) -> None:
    """Each finished entry renamed into `out` (same file system: the work folder is beside it)."""
    for entry in staged.iterdir():
        target = out / entry.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)
