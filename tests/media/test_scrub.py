"""Scrubbing: the picture at reel time t is the export's frame round(t * fps), from the
original or from its proxy, with speed, trims and reorders; decode-ahead and stale requests."""

from dataclasses import replace

import numpy as np
import pytest

from reeleditor.core.draft import Segment
from reeleditor.media.conform import conform
from reeleditor.media.proxies import build_proxies, proxy_path, ready_proxy
from reeleditor.media.render import clip_frames
from reeleditor.media.scrub import ScrubService
from reeleditor.media.timeline import plan
from tests.factories import drain
from tests.media.speed_media import BITS, FPS, H, W, draft_with_marks


def _number(img: np.ndarray) -> int:
    """The source frame number a marked picture shows (at W x H)."""
    return sum(1 << b for b in range(BITS) if img[4:12, b * 16 + 4 : b * 16 + 12].mean() > 128)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.fixture
def marked(store):
    """A 2x segment over all 2 s, then a 0.5x one over media 0.5..1.0 s, then 1x from 1 s."""
    draft = draft_with_marks(store)
    first, second = draft.segments
    third = Segment("media/marks.mp4", 2.0, "third", trim_in=1.0)
    segs = (replace(first, speed=2.0), replace(second, speed=0.5, trim_in=0.5, trim_out=1.0), third)
    draft = draft.with_changes(segments=segs)
    store.save(draft)
    return store.load(draft.id)


def _export_frames(store, draft) -> list[np.ndarray]:
    """Every reel frame as render.clip_frames makes it (cuts only), at W x H BGR."""
    out = []
    for clip in plan(draft, store.media_path):
        for frame in clip_frames(clip, FPS):
            if frame.format.name == "yuv420p":
                import cv2

                out.append(cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420))
            else:
                out.append(frame.to_ndarray(format="bgr24"))
    return out


def test_every_frame_from_the_original_is_the_exports(store, marked):
    expected = _export_frames(store, marked)
    assert len(expected) == round(marked.duration * FPS) == 30 + 30 + 30
    scrub = ScrubService(store, size=(W, H), proxies=False)
    scrub.set_draft(marked)
    try:
        order = list(range(len(expected)))
        rng = np.random.default_rng(3)
        for index in [*order, *rng.permutation(order)[:40], *reversed(order[:20])]:
            got = scrub.frame_at(int(index))
            assert np.array_equal(got, conform(expected[index], W, H)), index
    finally:
        scrub.close()
    # 2x: every second picture; 0.5x from 0.5 s: each picture twice; 1x from 1 s
    assert [_number(expected[i]) for i in (0, 1, 29)] == [0, 2, 58]
    assert [_number(expected[i]) for i in (30, 31, 32, 59)] == [15, 15, 16, 29]
    assert _number(expected[60]) == 30


def test_the_proxy_gives_the_same_frames(store, marked):
    assert ready_proxy(store, marked, marked.segments[0]) is None
    made = drain(build_proxies(store, marked))
    assert made == 1  # one file, one fit: one proxy for the three segments
    path = ready_proxy(store, marked, marked.segments[0])
    assert path is not None and path.parent.name == "proxies"
    assert proxy_path(store, marked, marked.segments[2]) == path
    assert drain(build_proxies(store, marked)) == 0  # built once
    expected = _export_frames(store, marked)
    scrub = ScrubService(store, size=(W, H))
    scrub.set_draft(marked)
    try:
        rng = np.random.default_rng(5)
        for index in rng.permutation(len(expected))[:60]:
            got = scrub.frame_at(int(index))
            assert _number(got) == _number(expected[index]), index
            # the proxy is 540x960: compare with the export's picture taken there and back
            there_and_back = conform(conform(expected[index], 540, 960), W, H)
            assert _psnr(got, there_and_back) > 30, index
    finally:
        scrub.close()


def test_the_thread_serves_the_newest_request(store, marked):
    scrub = ScrubService(store, size=(W, H), proxies=False)
    scrub.set_draft(marked)
    try:
        for t in np.linspace(0, 2.9, 50):
            scrub.request(float(t))  # a fast drag: most are stale before they are served
        last = scrub.request(0.5)
        frame = None
        for _ in range(100):
            frame = scrub.wait_frame(-1 if frame is None else frame.index, timeout=5)
            if frame is not None and frame.reel_index == last:
                break
        assert frame is not None and frame.reel_index == 15
        assert _number(frame.image) == 30  # 2x: reel 0.5 s is media 1.0 s
        assert scrub.request(99.0) == 89  # past the end: the last frame
    finally:
        scrub.close()


@pytest.mark.parametrize("name", ["crossfade", "dip", "slide", "zoom"])
def test_frames_inside_a_transition_are_the_exports(store, marked, name):
    from reeleditor.core import edits
    from reeleditor.media.transitions import reel_frames

    draft = edits.set_transition(marked, 1, name, 0.5, marked.updated)
    draft = edits.set_transition(draft, 2, "crossfade", 0.3, draft.updated)
    clips = plan(draft, store.media_path)
    expected = {}
    for index, frame in reel_frames(clips, FPS):
        if frame.format.name == "yuv420p":
            import cv2

            expected[index] = cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        else:
            expected[index] = frame.to_ndarray(format="bgr24")
    assert len(expected) == 90 - 15 - 9
    scrub = ScrubService(store, size=(W, H), proxies=False)
    scrub.set_draft(draft)
    try:
        for index in [*range(10, 35), *range(50, 66), 0, 65, 20]:  # both overlaps, both ways
            got = scrub.frame_at(index).astype(int)
            # the export may blend a crossfade or dip of two plain takes on the YUV planes
            # (the same picture to rounding); the scrub blends in BGR as every other kind
            assert np.abs(got - expected[index]).max() <= 3, index
    finally:
        scrub.close()


@pytest.mark.parametrize("kind", ["blur clip", "rotated clip", "photo"])
def test_shaped_clips_and_photos_from_original_and_proxy(store, tmp_path, kind):
    """Turned, fitted and zooming pictures: exact from the original, close from the proxy."""
    from reeleditor.media.clips import import_media
    from tests.media.clip_media import rotated_clip, write_clip, write_photo

    draft = store.create("shaped", width=540, height=960)
    if kind == "photo":
        source = write_photo(tmp_path / "p.jpg")
    elif kind == "rotated clip":
        source = rotated_clip(tmp_path / "r.mp4")
    else:
        source = write_clip(tmp_path / "land.mp4", frames=45)
    segment, _ = drain(import_media(store, draft.id, source, fit="blur"))
    draft = draft.with_changes(segments=(segment,))
    store.save(draft)
    expected = _export_frames(store, draft)
    original = ScrubService(store, proxies=False)
    original.set_draft(draft)
    made = drain(build_proxies(store, draft))
    assert made == (0 if kind == "photo" else 1)  # a photo needs none: it is decoded once
    proxied = ScrubService(store)
    proxied.set_draft(draft)
    try:
        for index in (len(expected) - 1, 0, len(expected) // 2, 3):
            assert np.array_equal(original.frame_at(index), expected[index]), index
            assert _psnr(proxied.frame_at(index), expected[index]) > 32, index
    finally:
        original.close()
        proxied.close()
