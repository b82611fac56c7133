"""The timeline on the real window: scrub shows the export's frame with the look, trims snap
and refuse, split, drag to reorder, zoom, Space/J/K/L, transitions, undo; a soak of drags."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from reeleditor.app import create_main_window
from reeleditor.core import edits
from reeleditor.core.draft import Look, MusicCue
from reeleditor.core.settings import Settings
from reeleditor.core.timeline_geometry import trim_for_edge
from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from reeleditor.storage.settings import save_settings
from reeleditor.ui.timeline import MUSIC_Y, RULER_H, VIDEO_H, VIDEO_Y
from tests.ui.timeline_media import number_of, timeline_draft

W, H = 180, 320
MID = VIDEO_Y + VIDEO_H // 2 + 8  # below the transition markers, inside the blocks


def _open_window(qtbot, width, height):
    paths = AppPaths.from_env().ensure()
    save_settings(paths.settings_file, Settings(camera="testpattern", width=W, height=H))
    store = DraftStore(paths.drafts)
    draft_id = timeline_draft(store, width, height).id
    store.close()
    window, sentinel = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None, timeout=10000)
    assert window.session.draft.id == draft_id
    return window, sentinel


@pytest.fixture
def window(qtbot, reel_home):
    window, sentinel = _open_window(qtbot, W, H)
    yield window
    window.close()
    sentinel.stop()


def _x(window, seconds: float) -> int:
    return round(window.timeline.timeline.x_of(seconds))


def _press_drag_release(qtbot, widget, start: QPoint, end: QPoint, steps: int = 4):
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        qtbot.mouseMove(widget, QPoint(round(p.x()), round(p.y())))
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def _shown(qtbot, window, index: int) -> np.ndarray:
    """Wait until the preview has graded the still of reel frame `index`; that picture."""
    preview = window.preview

    def graded():
        frame = preview.pipeline.graded
        return frame is not None and frame.reel_index == index and frame is preview.scrub.latest()

    qtbot.waitUntil(graded, timeout=10000)
    return preview.pipeline.latest()[1].copy()


def _psnr(a, b) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.mark.parametrize("look", ["warm", "vintage"])
def test_a_click_shows_the_exports_frame_with_the_look(qtbot, reel_home, tmp_path, look):
    # the draft is at preview size, so the picture on screen and the file's are comparable
    from reeleditor.media.render import export_draft
    from tests.factories import drain
    from tests.media.helpers import decode_video

    window, sentinel = _open_window(qtbot, 540, 960)
    try:
        session = window.session
        session.apply(lambda d, now: edits.set_look(d, Look(look, 80), now))
        out = tmp_path / "reel.mp4"
        drain(export_draft(window.store, session.draft, out, "high"))  # the file near lossless
        exported = decode_video(out)
        timeline = window.timeline.timeline
        for t in (0.4, 2.4, 1.0):  # 1x; then the 2x segment (media 0.5 + 0.8 s); back
            qtbot.mouseClick(timeline, Qt.LeftButton, pos=QPoint(_x(window, t), RULER_H // 2))
            index = round(t * 30)
            assert window.timeline.timeline.playhead == pytest.approx(t, abs=0.5 / 60)
            shown = _shown(qtbot, window, index)
            assert window.preview.scrubbing and not window.preview.pipeline.mirror
            # 34-39 dB measured; the neighbouring frame scores 17-25 dB, so this is the frame
            assert _psnr(shown, exported[index]) > 30, (t, _psnr(shown, exported[index]))
            assert _psnr(shown, exported[index + 1]) < 28
            if look == "warm":  # light enough to read the picture numbers
                source = 15 + 2 * (index - 60) if index >= 60 else index
                assert number_of(shown, 540) == number_of(exported[index], 540) == source
    finally:
        window.close()
        sentinel.stop()


def test_a_trim_handle_snaps_to_the_playhead_and_undo_restores(qtbot, window):
    panel, timeline = window.timeline, window.timeline.timeline
    panel.scrub_to(1.5)
    end = QPoint(_x(window, 2.0) - 2, MID)  # segment 1's out-edge, from inside it
    _press_drag_release(qtbot, timeline, end, QPoint(_x(window, 1.5) + 4, MID))
    seg = window.session.draft.segments[0]
    assert seg.trim_out == 1.5  # snapped onto the playhead, not 1.5 + 4 px
    assert panel.status.text() == "Segment 1 trimmed"
    window.undo_action.trigger()
    assert window.session.draft.segments[0].trim_out is None


def test_a_trim_handle_snaps_to_a_beat(qtbot, window):
    session, timeline = window.session, window.timeline.timeline
    session.apply(lambda d, now: edits.set_music(d, MusicCue("library:sunny-day"), now))
    qtbot.waitUntil(lambda: bool(timeline.beats), timeout=20000)
    beat = next(b for b in timeline.beats if 2.2 < b < 2.6)  # inside segment 2 (2.0-2.75 s)
    edge = QPoint(_x(window, 2.0) + 2, MID)
    draft = session.draft
    _press_drag_release(qtbot, timeline, edge, QPoint(_x(window, beat) - 3, MID))
    assert session.draft.segments[1].trim_in == trim_for_edge(draft, 1, "in", beat)[0]
    assert MUSIC_Y > VIDEO_Y  # the beats sit on the music lane under the blocks


def test_a_trim_to_nothing_is_refused_in_one_line(qtbot, window):
    before = window.session.draft
    timeline = window.timeline.timeline
    _press_drag_release(
        qtbot, timeline, QPoint(_x(window, 2.0) - 2, MID), QPoint(_x(window, 0.0) + 1, MID)
    )
    status = window.timeline.status.text()
    assert "segment 1" in status and "nothing changed" in status and "\n" not in status
    assert window.session.draft == before and not window.session.can_undo


def test_split_at_the_playhead_with_s_and_the_button(qtbot, window):
    panel, timeline = window.timeline, window.timeline.timeline
    panel.scrub_to(1.0)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key_S)
    segs = window.session.draft.segments
    assert [(s.trim_in, s.trim_out) for s in segs[:2]] == [(0.0, 1.0), (1.0, None)]
    panel.scrub_to(2.0)  # a boundary: refused, said in one line
    qtbot.mouseClick(panel.split_button, Qt.LeftButton)
    assert len(window.session.draft.segments) == 3
    assert "boundary" in panel.status.text()
    window.undo_action.trigger()
    assert len(window.session.draft.segments) == 2


def test_drag_a_block_to_reorder(qtbot, window):
    timeline = window.timeline.timeline
    _press_drag_release(qtbot, timeline, QPoint(_x(window, 0.8), MID), QPoint(_x(window, 2.7), MID))
    assert [s.id for s in window.session.draft.segments] == ["second", "first"]
    window.undo_action.trigger()
    assert [s.id for s in window.session.draft.segments] == ["first", "second"]


def test_zoom_with_buttons_and_ctrl_wheel(qtbot, window):
    panel, timeline = window.timeline, window.timeline.timeline
    pps, width = timeline.pps, timeline.width()
    qtbot.mouseClick(panel.zoom_in, Qt.LeftButton)
    assert timeline.pps == pytest.approx(pps * 1.5) and timeline.width() > width
    qtbot.mouseClick(panel.zoom_out, Qt.LeftButton)
    assert timeline.pps == pytest.approx(pps)
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    event = QWheelEvent(
        QPointF(50, 30), QPointF(50, 30), P(0, 0), P(0, 120),
        Qt.NoButton, Qt.ControlModifier, Qt.NoScrollPhase, False,
    )  # fmt: skip
    timeline.wheelEvent(event)
    assert timeline.pps == pytest.approx(pps * 1.25)
    qtbot.mouseClick(panel.fit_button, Qt.LeftButton)  # the whole reel in view
    assert timeline.width() <= panel.scroll.viewport().width()
    assert timeline.x_of(timeline.duration) > 0.9 * panel.scroll.viewport().width()


def test_space_j_k_l(qtbot, window):
    panel, timeline, preview = window.timeline, window.timeline.timeline, window.preview
    panel.scrub_to(0.5)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key_Space)  # plays from the playhead (Space records elsewhere)
    assert preview.playing and not window.recorder.recording
    qtbot.waitUntil(lambda: timeline.playhead > 0.9, timeout=5000)  # the playhead follows
    qtbot.keyClick(timeline, Qt.Key_K)
    assert not preview.playing and preview.scrubbing
    paused = timeline.playhead
    qtbot.keyClick(timeline, Qt.Key_J)  # backwards, a frame a tick
    qtbot.waitUntil(lambda: timeline.playhead < paused - 0.2, timeout=5000)
    qtbot.keyClick(timeline, Qt.Key_K)
    stopped = timeline.playhead
    qtbot.wait(150)
    assert timeline.playhead == stopped
    qtbot.keyClick(timeline, Qt.Key_L)
    assert preview.playing
    qtbot.keyClick(timeline, Qt.Key_Space)
    assert not preview.playing


def test_a_transition_chosen_in_the_gui_and_one_too_long_refused(qtbot, window):
    panel, session = window.timeline, window.session
    timeline = panel.timeline
    qtbot.mouseClick(
        timeline, Qt.LeftButton, pos=QPoint(round(timeline.boundary_x(0)), VIDEO_Y + 6)
    )
    assert panel.transition_label.text() == "Transition 1→2"
    panel.transition_seconds.setValue(0.5)
    panel.transition.setCurrentIndex(panel.transition.findData("crossfade"))
    panel.transition.activated.emit(panel.transition.currentIndex())
    seg = session.draft.segments[0]
    assert (seg.transition, seg.transition_seconds) == ("crossfade", 0.5)
    assert session.draft.duration == pytest.approx(2.0 + 0.75 - 0.5)
    before = session.draft
    panel.transition_seconds.setValue(1.0)  # segment 2 is 0.75 s: too long
    panel.transition_seconds.editingFinished.emit()
    assert "longer than segment 2" in panel.status.text()
    assert "\n" not in panel.status.text()
    assert session.draft == before
    assert panel.transition.currentData() == "crossfade"
    window.undo_action.trigger()
    assert session.draft.segments[0].transition == "cut"


def test_a_thousand_scrubs_and_drags_raise_nothing(qtbot, window):
    timeline = window.timeline.timeline
    rng = np.random.default_rng(11)
    width = timeline.width()
    for k in range(250):  # 4 events each: press, two moves, release
        y = int(rng.choice([RULER_H // 2, MID, MUSIC_Y + 5]))
        x0, x1 = (int(v) for v in rng.integers(0, width, 2))
        qtbot.mousePress(timeline, Qt.LeftButton, pos=QPoint(x0, y))
        qtbot.mouseMove(timeline, QPoint((x0 + x1) // 2, y))
        qtbot.mouseMove(timeline, QPoint(x1, y))
        qtbot.mouseRelease(timeline, Qt.LeftButton, pos=QPoint(x1, y))
        if k % 50 == 0:
            window.undo_action.trigger() if window.session.can_undo else None
    assert window.session.draft.segments  # whatever was edited, the draft is whole
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20000)


def test_the_camera_comes_back_to_record(qtbot, window):
    window.timeline.scrub_to(1.0)
    _shown(qtbot, window, 30)
    assert window.preview.scrubbing
    with qtbot.waitSignal(window.recorder.recording_changed, timeout=5000):
        window.start_recording()
    assert not window.preview.scrubbing
    assert window.preview.pipeline.source is window.source
    assert window.preview.pipeline.mirror == window.preview.mirror
    assert not window.timeline.isEnabled()  # no edits under a take
    seconds = []
    window.recorder.elapsed.connect(seconds.append)
    qtbot.waitUntil(lambda: bool(seconds) and seconds[-1] >= 0.3, timeout=10000)  # a take
    with qtbot.waitSignal(window.recorder.take_added, timeout=10000):
        window.recorder.stop()
    assert window.timeline.isEnabled() and len(window.timeline.timeline.spans) == 3


def test_a_missing_file_is_said_once_while_scrubbing(qtbot, window):
    media = window.store.folder(window.session.draft.id) / "media" / "numbers.mp4"
    kept = media.read_bytes()
    media.unlink()
    said = []
    window.preview.notice.connect(said.append)
    window.timeline.scrub_to(1.0)
    qtbot.waitUntil(lambda: bool(said), timeout=5000)
    assert said[0].startswith("No frame to show: segment 1 (media/numbers.mp4) is missing")
    for t in (0.2, 0.4, 0.6):  # a drag over it: still missing, not said again
        window.timeline.scrub_to(t)
    back = media.with_name("back.tmp")
    back.write_bytes(kept)
    back.replace(media)  # put back whole (a half-written file is another problem to say)
    window.timeline.scrub_to(0.5)
    _shown(qtbot, window, 15)  # served after every request before it, so all were said
    assert len(said) == 1 and "\n" not in said[0]


def test_caption_cues_and_voice_overs_are_drawn_on_their_lanes(
    qtbot, window, tmp_path, monkeypatch
):
    from reeleditor.core import word_edits
    from reeleditor.core.words import Captions, Cue
    from reeleditor.ui import voice_panel
    from reeleditor.ui.timeline import CAPTION_H, MUSIC_H, TEXT_H, TEXT_Y
    from tests.media.test_voiceover import tone_wav

    timeline, session = window.timeline.timeline, window.session
    assert timeline.caption_rects() == [] and timeline.voice_rects() == []
    cues = (Cue(0.2, 1.0, "hello"), Cue(1.5, 2.5, "there\nfriend"))
    session.apply(lambda d, now: word_edits.set_captions(d, Captions(cues=cues), now))
    src = tone_wav(tmp_path / "say.wav", 0.8)
    monkeypatch.setattr(
        voice_panel.QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *a, **k: (str(src), voice_panel.AUDIO_FILTER)),
    )
    timeline.set_playhead(1.0)
    qtbot.mouseClick(window.voice_panel.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(session.draft.voiceovers) == 1, timeout=10000)

    captions, (voice,) = timeline.caption_rects(), timeline.voice_rects()
    assert [(round(r.left()), round(r.right())) for r in captions] == [
        (_x(window, 0.2), _x(window, 1.0)),
        (_x(window, 1.5), _x(window, 2.5)),
    ]
    for r in captions:  # a strip at the bottom of the text lane, under the text bars
        assert r.top() >= TEXT_Y + TEXT_H - CAPTION_H - 2 and r.bottom() <= TEXT_Y + TEXT_H
    assert (round(voice.left()), round(voice.right())) == (_x(window, 1.0), _x(window, 1.8))
    assert voice.top() >= MUSIC_Y and voice.bottom() <= MUSIC_Y + MUSIC_H
    picture = timeline.grab().toImage()  # paints without error, in the strips' colours
    for rect, colour in ((captions[0], "#2a9d8f"), (voice, "#e76f51")):
        assert (
            picture.pixelColor(round(rect.right()) - 2, round(rect.bottom()) - 1).name() == colour
        )
    # a click on the caption strip is not a text bar's
    assert timeline.text_hit(QPointF(_x(window, 0.5), TEXT_Y + TEXT_H - 3)) is None
