"""Transitions in the export, the preview and the sound: exact lengths, marks in sync."""

import threading
from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from reeleditor.core.draft import Look, Segment
from reeleditor.media import render
from reeleditor.media.clips import import_media
from reeleditor.media.playback import ReelPlayer
from reeleditor.media.preview import PreviewPipeline
from reeleditor.media.render import export_draft
from reeleditor.media.soundtrack import build_soundtrack
from reeleditor.media.timeline import plan
from reeleditor.media.transitions import reel_frames
from tests.factories import drain
from tests.media.helpers import decode_video
from tests.media.transition_media import BEEP_S, FPS, RATE, marked

W, H = 1080, 1920


def _save(store, draft, *segments):
    store.save(draft.with_changes(segments=tuple(segments)))
    return store.load(draft.id)


@pytest.fixture
def mixed(store, tmp_path):
    """A 9:16 take (2 s) crossfading (0.5 s) into a landscape clip with blur fill (2 s),
    cut to a take at 2x (2 s of media, 1 s of reel): 4.5 s, 135 frames at 1080x1920.
    Marks (flash + beep) sit at media times outside the overlap."""
    draft = store.create("mixed")
    media = store.media_dir(draft.id)
    media.mkdir(parents=True, exist_ok=True)
    marked(media / "take1.mp4", 270, 480, 2.0, marks=(0.25, 0.75, 1.25))
    marked(media / "take2.mp4", 270, 480, 2.0, marks=(0.5, 1.0, 1.5))
    land = marked(tmp_path / "land.mp4", 320, 180, 2.0, marks=(0.75, 1.25, 1.75))
    clip, _ = drain(import_media(store, draft.id, land, fit="blur"))
    assert (clip.kind, clip.fit) == ("clip", "blur")
    return _save(
        store,
        draft,
        Segment("media/take1.mp4", 2.0, transition="crossfade", transition_seconds=0.5),
        clip,
        Segment("media/take2.mp4", 2.0, speed=2.0),
    )


# reel time of each mark, and the speed it plays at
MARKS = [(0.25, 1), (0.75, 1), (1.25, 1), (2.25, 1), (2.75, 1), (3.25, 1)]
MARKS += [(3.75, 2), (4.0, 2), (4.25, 2)]


