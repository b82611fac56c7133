"""Looks: identity where neutral, each adjustment does what it says, preview equals export."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reeleditor.core.draft import ADJUSTMENT_NAMES, Look
from reeleditor.core.errors import MediaError
from reeleditor.media import looks
from reeleditor.media.looks import (
    CATALOG,
    apply_look,
    clear_cache,
    compile_look,
    list_looks,
    look_thumbnails,
)

W, H = 48, 80
NAMES = [info.name for info in CATALOG]


def scene(w: int = W, h: int = H, seed: int = 3) -> np.ndarray:
    """A colourful gradient with texture: every channel spans most of 0..255."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    b = 128 + 110 * np.sin(x / 7.0)
    g = 128 + 110 * np.cos(y / 9.0)
    r = 128 + 110 * np.sin((x + y) / 11.0)
    base = np.dstack([b, g, r])
    noise = np.random.default_rng(seed).normal(0, 8, base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def flat(value: int = 128, w: int = W, h: int = H) -> np.ndarray:
    return np.full((h, w, 3), value, np.uint8)


def adjusted(name: str, amount: float, frame: np.ndarray, index: int = 0) -> np.ndarray:
    return apply_look(frame, Look("none", 100, ((name, amount),)), index=index)


def test_catalog_has_none_and_a_dozen_named_looks():
    assert NAMES[0] == "none"
    assert len(NAMES) >= 13 and len(set(NAMES)) == len(NAMES)
    for entry in list_looks():
        assert set(entry) == {"name", "title", "description"}
        assert entry["name"].isidentifier() and entry["title"] and entry["description"]
    for expected in ("warm", "cool", "faded", "vivid", "vintage", "mono", "bold"):
        assert expected in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_look_changes_the_picture_except_none_and_zero_strength(name):
    frame = scene()
    out = apply_look(frame, Look(name))
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out is not frame
    if name == "none":
        assert np.array_equal(out, frame)
    else:
        assert np.abs(out.astype(int) - frame).mean() > 3
    assert np.array_equal(apply_look(frame, Look(name, strength=0.0)), frame)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "none"])
def test_strength_moves_steadily_away_from_the_original(name):
    frame = scene()
    dist = [
        np.abs(apply_look(frame, Look(name, s)).astype(int) - frame).mean()
        for s in (0, 25, 50, 100)
    ]
    assert dist[0] == 0 and dist[1] < dist[2] < dist[3]


def test_black_and_white_looks_have_equal_channels_and_sepia_is_tinted():
    frame = scene()
    mono = apply_look(frame, Look("mono")).astype(int)
    assert np.array_equal(mono[..., 0], mono[..., 1]) and np.array_equal(mono[..., 1], mono[..., 2])
    sepia = apply_look(frame, Look("sepia")).astype(int)
    assert sepia[..., 2].mean() > sepia[..., 0].mean() + 5  # red above blue: brown


def test_adjustments_do_what_their_names_say():
    frame, gray = scene(), flat(128)
    mean = frame.astype(float).mean()
    assert adjusted("brightness", 60, frame).mean() > mean + 5
    assert adjusted("brightness", -60, frame).mean() < mean - 5
    assert adjusted("contrast", 60, frame).std() > frame.std() + 5
    assert adjusted("contrast", -60, frame).std() < frame.std() - 5

    def chroma(img):
        return np.abs(img.astype(int) - img.mean(axis=2, keepdims=True)).mean()

    assert chroma(adjusted("saturation", 60, frame)) > chroma(frame) * 1.3
    assert chroma(adjusted("saturation", -100, frame)) < 1.0
    warm = adjusted("warmth", 80, gray).astype(int)
    assert warm[..., 2].mean() > 140 and warm[..., 0].mean() < 116
    cool = adjusted("warmth", -80, gray).astype(int)
    assert cool[..., 0].mean() > 140 and cool[..., 2].mean() < 116
    assert adjusted("tint", 80, gray)[..., 1].mean() < 118  # magenta: less green
    assert adjusted("tint", -80, gray)[..., 1].mean() > 138
    assert adjusted("fade", 80, flat(0)).min() > 30  # lifted blacks
    assert adjusted("fade", -80, flat(20)).max() < 10  # crushed shadows


