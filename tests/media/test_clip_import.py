"""Clips and photos from disk, added by `reeleditor add` and exported at 1080x1920, 30 fps."""

import cv2
import numpy as np
import pytest

from reeleditor.cli import main
from reeleditor.media import render
from reeleditor.media.playback import ReelPlayer
from reeleditor.media.render import export_draft
from tests.factories import drain
from tests.media.clip_media import (
    halves,
    rotated_clip,
    upright_by_ffmpeg,
    vfr_clip,
    write_clip,
    write_photo,
)
from tests.media.helpers import decode_video

W, H = 1080, 1920


def _add(store, draft_id, path, *extra) -> None:
    store.release(draft_id)
    assert main(["add", draft_id, str(path), *extra]) == 0


def _export(store, draft_id, tmp_path) -> list[np.ndarray]:
    out = tmp_path / "out.mp4"
    drain(export_draft(store, store.load(draft_id), out, "small"))
    return decode_video(out)


@pytest.fixture
def empty(store):
    return store.create("clips")


def test_a_landscape_clip_with_blur_fills_the_frame_with_a_blurred_copy(store, empty, tmp_path):
    _add(store, empty.id, write_clip(tmp_path / "land.mp4"), "--fit", "blur")
    seg = store.load(empty.id).segments[0]
    assert (seg.kind, seg.fit) == ("clip", "blur")
    frames = _export(store, empty.id, tmp_path)
    assert len(frames) == 30 and frames[0].shape == (H, W, 3)
    frame = frames[10]
    band_h = round(180 * W / 320)  # 608: the clip fitted to the width
    top = (H - band_h) // 2
    side = frame[: top - 20].astype(np.float32)
    assert side.mean() > 25  # content, not black
    assert cv2.Laplacian(frame[: top - 20], cv2.CV_64F).var() < 5  # smooth: blurred
    centre = frame[top + 10 : top + band_h - 10]
    expected = cv2.resize(halves(320, 180, 10), (W, band_h))[10:-10]
    assert np.abs(centre.astype(int) - expected).mean() < 8


def test_fit_letterboxes_on_black_and_fill_crops_without_bars(store, empty, tmp_path):
    clip = write_clip(tmp_path / "land.mp4", frames=6)
    _add(store, empty.id, clip, "--fit", "fit")
    _add(store, empty.id, clip, "--fit", "fill")
    frames = _export(store, empty.id, tmp_path)
    assert len(frames) == 12
    fit, fill = frames[3], frames[9]
    assert fit[:600].max() < 12 and fit[-600:].max() < 12  # black bars above and below
    assert fit[H // 2].mean() > 60
    assert min(fill[:50].mean(), fill[-50:].mean()) > 60  # no bars: covered to the edges
    # cropped: only the middle third of the 320 px width is shown, red left, blue right
    assert fill[H // 4, 40, 2] > 150 and fill[H // 4, W - 40, 0] > 150


def test_a_rotated_phone_clip_comes_out_upright(store, empty, tmp_path):
    clip = rotated_clip(tmp_path / "phone.mp4")
    _add(store, empty.id, clip, "--fit", "fit")
    frames = _export(store, empty.id, tmp_path)
    assert len(frames) == 15
    reference = upright_by_ffmpeg(clip)
    assert reference.shape[:2] == (192, 108)  # portrait, as the phone held it
    scale = min(W / 108, H / 192)
    size = (round(108 * scale), round(192 * scale))
    expected = cv2.resize(reference, size)
    y, x = (H - size[1]) // 2, (W - size[0]) // 2
    shown = frames[0][y + 8 : y + size[1] - 8, x + 8 : x + size[0] - 8].astype(int)
    assert np.abs(shown - expected[8:-8, 8:-8]).mean() < 10


def test_a_variable_frame_rate_clip_conforms_to_an_exact_30_fps_count(store, empty, tmp_path):
    _add(store, empty.id, vfr_clip(tmp_path / "vfr.mp4"))
    seg = store.load(empty.id).segments[0]
    assert seg.length == pytest.approx(2.0, abs=1 / 30)
    assert len(_export(store, empty.id, tmp_path)) == round(seg.length * 30)


def test_a_photo_is_a_still_of_the_chosen_length_with_a_slow_zoom(store, empty, tmp_path):
    _add(store, empty.id, write_photo(tmp_path / "photo.png"), "--still-seconds", "2")
    seg = store.load(empty.id).segments[0]
    assert (seg.kind, seg.fit, seg.length) == ("photo", "blur", 2.0)
    frames = _export(store, empty.id, tmp_path)
    assert len(frames) == 60
    first, last = frames[0].astype(np.float32), frames[59].astype(np.float32)
    assert np.abs(first - last).mean() > 10  # the picture moved
    c = np.array([(W - 1) / 2, (H - 1) / 2])
    zoom = np.array([[1.1, 0, -0.1 * c[0]], [0, 1.1, -0.1 * c[1]]])
    zoomed = cv2.warpAffine(frames[0], zoom, (W, H)).astype(np.float32)
    assert np.abs(zoomed - last)[200:-200, 100:-100].mean() < 6  # by 110 %, about the centre


@pytest.mark.parametrize("kind", ["blur clip", "photo"])
def test_preview_frame_equals_export_frame(store, empty, tmp_path, monkeypatch, kind):
    if kind == "photo":
        _add(store, empty.id, write_photo(tmp_path / "p.jpg"), "--still-seconds", "1")
    else:
        _add(store, empty.id, write_clip(tmp_path / "land.mp4"), "--fit", "blur")
    shaped: dict[int, np.ndarray] = {}
    shape = render.FrameShaper.shape

    def keep(self, index, frame):
        shaped[index] = frame.to_ndarray(format="bgr24")  # the picture before encoding
        return shape(self, index, frame)

    monkeypatch.setattr(render.FrameShaper, "shape", keep)
    draft = store.load(empty.id)
    drain(export_draft(store, draft, tmp_path / "out.mp4", "small"))
    for reel_time in (0.2, 0.8):
        player = ReelPlayer(store, draft, start=reel_time).open()
        try:
            frame = player.wait_frame(-1, timeout=5)
        finally:
            player.close()
        assert frame is not None
        assert np.array_equal(frame.image, shaped[round(reel_time * 30)])


def test_the_draft_plays_after_the_original_file_is_deleted(store, empty, tmp_path):
    original = write_clip(tmp_path / "gone.mp4", frames=9)
    _add(store, empty.id, original)
    original.unlink()
    draft = store.load(empty.id)
    assert not store.missing_segments(draft)
    assert store.media_path(draft, draft.segments[0]).is_file()
    assert len(_export(store, empty.id, tmp_path)) == 9
