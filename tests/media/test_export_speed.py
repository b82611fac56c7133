"""Speed in the export and the preview: exact frame counts, A/V marks in sync, pitch kept."""

from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from reeleditor.media import render
from reeleditor.media.playback import ReelPlayer
from reeleditor.media.render import export_draft
from tests.factories import drain
from tests.media.helpers import decode_video
from tests.media.speed_media import BEEP_HZ, BITS, FPS, RATE, draft_with_marks


def _source_number(img: np.ndarray) -> int:
    return sum(1 << b for b in range(BITS) if img[4:12, b * 16 + 4 : b * 16 + 12].mean() > 128)


def _flashed(img: np.ndarray) -> bool:
    return img[40:, :].mean() > 135


def _audio_by_pts(path: Path) -> np.ndarray:
    """The file's sound as mono, each decoded frame placed at its own pts."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        out = np.zeros(round(float(container.duration / 1e6) * RATE) + RATE, np.float32)
        for frame in container.decode(stream):
            at = round(float(frame.pts * frame.time_base) * RATE)
            data = frame.to_ndarray()[0]
            lo = max(at, 0)
            out[lo : at + len(data)] = data[lo - at :]
    return out


def _onsets(flags: np.ndarray, step: float) -> list[float]:
    rising = np.flatnonzero(flags[1:] & ~flags[:-1]) + 1
    starts = ([0] if flags[0] else []) + list(rising)
    return [i * step for i in starts]


def _beep_mark(sound: np.ndarray, at: float, speed: float) -> float:
    """Where the beep expected at reel time `at` starts, from its energy centroid.

    atempo spreads a beep's attack over its ~43 ms window (earlier the slower it plays),
    so the centroid, less half the stretched beep, is the robust mark, not a threshold.
    """
    lo, hi = max(0, round((at - 0.1) * RATE)), round((at + 0.06 / speed + 0.1) * RATE)
    energy = sound[lo:hi].astype(np.float64) ** 2
    centroid = (np.arange(lo, lo + len(energy)) * energy).sum() / energy.sum() / RATE
    return centroid - 0.03 / speed


@pytest.fixture
def speedy(store):
    """Two segments over one marked 2 s clip: all of it at 2x (1 s), then its first second
    at 0.5x (2 s). The reel is 3 s: 90 frames."""
    draft = draft_with_marks(store)
    first, second = draft.segments
    draft = draft.with_changes(
        segments=(replace(first, speed=2.0), replace(second, trim_out=1.0, speed=0.5))
    )
    store.save(draft)
    return store.load(draft.id)


def test_export_at_2x_and_half_speed_is_exact_and_in_sync(store, speedy, tmp_path):
    assert speedy.duration == pytest.approx(3.0)
    out = tmp_path / "speed.mp4"
    result = drain(export_draft(store, speedy, out))
    assert result.frames == 90 and result.duration == pytest.approx(3.0)
    assert not result.notices
    frames = decode_video(out)
    assert len(frames) == 90
    # output frame i shows media time trim_in + i * speed / fps
    shown = [_source_number(f) for f in frames]
    assert shown[:30] == [2 * i for i in range(30)]
    assert shown[30:] == [i // 2 for i in range(60)]
    # the marks: media 0, .5, 1, 1.5 at 2x -> reel 0, .25, .5, .75; media 0, .5 at 0.5x -> 1, 2
    marks = [(0.0, 2.0), (0.25, 2.0), (0.5, 2.0), (0.75, 2.0), (1.0, 0.5), (2.0, 0.5)]
    video = _onsets(np.array([_flashed(f) for f in frames]), 1 / FPS)
    sound = _audio_by_pts(out)
    audio = [_beep_mark(sound, at, speed) for at, speed in marks]
    assert len(video) == len(marks), video
    for v, a, (e, _) in zip(video, audio, marks, strict=True):
        assert abs(v - e) <= 1 / FPS and abs(a - e) <= 1 / FPS, (video, audio)
        assert abs(v - a) <= 1 / FPS, (video, audio)  # together, within one frame
    # the pitch is kept: the beeps are still 1 kHz at 2x and at 0.5x
    for lo, hi in ((0.0, 1.0), (1.0, 3.0)):
        part = sound[round(lo * RATE) : round(hi * RATE)]
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        peak = np.argmax(spectrum) * RATE / len(part)
        assert abs(peak - BEEP_HZ) / BEEP_HZ < 0.03, (lo, peak)


def test_preview_frame_equals_export_frame_inside_a_2x_segment(
    store, speedy, tmp_path, monkeypatch
):
    shaped: dict[int, np.ndarray] = {}
    shape = render.FrameShaper.shape

    def keep(self, index, frame):
        out = shape(self, index, frame)
        shaped[index] = cv2.cvtColor(out.to_ndarray(), cv2.COLOR_YUV2BGR_I420)
        return out

    monkeypatch.setattr(render.FrameShaper, "shape", keep)
    drain(export_draft(store, speedy, tmp_path / "speed.mp4"))
    for reel_time in (0.4, 0.7):  # inside the 2x segment: media 0.8 and 1.4 s
        player = ReelPlayer(store, speedy, start=reel_time).open()
        try:
            frame = player.wait_frame(-1, timeout=5)
        finally:
            player.close()
        index = round(reel_time * FPS)
        # the frame's own index, not the player's position: a busy machine lets the player
        # move on a frame between the frame's arrival and this line
        assert frame is not None
        assert frame.reel_index == index  # the look's grain follows the reel, as in the export
        assert np.array_equal(frame.image, shaped[index])
        assert _source_number(frame.image) == 2 * index


def test_sound_that_cannot_change_tempo_is_muted_with_a_notice(
    store, speedy, tmp_path, monkeypatch
):
    from reeleditor.core.errors import MediaError
    from reeleditor.media import soundtrack

    def no_atempo(samples, rate, speed):
        raise MediaError("this FFmpeg build has no atempo filter")

    monkeypatch.setattr(soundtrack, "change_tempo", no_atempo)
    out = tmp_path / "muted.mp4"
    result = drain(export_draft(store, speedy, out))
    assert result.frames == 90
    assert result.notices == (
        "segment 1 (media/marks.mp4) at 2x is muted: this FFmpeg build has no atempo filter",
        "segment 2 (media/marks.mp4) at 0.5x is muted: this FFmpeg build has no atempo filter",
    )
    assert np.abs(_audio_by_pts(out)).max() < 0.01  # silent, not sped-up chipmunk sound