def test_vignette_darkens_or_lightens_the_corners_and_keeps_the_centre():
    frame = flat(150)
    dark = adjusted("vignette", 100, frame).astype(int)
    light = adjusted("vignette", -100, frame).astype(int)
    assert dark[H // 2, W // 2].tolist() == [150, 150, 150]
    assert light[H // 2, W // 2].tolist() == [150, 150, 150]
    assert dark[0, 0].max() < 110 and light[0, 0].min() > 180


def test_grain_is_deterministic_per_frame_index_and_moves_between_frames():
    frame = flat(128)
    a0 = adjusted("grain", 80, frame, index=0)
    assert a0.std() > 2 and abs(a0.mean() - 128) < 3
    assert np.array_equal(a0, adjusted("grain", 80, frame, index=0))
    assert not np.array_equal(a0, adjusted("grain", 80, frame, index=1))
    # grain is luma grain: the three channels move together
    assert np.array_equal(a0[..., 0], a0[..., 2])
    # with a vignette too, grain and vignette share precomputed masks: still per index
    both = Look("none", 100, (("grain", 80), ("vignette", 50)))
    assert np.array_equal(apply_look(frame, both, 7), apply_look(frame, both, 7))
    assert any(
        not np.array_equal(apply_look(frame, both, 0), apply_look(frame, both, i))
        for i in range(1, 4)
    )


def test_without_grain_the_index_does_not_matter():
    frame = scene()
    assert np.array_equal(
        apply_look(frame, Look("cinema"), 0), apply_look(frame, Look("cinema"), 99)
    )
    assert not compile_look(Look("cinema"), W, H).varies
    assert compile_look(Look("noir"), W, H).varies


def test_sharpen_raises_edge_contrast_and_negative_softens():
    frame = np.zeros((H, W, 3), np.uint8)
    frame[:, W // 2 :] = 200
    frame[:, : W // 2] = 50

    def edge(img):
        return np.abs(np.diff(img[H // 2, :, 1].astype(int))).max()

    assert edge(adjusted("sharpen", 80, frame)) > edge(frame)
    assert edge(adjusted("sharpen", -80, frame)) < edge(frame)


def test_preview_and_export_give_identical_pixels():
    """The preview applies a cached compile into a reused buffer on its own thread; the
    export compiles afresh and allocates. Same frame and setting: the same bytes."""
    look = Look("vintage", 70, (("brightness", 10.0), ("sharpen", 20.0), ("grain", 20.0)))
    frames = [scene(seed=s) for s in range(4)]
    preview: list[np.ndarray] = []

    def run_preview():
        compiled = compile_look(look, W, H)
        buf = np.empty_like(frames[0])
        for i, f in enumerate(frames):
            preview.append(compiled.apply(f, index=i, out=buf).copy())

    t = threading.Thread(target=run_preview, name="preview")
    t.start()
    t.join()
    clear_cache()
    export = [apply_look(f, look, index=i) for i, f in enumerate(frames)]
    for p, e in zip(preview, export, strict=True):
        assert np.array_equal(p, e)
    # and in place, as a recorder may do it
    in_place = frames[2].copy()
    apply_look(in_place, look, index=2, out=in_place)
    assert np.array_equal(in_place, export[2])


def test_one_compiled_look_is_safe_on_two_threads_at_once():
    compiled = compile_look(Look("noir", 80), W, H)
    frame = scene()
    expected = [compiled.apply(frame, index=i) for i in range(20)]
    bad = []

    def worker():
        for i in range(20):
            if not np.array_equal(compiled.apply(frame, index=i), expected[i]):
                bad.append(i)

    threads = [threading.Thread(target=worker, name=f"w{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad


def test_compile_is_cached_per_setting_and_size():
    a = compile_look(Look("warm", 40), W, H)
    assert compile_look(Look("warm", 40), W, H) is a
    assert compile_look(Look("warm", 41), W, H) is not a
    assert compile_look(Look("warm", 40), W + 2, H) is not a


def test_the_cache_stays_within_its_byte_budget(monkeypatch):
    monkeypatch.setattr(looks, "CACHE_BYTES", 200_000)
    clear_cache()
    for s in range(30):
        compile_look(Look("vintage", s + 1), 120, 200)
    assert sum(c.nbytes for c in looks._cache.values()) <= 200_000 or len(looks._cache) == 1
    clear_cache()


def test_bad_input_is_a_clear_error():
    with pytest.raises(MediaError, match="unknown look 'sparkle'"):
        compile_look(Look("sparkle"), W, H)
    compiled = compile_look(Look("warm"), W, H)
    with pytest.raises(MediaError, match="compiled for 48x80"):
        compiled.apply(scene(W + 1, H))
    with pytest.raises(MediaError):
        compiled.apply(scene().astype(np.float32))
    with pytest.raises(MediaError):
        compiled.apply(scene(), out=np.empty((H, W, 3), np.uint16))


def test_thumbnails_cover_every_look_at_the_asked_size():
    frame = scene(270, 480)
    thumbs = look_thumbnails(frame, 96)
    assert list(thumbs) == NAMES
    assert all(t.shape == (96, 54, 3) and t.dtype == np.uint8 for t in thumbs.values())
    assert np.array_equal(thumbs["none"], look_thumbnails(frame, (54, 96))["none"])
    assert not np.array_equal(thumbs["none"], thumbs["vivid"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(NAMES),
    strength=st.floats(0, 100),
    adjustments=st.dictionaries(st.sampled_from(ADJUSTMENT_NAMES), st.floats(-100, 100)),
    index=st.integers(0, 10**6),
    size=st.tuples(st.integers(1, 24), st.integers(1, 24)),
)
def test_any_setting_on_any_frame_size_is_safe_and_repeatable(
    name, strength, adjustments, index, size
):
    w, h = size
    frame = np.random.default_rng(index).integers(0, 256, (h, w, 3), dtype=np.uint8)
    look = Look(name, strength, tuple(sorted(adjustments.items())))
    out = apply_look(frame, look, index)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(out, apply_look(frame.copy(), look, index))
