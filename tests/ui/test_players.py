"""The music player and the reel player widget on their own: real files, no sound device here."""

from __future__ import annotations

import threading

from reeleditor.core.draft import Draft, MusicCue
from reeleditor.ui.music_player import MusicPlayer
from reeleditor.ui.reel_player import ReelPlayerWidget
from tests.media.playback_media import BLUE, RED, colour_near, make_video, make_wav, open_by_us


def players_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name in ("reel-video", "sound-out")]


def draft_with(track, start: float = 0.0, volume: float = 0.8) -> Draft:
    return Draft("d", "with music", 0.0, 0.0, music=MusicCue(str(track), start, volume))


def test_the_music_starts_where_the_reel_is_and_stops(qtbot, tmp_path):
    song = make_wav(tmp_path / "song.wav", seconds=20.0)
    music = MusicPlayer()
    music.play(draft_with(song, start=2.0), song, reel_time=1.5)
    assert music.playing and music.sound.start_at == 3.5 and music.sound.volume == 0.8
    qtbot.waitUntil(lambda: music.sound.clock > 3.6, timeout=15000)
    first = music.sound
    music.play(draft_with(song, start=2.0), song, reel_time=5.0)  # a seek: a new sound
    assert first.done.wait(10) and music.sound.start_at == 7.0
    sound = music.sound
    music.stop()
    assert not music.playing and sound.done.wait(10) and not open_by_us(song)


def test_a_draft_without_music_plays_nothing(qtbot, tmp_path):
    music = MusicPlayer()
    music.play(Draft("d", "quiet", 0.0, 0.0), tmp_path / "none.wav", 0.0)
    assert not music.playing and music.sound is None


def test_a_damaged_song_stops_playing_without_troubling_the_window(qtbot, tmp_path):
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3" + bytes(range(256)) * 8)
    music = MusicPlayer()
    music.play(draft_with(song), song, 0.0)  # returns at once: the file opens on its thread
    qtbot.waitUntil(lambda: not music.playing, timeout=15000)
    assert str(song) in music.sound.error


def test_a_song_that_cannot_play_is_said_on_the_gui_thread(qtbot, tmp_path):
    # play() returns before the file is opened: the failure has to come back as a signal
    song = tmp_path / "missing.mp3"
    music = MusicPlayer()
    threads = []
    music.failed.connect(lambda _message: threads.append(threading.current_thread()))
    with qtbot.waitSignal(music.failed, timeout=15000) as blocker:
        music.play(draft_with(song), song, 0.0)
    assert str(song) in blocker.args[0] and "\n" not in blocker.args[0]
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads == [threading.main_thread()]  # a slot may touch widgets


def test_a_replaced_song_that_fails_is_not_said(qtbot, tmp_path):
    bad, good = tmp_path / "missing.mp3", make_wav(tmp_path / "song.wav", seconds=5.0)
    music = MusicPlayer()
    said = []
    music.failed.connect(said.append)
    music.play(draft_with(bad), bad, 0.0)
    first = music.sound
    music.play(draft_with(good), good, 0.0)
    assert first.done.wait(10)
    qtbot.waitUntil(lambda: music.sound.clock > 0.1, timeout=15000)
    assert said == []
    music.stop()


def test_the_cue_volume_over_one_is_played_louder(qtbot, tmp_path):
    song = make_wav(tmp_path / "song.wav", seconds=1.0)
    music = MusicPlayer()
    music.play(draft_with(song, volume=1.6), song, 0.0)
    assert music.sound.volume == 1.6  # the export plays it at 1.6 (limited), not at 1
    music.stop()


def test_a_draft_with_takes_repeats_its_song_and_a_bare_cue_does_not(qtbot, tmp_path):
    from reeleditor.core.draft import Segment

    song = make_wav(tmp_path / "song.wav", seconds=0.5)
    music = MusicPlayer()
    music.play(draft_with(song), song, 0.0)  # the voice mix's soundtrack: once
    assert not music.sound.loop and music.sound.done.wait(15) and not music.playing
    draft = draft_with(song).with_changes(segments=(Segment("media/a.mp4", 3.0, "a"),))
    music.play(draft, song, 0.0)  # a reel longer than its song: the song repeats
    assert music.sound.loop
    qtbot.waitUntil(lambda: music.sound.clock > 1.2, timeout=15000)
    assert music.playing
    music.stop()


def test_the_reel_player_shows_the_pictures_at_the_clock(qtbot, tmp_path):
    reel = make_video(tmp_path / "reel.mp4", seconds=2.0, colours=(RED, BLUE))
    widget = ReelPlayerWidget()
    qtbot.addWidget(widget)
    widget.resize(200, 400)
    widget.show()
    widget.play_file(reel, "a reel")

    def centre():
        image = widget.video.grab().toImage()
        c = image.pixelColor(image.width() // 2, image.height() // 2)
        return c.red(), c.green(), c.blue()

    qtbot.waitUntil(lambda: colour_near(centre(), RED), timeout=15000)
    assert widget.caption.text().startswith("Playing a reel")
    qtbot.waitUntil(lambda: colour_near(centre(), BLUE), timeout=15000)
    qtbot.waitUntil(lambda: not widget.playing, timeout=15000)
    assert widget.caption.text() == "Played a reel to the end" and widget.frames_shown > 10
    assert widget.position == 0.0


def test_hundreds_of_plays_and_stops_leave_no_thread(qtbot, tmp_path):
    reel = make_video(tmp_path / "reel.mp4", seconds=1.0)
    song = make_wav(tmp_path / "song.wav", seconds=3.0)
    widget = ReelPlayerWidget()
    qtbot.addWidget(widget)
    widget.show()
    music = MusicPlayer()
    before = len(threading.enumerate())
    for i in range(200):
        widget.play_file(reel, f"take {i}")
        music.play(draft_with(song), song, i % 3)
        if i % 4 == 0:
            qtbot.wait(2)  # the event loop turns now and then: the timer ticks once
        if i % 2:
            widget.hide()  # hidden: paused, the file let go
            widget.show()  # shown: it goes on
        widget.stop()
        music.stop()
    qtbot.waitUntil(lambda: not players_alive(), timeout=60000)
    assert len(threading.enumerate()) <= before
    assert not open_by_us(reel) and not open_by_us(song)
