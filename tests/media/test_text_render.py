"""Text rasterising: styles, scripts and emoji draw glyphs, animations move, bad input."""

import numpy as np
import pytest

from reeleditor.core.draft import Draft
from reeleditor.core.words import TEXT_STYLES, Captions, Cue, TextOverlay, TextStyle
from reeleditor.media import fonts, text_render
from reeleditor.media.words_layer import WordsLayer, composite_words, place

PX, WRAP, TALL = 64, 972, 3840


PLAIN = TextStyle()


def _ink(words: str, look: TextStyle = PLAIN) -> np.ndarray:
    return text_render.raster(words, look, PX, WRAP, TALL).alpha


def _notdef() -> np.ndarray:
    return _ink("\U000e01ef")  # no face has it: the tofu box every face draws


def test_styles_render_differently():
    tiles = {
        s: text_render.raster("Hello", TextStyle(style=s), PX, WRAP, TALL) for s in TEXT_STYLES
    }
    sigs = {s: (t.premul.tobytes(), t.alpha.tobytes()) for s, t in tiles.items()}
    assert len(set(sigs.values())) == len(TEXT_STYLES)
    for tile in tiles.values():
        assert tile.alpha.max() == 255 and (tile.premul <= tile.alpha[..., None]).all()


@pytest.mark.parametrize("face", ["sans", "display", "serif", "hand"])
def test_accents_draw_glyphs_in_every_face(face):
    look = TextStyle(font=face, style="outline")
    for ch in "èûéÅö":
        assert fonts.covers(fonts.FACES[face], ch) or fonts.covers(fonts.FACES["sans"], ch)
    ink = _ink("Crème brûlée, Ångström", look)
    assert ink.shape[1] > ink.shape[0] * 3  # one line of glyphs, not a column of boxes
    assert (ink > 128).mean() > 0.05


@pytest.mark.parametrize("words", ["שלום", "مرحبا", "é"])
def test_rtl_scripts_and_accents_are_glyphs_not_tofu(words):
    tofu = _notdef()
    runs = fonts.runs(words, "sans")
    assert all(f != fonts.FACES["sans"] for f, _ in runs) or words == "é"
    for ch in words:
        glyph = _ink(ch)
        assert glyph.shape != tofu.shape or not np.array_equal(glyph, tofu), ch
    ink = _ink(words)
    h, w = ink.shape
    rows = np.nonzero(ink.max(axis=1) > 128)[0]
    cols = np.nonzero(ink.max(axis=0) > 128)[0]
    # the ink sits inside the text's line box (the tile's padding is empty but for shadow)
    assert rows.size and cols.size
    assert 0.15 * h < rows.mean() < 0.85 * h and 0.15 * w < cols.mean() < 0.85 * w


def test_pillow_can_shape_text():
    """raqm needs the system's FriBiDi at run time; without it Pillow silently lays text out
    unshaped. CI installs it (libfribidi0), so there it must be on; elsewhere, say why."""
    import os

    from PIL import features

    if not features.check("raqm"):
        if os.environ.get("CI") == "true":
            pytest.fail("Pillow's raqm is off: libfribidi0 is missing (Hebrew/Arabic unshaped)")
        pytest.skip("Pillow's raqm is off here (no libfribidi): RTL text draws unshaped")
    assert fonts.shaping_available()


def _needs_raqm():
    from PIL import features

    if not features.check("raqm"):
        pytest.skip("Pillow's raqm is off here (no libfribidi): see test_pillow_can_shape_text")


def test_arabic_letters_join():
    _needs_raqm()
    from PIL import ImageFont

    words = "مرحبا"
    shaped = fonts.font(fonts.ARABIC, PX)
    path = str(fonts.fonts_dir() / fonts.ARABIC)
    basic = ImageFont.truetype(path, PX, layout_engine=ImageFont.Layout.BASIC)
    # joined (initial/medial/final) forms, not the isolated letters basic layout draws
    assert bytes(shaped.getmask(words)) != bytes(basic.getmask(words))
    assert shaped.getbbox(words)[2] < basic.getbbox(words)[2]