def _centre_means(path: Path) -> tuple[list[float], tuple[int, int]]:
    """Each frame's mean brightness in the middle (the fitted picture), streamed."""
    means, size = [], None
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            size = (frame.width, frame.height)
            gray = frame.to_ndarray(format="gray")
            h = gray.shape[0]
            means.append(float(gray[h // 2 - h // 8 : h // 2 + h // 8].mean()))
    return means, size


def _sound(path: Path) -> np.ndarray:
    """Mono samples, each decoded frame placed at its pts."""
    with av.open(str(path)) as container:
        out = np.zeros(round(float(container.duration / 1e6) * RATE) + RATE, np.float32)
        for frame in container.decode(audio=0):
            at = round(float(frame.pts * frame.time_base) * RATE)
            data = frame.to_ndarray()[0]
            lo = max(at, 0)
            out[lo : at + len(data)] = data[lo - at :]
    return out


def _beep_at(sound: np.ndarray, at: float, speed: float) -> float:
    """The start of the beep expected near `at`, from its energy centroid (as atempo
    smears a beep's attack, the centroid less half its length is the robust mark)."""
    lo, hi = round((at - 0.1) * RATE), round((at + BEEP_S / speed + 0.1) * RATE)
    energy = sound[lo:hi].astype(np.float64) ** 2
    return (np.arange(lo, lo + len(energy)) * energy).sum() / energy.sum() / RATE - (
        BEEP_S / 2 / speed
    )


def test_mixed_draft_exports_exact_length_in_sync_at_1080x1920(store, mixed, tmp_path):
    assert mixed.duration == pytest.approx(4.5)
    soundtrack = build_soundtrack(mixed, plan(mixed, store.media_path))
    assert soundtrack.shape[1] == 135 * RATE // FPS  # exact, before the encoder
    out = tmp_path / "mixed.mp4"
    result = drain(export_draft(store, mixed, out))
    assert result.frames == 135 and not result.notices
    means, size = _centre_means(out)
    assert size == (W, H) and len(means) == 135
    flashes = np.array(means) > 135
    rising = [i for i in range(135) if flashes[i] and (i == 0 or not flashes[i - 1])]
    video = [i / FPS for i in rising]
    sound = _sound(out)
    assert len(sound) >= 4.5 * RATE and np.abs(sound[round(4.5 * RATE) + 2048 :]).max() < 0.01
    assert len(video) == len(MARKS), video
    for v, (expected, speed) in zip(video, MARKS, strict=True):
        audio = _beep_at(sound, expected, speed)
        assert abs(v - expected) <= 1 / FPS, (expected, v)
        assert abs(audio - expected) <= 1 / FPS, (expected, audio)
        assert abs(v - audio) <= 1 / FPS, (expected, v, audio)


RED, BLUE = (0, 0, 220), (220, 0, 0)  # BGR


@pytest.fixture
def red_blue(store):
    """A red second into a blue second at 108x192; the 0.5 s overlap is frames 15-29."""
    draft = store.create("colours", width=108, height=192)
    media = store.media_dir(draft.id)
    media.mkdir(parents=True, exist_ok=True)
    marked(media / "red.mp4", 108, 192, 1.0, colour=RED, hz=440, hum=0.3)
    marked(media / "blue.mp4", 108, 192, 1.0, colour=BLUE, hz=1320, hum=0.3)
    return _save(store, draft, Segment("media/red.mp4", 1.0), Segment("media/blue.mp4", 1.0))


def _with(store, draft, name: str, seconds: float = 0.5):
    first, second = draft.segments
    return _save(store, draft, replace(first, transition=name, transition_seconds=seconds), second)


def _export(store, draft, tmp_path) -> list[np.ndarray]:
    out = tmp_path / "out.mp4"
    drain(export_draft(store, draft, out, "small"))
    return decode_video(out)


@pytest.mark.parametrize("name", ["crossfade", "dip", "slide", "zoom"])
def test_each_transition_mid_way(store, red_blue, tmp_path, name):
    frames = _export(store, _with(store, red_blue, name), tmp_path)
    assert len(frames) == 45
    red, blue = frames[5].astype(int), frames[40].astype(int)
    mid = frames[22].astype(int)  # overlap frame 7 of 15: progress 0.5
    w = mid.shape[1]
    if name == "crossfade":
        assert np.abs(mid - (red + blue) / 2).mean() < 6  # purple
    elif name == "dip":
        assert mid.max() < 20  # through black
    elif name == "slide":
        assert np.abs(mid[:, 8 : w // 2 - 8] - red[:, 8 : w // 2 - 8]).mean() < 6
        assert np.abs(mid[:, w // 2 + 8 : -8] - blue[:, w // 2 + 8 : -8]).mean() < 6
    else:
        assert np.abs(mid - red).mean() > 30 and np.abs(mid - blue).mean() > 30
    # before and after the overlap the pictures are the segments' own
    assert np.abs(frames[14].astype(int) - red).mean() < 30
    assert np.abs(frames[30].astype(int) - blue).mean() < 30


def test_both_sounds_cross_over_the_overlap_and_the_length_is_exact(store, red_blue):
    draft = _with(store, red_blue, "crossfade", 1.0)  # the whole of both segments
    sound = build_soundtrack(draft, plan(draft, store.media_path))[0]
    assert sound.shape[0] == 30 * RATE // FPS

    def level(part: np.ndarray, hz: float) -> float:
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        return float(spectrum[round(hz * len(part) / RATE)])

    quarter = RATE // 4
    start, middle, end = (
        sound[:quarter],
        sound[RATE // 2 - quarter // 2 :][:quarter],
        sound[-quarter:],
    )
    assert level(start, 440) > 3 * level(start, 1320)  # mostly the outgoing tone
    assert level(end, 1320) > 3 * level(end, 440)  # mostly the incoming one
    assert 0.5 < level(middle, 440) / level(middle, 1320) < 2  # both, equally, mid-way


@pytest.mark.parametrize("name", ["zoom", "crossfade"])  # blended in BGR / on YUV planes
def test_preview_frame_equals_export_frame_inside_a_transition(
    store, red_blue, tmp_path, monkeypatch, name
):
    first, second = red_blue.segments
    draft = _save(
        store,
        red_blue,
        replace(first, transition=name, transition_seconds=0.5),
        second,
    ).with_changes(look=Look("warm"))
    store.save(draft)
    draft = store.load(draft.id)
    composed: dict[int, np.ndarray] = {}
    shape = render.FrameShaper.shape

    def keep(self, index, frame):
        if frame.format.name == "yuv420p":  # converted as the player converts it
            composed[index] = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        else:  # a copy: the shaper grades the frame's own buffer in place
            composed[index] = frame.to_ndarray(format="bgr24").copy()
        return shape(self, index, frame)

    monkeypatch.setattr(render.FrameShaper, "shape", keep)
    exported = _export(store, draft, tmp_path)
    for reel_time in (0.6, 0.8):  # inside the overlap (0.5-1.0 s)
        index = round(reel_time * FPS)
        player = ReelPlayer(store, draft, start=reel_time).open()
        try:
            frame = player.wait_frame(-1, timeout=5)
        finally:
            player.close()
        assert frame is not None
        assert np.array_equal(frame.image, composed[index])  # the same composed picture
        shown = _through_preview(frame, draft.look)
        small = cv2.resize(exported[index], (54, 96), interpolation=cv2.INTER_AREA)
        diff = np.abs(shown.astype(int) - small.astype(int)).mean()
        assert diff < 4, diff  # the graded preview is the graded export, scaled down


class _Held:
    """A source that holds one frame: the preview pipeline grades it once."""

    def __init__(self, frame) -> None:
        self.frame = frame

    def wait_frame(self, after: int = -1, timeout: float = 1.0):
        return self.frame if self.frame.index > after else None

    def latest(self):
        return self.frame


def _through_preview(frame, look: Look) -> np.ndarray:
    """The picture the preview shows for `frame` (at a tenth of 1080x1920, not mirrored)."""
    pipeline = PreviewPipeline(size=(54, 96))
    pipeline.mirror = False
    pipeline.set_look(look)
    pipeline.set_source(_Held(frame))
    shown = threading.Event()
    pipeline.start()
    try:
        while pipeline.latest() is None:
            shown.wait(0.01)  # the pipeline has no signal here; it grades within ms
        return pipeline.latest()[1]
    finally:
        pipeline.stop()


def test_playing_from_mid_reel_opens_only_the_clips_it_shows(store, red_blue):
    """From after the overlap the first file is never opened (it is gone here); from
    inside the overlap both are read, and the frames are those of a play from the start."""
    draft = _with(store, red_blue, "crossfade")
    clips = plan(draft, store.media_path)
    whole = [(i, f.to_ndarray()) for i, f in reel_frames(clips, FPS)]
    assert [i for i, _ in whole] == list(range(45))
    inside = [(i, f.to_ndarray()) for i, f in reel_frames(clips, FPS, start_index=20)]
    assert [i for i, _ in inside] == list(range(20, 45))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(inside, whole[20:], strict=True))
    store.media_path(draft, draft.segments[0]).unlink()
    after = [i for i, _ in reel_frames(clips, FPS, start_index=31)]
    assert after == list(range(31, 45))


def test_a_segment_trimmed_to_nothing_leaves_a_cut_as_the_draft_counts_it(store, red_blue):
    red, blue = red_blue.segments
    empty = replace(red, id="empty", trim_in=1.0)  # no frames: the plan drops it
    draft = _save(
        store, red_blue, replace(red, transition="crossfade", transition_seconds=0.5), empty, blue
    )
    assert draft.duration == pytest.approx(2.0)
    clips = plan(draft, store.media_path)
    assert [c.number for c in clips] == [1, 3]
    assert sum(1 for _ in reel_frames(clips, FPS)) == 60
