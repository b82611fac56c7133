"""The transitions' frame layout (locate) and their pictures (blend), without media."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from reeleditor.media.transitions import _YUV_BLENDS, blend, locate, progress, reel_length


def _solid(colour, size=(96, 54)):
    image = np.empty((*size, 3), np.uint8)
    image[:] = colour
    return image


RED, BLUE = _solid((0, 0, 255)), _solid((255, 0, 0))


def test_locate_maps_every_reel_frame_once():
    frames, overlaps = [10, 8, 6], [3, 2]
    assert reel_length(frames, overlaps) == 19
    seen = [locate(frames, overlaps, i) for i in range(19)]
    assert seen[0] == ([(0, 0)], None)
    assert seen[6] == ([(0, 6)], None)
    assert seen[7] == ([(0, 7), (1, 0)], progress(0, 3))
    assert seen[9] == ([(0, 9), (1, 2)], progress(2, 3))
    assert seen[10] == ([(1, 3)], None)
    assert seen[13] == ([(1, 6), (2, 0)], pytest.approx(0.25))
    assert seen[18] == ([(2, 5)], None)
    # every clip frame is shown exactly once, in order
    for clip, count in enumerate(frames):
        locals_ = [loc for parts, _ in seen for pos, loc in parts if pos == clip]
        assert locals_ == list(range(count))
    with pytest.raises(IndexError):
        locate(frames, overlaps, 19)


def test_cuts_and_whole_clip_overlaps():
    assert locate([4, 4], [0], 4) == ([(1, 0)], None)
    # a clip wholly inside its two transitions still shows each frame once
    frames, overlaps = [4, 4, 4], [2, 2]
    parts = [
        p for i in range(reel_length(frames, overlaps)) for p in locate(frames, overlaps, i)[0]
    ]
    assert sorted(parts) == [(c, j) for c in range(3) for j in range(4)]


def test_crossfade_mid_way_is_purple():
    mid = blend("crossfade", RED, BLUE, 0.5)
    assert np.allclose(mid[0, 0], (128, 0, 128), atol=1)


def test_dip_goes_through_black():
    assert blend("dip", RED, BLUE, 0.5).max() <= 1
    assert np.allclose(blend("dip", RED, BLUE, 0.25)[0, 0], (0, 0, 128), atol=1)
    assert np.allclose(blend("dip", RED, BLUE, 0.75)[0, 0], (128, 0, 0), atol=1)


def test_slide_pushes_the_next_in_from_the_right():
    mid = blend("slide", RED, BLUE, 0.5)
    width = mid.shape[1]
    assert (mid[:, : width // 2 - 1] == RED[0, 0]).all()
    assert (mid[:, width // 2 + 1 :] == BLUE[0, 0]).all()
    early = blend("slide", RED, BLUE, 0.1)
    assert (early[:, : int(width * 0.9)] == RED[0, 0]).all()


def test_zoom_is_neither_picture_and_scales_with_the_frame():
    pattern = np.zeros((192, 108, 3), np.uint8)
    pattern[90:102, 48:60] = 255  # a white square at the centre grows as a zooms
    mid = blend("zoom", pattern, BLUE[:1, :1].repeat(192, 0).repeat(108, 1), 0.5)
    assert not np.array_equal(mid, pattern)
    small = blend("zoom", pattern[::2, ::2], np.broadcast_to(BLUE[0, 0], (96, 54, 3)).copy(), 0.5)
    # the same blend at half size is the full-size one scaled down (proportional geometry)
    assert np.abs(small.astype(int) - mid[::2, ::2].astype(int)).mean() < 8


def test_out_is_filled_and_unknown_names_refused():
    out = np.zeros_like(RED)
    assert blend("crossfade", RED, BLUE, 0.25, out=out) is out
    with pytest.raises(ValueError, match="unknown transition"):
        blend("wipe", RED, BLUE, 0.5)


@pytest.mark.parametrize("name", sorted(_YUV_BLENDS))
@pytest.mark.parametrize("p", [0.1, 0.4, 0.6, 0.9])
def test_blends_on_yuv_planes_equal_the_bgr_blends(name, p):
    """Two plain takes are blended on their 4:2:0 planes: the same picture, to rounding."""
    h, w = 96, 54
    ramp = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
    a = np.broadcast_to(ramp, (h, w, 3)).astype(np.uint8).copy()
    a[..., 2] = 200
    b = a[::-1, ::-1].copy()
    b[..., 0] = 30
    a_yuv, b_yuv = (cv2.cvtColor(x, cv2.COLOR_BGR2YUV_I420) for x in (a, b))
    via_yuv = cv2.cvtColor(_YUV_BLENDS[name](a_yuv, b_yuv, p, h), cv2.COLOR_YUV2BGR_I420)
    via_bgr = blend(name, *(cv2.cvtColor(x, cv2.COLOR_YUV2BGR_I420) for x in (a_yuv, b_yuv)), p)
    assert np.abs(via_yuv.astype(int) - via_bgr.astype(int)).max() <= 3