def test_hebrew_draws_right_to_left():
    _needs_raqm()
    ink = _ink("לש")  # lamed (the only letter with an ascender) first, in logical order
    rows = np.nonzero(ink.max(axis=1) > 128)[0]
    cols = np.nonzero(ink.max(axis=0) > 128)[0]
    band = ink[rows.min() : rows.min() + (rows.max() - rows.min()) // 5]
    ascender = np.nonzero(band.max(axis=0) > 128)[0]
    assert ascender.mean() > (cols.min() + cols.max()) / 2  # the first letter is on the right


def test_missing_shaping_is_said_once(monkeypatch, caplog):
    from PIL import features

    monkeypatch.setattr(features, "check", lambda name: False)
    fonts.shaping_available.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="reeleditor.media.fonts"):
            assert not fonts.shaping_available() and not fonts.shaping_available()
    finally:
        fonts.shaping_available.cache_clear()
    [record] = [r for r in caplog.records if "libfribidi" in r.getMessage()]
    assert "libfribidi0" in record.getMessage()


def test_rtl_paragraph_reads_right_to_left():
    assert fonts.paragraph_rtl("שלום world") and not fonts.paragraph_rtl("world שלום")


def test_emoji_draws_colour_not_a_box():
    tile = text_render.raster("🎉", TextStyle(style="outline"), PX, WRAP, TALL)
    assert fonts.runs("🎉", "sans") == [(fonts.EMOJI, "🎉")]
    a = tile.alpha > 200
    assert a.sum() > 400
    premul = tile.premul[a].astype(float)
    colours = premul / np.maximum(1, tile.alpha[a, None].astype(float)) * 255
    spread = colours.max(axis=1) - colours.min(axis=1)  # saturation: 0 for grey
    assert (spread > 80).mean() > 0.2  # many saturated pixels: the party popper's colours
    hues = colours.argmax(axis=1)
    assert len(set(hues.tolist())) >= 2  # more than one hue, not a tinted box


def test_emoji_with_text_keeps_the_text():
    both = _ink("Party 🎉")
    alone = _ink("Party")
    assert both.shape[1] > alone.shape[1] + PX * 0.5


def _overlay(**kw) -> TextOverlay:
    base = dict(text="Hello there", start=1.0, end=3.0, enter="fade", exit="slide")
    return TextOverlay(**{**base, **kw})


def test_animations_change_over_time():
    w, h = 1080, 1920
    for enter in ("fade", "pop", "slide", "typewriter"):
        text = _overlay(enter=enter, exit="none")
        early, settled = place(text, 1.05, w, h), place(text, 2.0, w, h)
        assert early is not None and settled is not None
        assert early != settled, enter
        assert (settled.opacity, settled.scale, settled.reveal) == (1.0, 1.0, -1)
    pop = [place(_overlay(enter="pop"), 1.0 + k / 30, w, h).scale for k in range(1, 12)]
    assert max(pop) > 1.05  # overshoots, then settles
    typed = [place(_overlay(enter="typewriter"), 1.0 + k / 30, w, h).reveal for k in range(1, 8)]
    assert typed == sorted(typed) and typed[0] < typed[-1]
    slide = place(_overlay(), 2.95, w, h)
    assert slide.cy < 0.5 * h and slide.opacity < 1  # leaves upwards, as it came in
    assert place(_overlay(), 3.0, w, h) is None and place(_overlay(), 0.99, w, h) is None


def test_composite_draws_only_in_the_text_box_and_rotation_turns_it():
    draft = Draft(id="d1", title="t", created=0.0, updated=0.0, width=270, height=480)
    flat = draft.with_changes(texts=(_overlay(enter="none", exit="none", x=0.5, y=0.25),))
    frame = np.full((480, 270, 3), 40, np.uint8)
    out = composite_words(frame.copy(), flat, 60, 30)
    changed = np.nonzero((out != frame).any(axis=2))
    assert changed[0].size and changed[0].max() < 240  # only the upper half
    turned = flat.with_changes(texts=(_overlay(enter="none", exit="none", y=0.25, rotation=90),))
    out2 = composite_words(frame.copy(), turned, 60, 30)
    rows, cols = np.nonzero((out2 != frame).any(axis=2))
    assert np.ptp(rows) > np.ptp(cols)  # turned on its side: taller than wide
    assert np.array_equal(composite_words(frame.copy(), flat, 0, 30), frame)  # not yet on


