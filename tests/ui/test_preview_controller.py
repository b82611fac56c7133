"""PreviewController: camera fallback, and the reel player whose end arrives through the runner."""

import pytest
from PySide6.QtCore import QObject, Signal

from reeleditor.core.draft import Segment
from reeleditor.core.settings import Settings
from reeleditor.ui.preview_controller import PreviewController
from tests.ui.conftest import H, W, record


class QuietMusic(QObject):
    """Stands in for MusicPlayer: the tests are about pictures."""

    failed = Signal(str)

    def __init__(self):
        super().__init__()
        self.calls = []

    def play(self, draft, track, reel_time):
        self.calls.append(("play", reel_time))

    def stop(self):
        self.calls.append(("stop",))


@pytest.fixture
def controller(qtbot, store, runner):
    made = []

    def make(camera="testpattern"):
        settings = Settings(camera=camera, width=W, height=H, microphone="none")
        made.append(PreviewController(store, runner, QuietMusic(), settings))
        return made[-1]

    yield make
    runner.shutdown()
    for c in made:
        c.close()


def test_a_camera_that_fails_falls_back_to_the_test_pattern(qtbot, controller, tmp_path):
    preview = controller(camera=f"file:{tmp_path / 'no-such-clip.mp4'}")
    with qtbot.waitSignal(preview.failed, timeout=10000) as failed:
        preview.start()
    assert "test pattern stands in" in failed.args[0]
    with qtbot.waitSignal(preview.camera_opened, timeout=10000) as opened:
        pass
    assert opened.args[0].name == "test pattern" and preview.source is opened.args[0]
    assert preview.pipeline.source is preview.source


def test_the_reel_plays_and_its_end_arrives_through_the_runner(qtbot, controller, store, runner):
    draft = store.create("play", width=W, height=H)
    record(store, draft.id, (0.5,))
    draft = store.load(draft.id)
    preview = controller()
    with qtbot.waitSignal(preview.camera_opened, timeout=10000):
        preview.start()
    camera = preview.source
    positions, ended = [], []
    preview.playback_position.connect(positions.append)
    preview.playback_ended.connect(lambda: ended.append(preview.player))
    assert preview.play(draft)
    first, first_task = preview.player, preview._play_task
    # stop and play again at once: the first task's late "cancelled" must not end the second
    preview.stop_playback()
    assert ended == [None]
    assert preview.pipeline.source is camera and preview.pipeline.mirror == preview.mirror
    assert preview.play(draft)
    second = preview.player
    assert second is not first and preview.pipeline.source is second
    assert preview.pipeline.mirror is False  # the reel plays as it will be seen
    qtbot.waitUntil(lambda: first_task not in runner._tasks, timeout=5000)  # its signals came
    assert preview.player is second or second.finished
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=10000)  # the reel ends by itself
    assert second.finished and preview.player is None
    assert preview.pipeline.source is camera
    assert positions and max(positions) <= draft.duration
    assert not any(hasattr(preview, name) for name in ("_playback_timer", "_poll"))


def test_a_reel_that_cannot_play_says_why_and_returns_to_the_camera(qtbot, controller, store):
    draft = store.create("missing", width=W, height=H)
    draft = draft.with_changes(segments=(Segment("media/gone.mp4", 1.0, "gone"),))
    store.save(draft)
    preview = controller()
    with qtbot.waitSignal(preview.camera_opened, timeout=10000):
        preview.start()
    messages = []
    preview.failed.connect(messages.append)
    with qtbot.waitSignal(preview.playback_ended, timeout=10000):
        assert preview.play(draft)
    assert preview.player is None and preview.pipeline.source is preview.source
    assert len(messages) == 1 and "media/gone.mp4" in messages[0]  # names the segment
    assert not preview.play(draft.with_changes(segments=()))  # nothing to play


def test_a_look_this_build_does_not_know_is_said_at_once(qtbot, controller):
    from reeleditor.core.draft import Look

    preview = controller()
    notices = []
    preview.notice.connect(notices.append)
    preview.set_look(Look("from-a-newer-version"))
    assert len(notices) == 1 and "from-a-newer-version" in notices[0]
    preview.set_look(Look("noir"))
    assert len(notices) == 1 and preview.look_problem == ""


def test_a_camera_that_opens_after_shutdown_is_closed(qtbot, controller, runner, monkeypatch):
    import reeleditor.media.sources as sources
    from reeleditor.media.sources.testpattern import TestPatternSource

    preview = controller()
    opened = []

    class LateCamera(TestPatternSource):
        """Opens only once the app is closing: the runner has cancelled its task."""

        def _open(self):
            preview._camera_task._cancel.wait(10)
            super()._open()
            opened.append(self)

    monkeypatch.setattr(sources, "open_source", lambda spec, w, h, fps: LateCamera(w, h, fps))
    preview.start()
    runner.shutdown()  # the camera task finishes now, cancelled: nobody shows its source
    preview.close()
    assert len(opened) == 1 and not opened[0].is_open  # closed, its capture thread gone
    assert preview.source is None


def test_a_song_that_fails_on_its_own_thread_is_said_on_the_preview(qtbot, controller):
    preview = controller()
    music = preview.music
    with qtbot.waitSignal(preview.notice, timeout=2000) as said:
        music.failed.emit("/tmp/song.m4a cannot be read: Invalid data")
    assert said.args == ["music not playing: /tmp/song.m4a cannot be read: Invalid data"]
