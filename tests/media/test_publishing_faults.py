"""process_reel's faults and edges: damage vs machine errors, SAR, leaks, one decode, A/V offset."""

import errno
import subprocess
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from reeleditor.core.errors import MediaError
from reeleditor.media import reel_audio, transcode
from reeleditor.media.ladder import Rung
from reeleditor.media.publishing import SourceDamaged, process_reel
from tests.factories import drain
from tests.media.reel_media import AUDIO_RATE, ffmpeg_cli, make_clip, tone

AAC_FRAME = 1024 / AUDIO_RATE


def run(source, out, metadata=None, **kwargs):
    return drain(process_reel(source, out, metadata or {}, **kwargs))


def test_damage_in_the_middle_is_refused_with_a_reason(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 2.0, audio=None)
    data = bytearray(clip.read_bytes())
    n = len(data)
    data[n // 2 : n // 2 + n // 8] = bytes(n // 8)  # zeroed: the index is intact, frames not
    clip.write_bytes(bytes(data))
    with pytest.raises(MediaError) as caught:
        run(clip, tmp_path / "out")
    assert isinstance(caught.value, SourceDamaged)
    assert caught.value.reason.startswith("the video could not be processed: it is damaged after")
    assert not any((tmp_path / "out").iterdir())


def test_a_full_disk_is_not_the_files_fault(tmp_path, monkeypatch):
    """cloud/jobs.py deletes the upload on a MediaError: an output failure must not be one."""
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 1.0, audio=None)

    def disk_full(self, frame, index):
        raise av.error.OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transcode.RungWriter, "encode", disk_full)
    with pytest.raises(OSError) as caught:
        run(clip, tmp_path / "out")
    assert not isinstance(caught.value, MediaError)
    assert caught.value.errno == errno.ENOSPC


@pytest.mark.parametrize("stored", ["in the stream", "by the container only"])
def test_non_square_pixels_are_published_at_their_display_aspect(tmp_path, stored):
    clip = make_clip(tmp_path / "sar.mp4", 360, 640, 1.0, audio=None, sar=Fraction(2, 1))
    if stored == "by the container only":  # an MP4 'pasp' box, as an editor's export has
        square = make_clip(tmp_path / "square.mp4", 360, 640, 1.0, audio=None)
        command = [ffmpeg_cli(), "-v", "error", "-i", str(square), "-c", "copy"]
        subprocess.run([*command, "-aspect", "720:640", "-y", str(clip)], check=True)
    manifest = run(clip, tmp_path / "out")
    assert (manifest["source"]["width"], manifest["source"]["height"]) == (720, 640)
    sizes = [(r["width"], r["height"]) for r in manifest["renditions"]]
    assert sizes == [(404, 360), (540, 480)]  # landscape-ish 9:8, never squashed to 9:16
    for name in [r["playlist"] for r in manifest["renditions"]] + ["reel.mp4"]:
        with av.open(str(tmp_path / "out" / name)) as container:
            stream = container.streams.video[0]
            frame = next(container.decode(stream))
            assert frame.width / frame.height == pytest.approx(720 / 640, rel=0.01)
            assert stream.sample_aspect_ratio in (None, Fraction(0, 1), Fraction(1, 1))
    poster = cv2.imread(str(tmp_path / "out" / "poster.jpg"))
    assert poster.shape[:2] == (480, 540)


def test_writers_already_open_are_closed_when_a_later_one_fails(tmp_path, monkeypatch):
    aborted, opened = [], []
    options = transcode.x264_options

    def flaky(rung, rate):  # the 480p encoder cannot be set up, after 360p's container opened
        opened.append(rung.name)
        if rung.name == "480p":
            raise av.error.EncoderNotFoundError(errno.ENOENT, "libx264")
        return options(rung, rate)

    monkeypatch.setattr(transcode, "x264_options", flaky)
    real_abort = transcode.RungWriter.abort
    monkeypatch.setattr(
        transcode.RungWriter,
        "abort",
        lambda self: (aborted.append(self.rung.name), real_abort(self)),
    )
    rungs = [Rung("360p", 360, 640, 800), Rung("480p", 480, 854, 1400)]
    stage = transcode.encode_rungs(
        tmp_path / "unread.mp4",
        rungs,
        [tmp_path / r.name for r in rungs],
        Fraction(30),
        0,
        lambda block: None,
    )
    with pytest.raises(av.error.EncoderNotFoundError):
        next(stage)
    assert opened == ["360p", "480p"]
    assert sorted(aborted) == ["360p", "480p"]  # both containers closed, none leaked


def test_one_rung_decodes_once_and_still_has_a_sprite(tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "small.mp4", 128, 128, 2.0, audio=None)
    decodes = []
    real = transcode.upright_frames

    def counted(*args, **kwargs):
        decodes.append(args[0])
        yield from real(*args, **kwargs)

    monkeypatch.setattr(transcode, "upright_frames", counted)
    manifest = run(clip, tmp_path / "out")
    assert len(manifest["renditions"]) == 1
    assert len(decodes) == 1
    cues = (tmp_path / "out" / "sprite.vtt").read_text()
    assert cues.count("sprite.jpg#xywh=") == 2  # one tile a second
    assert "00:00:01.000 --> 00:00:02.000" in cues
    assert (tmp_path / "out" / "sprite.jpg").stat().st_size > 0


def _onset(path) -> float:
    """Seconds from the first video frame to the first audible sample."""
    with av.open(str(path)) as container:
        video_start = next(container.decode(video=0)).time
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
    samples = np.abs(np.concatenate([f.to_ndarray() for f in frames], axis=1)).max(axis=0)
    return frames[0].time + int(np.argmax(samples > 0.01)) / AUDIO_RATE - video_start


def test_sound_that_starts_late_stays_late(tmp_path):
    sound = tone(1.5, -20.0)
    clip = make_clip(tmp_path / "late.mp4", 128, 128, 2.0, audio=sound, audio_start=0.5)
    assert _onset(clip) == pytest.approx(0.5, abs=AAC_FRAME)  # what the source holds
    run(clip, tmp_path / "out")
    assert _onset(tmp_path / "out" / "reel.mp4") == pytest.approx(0.5, abs=AAC_FRAME)


def test_sound_that_starts_early_is_trimmed_to_the_first_frame(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 2.0, audio=tone(2.0, -20.0))
    whole = reel_audio.decode_stereo(clip, 2.0)
    late_video = reel_audio.decode_stereo(clip, 1.0, start=0.5)  # as if the video began at 0.5
    assert late_video.shape == (2, AUDIO_RATE)
    np.testing.assert_allclose(late_video, whole[:, AUDIO_RATE // 2 : AUDIO_RATE * 3 // 2])