def test_text_past_the_frame_edge_is_cut_not_an_error():
    draft = Draft(id="d1", title="t", created=0.0, updated=0.0, width=270, height=480)
    edge = draft.with_changes(texts=(_overlay(enter="none", exit="none", x=1.0, y=0.0, scale=5),))
    frame = np.zeros((480, 270, 3), np.uint8)
    out = composite_words(frame, edge, 60, 30)
    assert out.shape == (480, 270, 3) and out.any()


def test_long_text_wraps_and_is_bounded():
    words = "word " * 100  # the model refuses more than 500 characters
    tile = text_render.raster(words.strip(), TextStyle(size=400), 400, WRAP, TALL)
    assert tile.size[0] <= WRAP + 400 and tile.size[1] <= TALL + 400


def test_burned_caption_shows_at_its_time_only():
    draft = Draft(id="d1", title="t", created=0.0, updated=0.0, width=270, height=480)
    cues = (Cue(0.5, 1.5, "first line\nsecond line"),)
    on = draft.with_changes(captions=Captions(cues=cues))
    layer = WordsLayer(on, 270, 480)
    assert layer.showing(30) and not layer.showing(10) and not layer.showing(45)
    unburned = WordsLayer(draft.with_changes(captions=Captions(cues=cues, burn=False)), 270, 480)
    assert not unburned.showing(30)
    out = layer.composite(np.zeros((480, 270, 3), np.uint8), 30)
    rows = np.nonzero(out.any(axis=(1, 2)))[0]
    assert 0.6 * 480 < rows.mean() < 0.95 * 480  # at captions.y, low in the frame


def test_rasteriser_survives_what_the_model_would_refuse():
    """Captions are not length-checked like texts: an empty or 2,000-character cue draws
    nothing or a bounded tile, never an error or a frame-sized allocation per line."""
    assert text_render.raster("", PLAIN, PX, WRAP, TALL).alpha.max() == 0
    tile = text_render.raster("x" * 2000, PLAIN, PX, WRAP, 1920)
    assert tile.size[1] <= 1920 + 2 * PX and tile.alpha.max() == 255


def test_the_raster_cache_is_bounded_by_bytes(monkeypatch):
    one = text_render.raster("w0", PLAIN, PX, WRAP, TALL)
    size = text_render.tile_bytes(one)
    cache = text_render.TileCache(3 * size + size // 2)  # room for 3 tiles of this size
    monkeypatch.setattr(text_render, "_tiles", cache)
    for n in range(10):
        text_render.raster(f"w{n}", PLAIN, PX, WRAP, TALL)
        assert cache.bytes <= cache.max_bytes
    assert len(cache) == 3
    assert cache.get(("w9", PLAIN, PX, WRAP, TALL, -1)) is not None  # the newest are kept
    assert cache.get(("w0", PLAIN, PX, WRAP, TALL, -1)) is None
    huge = text_render.TileCache(size - 1)
    huge.put("k", one)  # a tile larger than the whole budget is not kept
    assert (len(huge), huge.bytes) == (0, 0)


def test_typewriter_states_do_not_fill_the_main_cache(monkeypatch):
    settled = text_render.TileCache(64 << 20)
    monkeypatch.setattr(text_render, "_tiles", settled)
    words = "typed one letter at a time"
    for reveal in range(1, len(words)):
        text_render.raster(words, PLAIN, PX, WRAP, TALL, reveal)
    assert len(settled) == 0
    assert text_render._typing.bytes <= text_render._typing.max_bytes
    # a state shown on consecutive frames is drawn once
    again = text_render.raster(words, PLAIN, PX, WRAP, TALL, len(words) - 1)
    assert again is text_render.raster(words, PLAIN, PX, WRAP, TALL, len(words) - 1)
