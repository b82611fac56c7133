"""process_reel's gate and edges: non-video rejected with a reason, cancel, shapes, rotation."""

import subprocess
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from reeleditor.core.errors import Cancelled, MediaError
from reeleditor.media import admission
from reeleditor.media.admission import MediaRejected
from reeleditor.media.publishing import process_reel
from tests.factories import drain
from tests.media.reel_media import ffmpeg_cli, make_clip


def run(source, out, metadata=None, **kwargs):
    return drain(process_reel(source, out, metadata or {}, **kwargs))


def test_a_png_renamed_mp4_is_rejected_with_its_reason(tmp_path):
    fake = tmp_path / "holiday.mp4"
    _ok, png = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    fake.write_bytes(png.tobytes())
    with pytest.raises(MediaRejected) as caught:
        run(fake, tmp_path / "out")
    assert str(caught.value) == "this file is not a video (it looks like a PNG image)"
    assert caught.value.reason == str(caught.value)
    assert isinstance(caught.value, MediaError)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_text_file_is_rejected_with_its_reason(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("shopping list\neggs\nmilk\n")
    with pytest.raises(MediaRejected, match=r"^this file is not a video \(it looks like a text"):
        run(fake, tmp_path / "out")


def test_sound_only_and_frameless_files_are_rejected(tmp_path):
    sound = tmp_path / "song.mp4"
    with av.open(str(sound), "w") as container:
        stream = container.add_stream("aac", rate=48_000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), "fltp", "stereo")
        frame.sample_rate, frame.pts = 48_000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    with pytest.raises(MediaRejected, match="not a video"):
        run(sound, tmp_path / "out")
    garbage = tmp_path / "garbage.mp4"  # a video stream whose packets are noise
    rng = np.random.default_rng(1)
    with av.open(str(garbage), "w") as container:
        video = container.add_mux_stream("h264", width=128, height=128)
        video.time_base = Fraction(1, 30)
        for i in range(10):
            packet = av.Packet(rng.integers(0, 255, 500, dtype=np.uint8).tobytes())
            packet.pts = packet.dts = i
            packet.time_base = Fraction(1, 30)
            packet.stream = video
            container.mux(packet)
    with pytest.raises(MediaRejected, match="^it has no video frames"):
        run(garbage, tmp_path / "out")


def test_limits_are_stated_in_the_reason(tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 2.0)
    monkeypatch.setattr(admission, "MAX_DURATION", 1.0)
    with pytest.raises(MediaRejected, match=r"^the video is 2 s long; the limit is 1 s$"):
        run(clip, tmp_path / "out")
    monkeypatch.setattr(admission, "MAX_DURATION", 600.0)
    monkeypatch.setattr(admission, "MAX_SIDE", 100)
    with pytest.raises(MediaRejected, match="128x128 pixels; the limit is 100"):
        run(clip, tmp_path / "out")


def test_a_sha256_mismatch_is_refused(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 1.0)
    with pytest.raises(MediaError, match="sha256"):
        run(clip, tmp_path / "out", {"sha256": "0" * 64})
    digest = admission.sha256_file(clip)
    assert run(clip, tmp_path / "ok", {"sha256": digest})["source"]["sha256"] == digest


def test_cancel_stops_and_leaves_nothing(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 360, 640, 4.0)
    seen = []

    def should_cancel():
        return len(seen) >= 3

    gen = process_reel(clip, tmp_path / "out", {}, should_cancel=should_cancel)
    with pytest.raises(Cancelled):
        for progress in gen:
            seen.append(progress)
    assert not any((tmp_path / "out").iterdir())
    assert not list(tmp_path.glob(".processing-*"))


@pytest.mark.parametrize(
    ("size", "rungs"),
    [
        ((854, 480), [("360p", 640, 360), ("480p", 854, 480)]),
        ((400, 400), [("360p", 360, 360)]),
        ((201, 357), [("200p", 200, 356)]),
    ],
)
def test_landscape_square_and_tiny_keep_their_shape(tmp_path, size, rungs):
    odd = size[0] % 2 or size[1] % 2
    name, codec = ("clip.mkv", "ffv1") if odd else ("clip.mp4", "libx264")
    clip = make_clip(tmp_path / name, *size, seconds=2.0, audio=None, codec=codec)
    manifest = run(clip, tmp_path / "out")
    assert [(r["name"], r["width"], r["height"]) for r in manifest["renditions"]] == rungs
    assert manifest["loudness"] is None  # no sound: a silent track, no figures
    for r in manifest["renditions"]:
        with av.open(str(tmp_path / "out" / r["playlist"])) as container:
            assert container.streams.audio, "a silent track so players behave"
            frame = next(container.decode(video=0))
            assert (frame.width, frame.height) == (r["width"], r["height"])


def test_a_sharp_frame_is_chosen_over_black_ones(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 180, 320, 3.0, black_frames=40)
    run(clip, tmp_path / "out", {"cover": "not a number"})
    poster = cv2.imread(str(tmp_path / "out" / "poster.jpg"))
    assert poster.mean() > 40


def test_ten_bit_input_becomes_8_bit_420(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 128, 128, 1.0, pix_fmt="yuv420p10le")
    manifest = run(clip, tmp_path / "out")
    with av.open(str(tmp_path / "out" / manifest["renditions"][0]["playlist"])) as container:
        assert next(container.decode(video=0)).format.name == "yuv420p"


def test_phone_rotation_is_honoured(tmp_path):
    coded = make_clip(tmp_path / "coded.mp4", 640, 360, 2.0)
    rotated = tmp_path / "rotated.mp4"
    subprocess.run(
        [
            ffmpeg_cli(),
            "-v",
            "error",
            "-i",
            str(coded),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
            str(rotated),
        ],
        check=True,
    )
    manifest = run(rotated, tmp_path / "out")
    assert (manifest["width"], manifest["height"]) == (360, 640)
    assert manifest["source"]["width"] == 360
    with av.open(str(tmp_path / "out" / "reel.mp4")) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (360, 640)


@pytest.mark.slow
def test_the_full_vertical_ladder(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 1080, 1920, 2.0)
    manifest = run(clip, tmp_path / "out")
    assert [(r["width"], r["height"]) for r in manifest["renditions"]] == [
        (360, 640),
        (480, 854),
        (720, 1280),
        (1080, 1920),
    ]
    assert [r["codecs"].split(",")[0] for r in manifest["renditions"]][-1] >= "avc1.640028"
    for r in manifest["renditions"]:
        with av.open(str(tmp_path / "out" / r["playlist"])) as container:
            frames = list(container.decode(video=0))
        assert len(frames) == 60
        assert {(f.width, f.height) for f in frames} == {(r["width"], r["height"])}


def test_variable_frame_rate_becomes_constant(tmp_path):
    """Phone footage: frames 20 and 46 ms apart in turn (30 fps on average)."""
    clip = tmp_path / "vfr.mp4"
    with av.open(str(clip), "w") as container:
        video = container.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        video.width, video.height = 128, 128
        video.time_base = video.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i in range(120):
            rgb = np.full((128, 128, 3), (i * 2) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += 20 if i % 2 else 46
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
    manifest = run(clip, tmp_path / "out")
    with av.open(str(tmp_path / "out" / manifest["renditions"][0]["playlist"])) as container:
        stamps = [f.time for f in container.decode(video=0)]
    steps = np.diff(stamps)
    assert np.allclose(steps, steps[0], atol=1e-3)  # one frame every 1/30 s
    assert 1 / steps[0] == pytest.approx(30, abs=0.6)
    assert len(stamps) == pytest.approx(120, abs=2)


def test_high_frame_rates_are_published_at_60(tmp_path):
    clip = make_clip(tmp_path / "slowmo.mp4", 128, 128, 2.0, fps=120, audio=None)
    manifest = run(clip, tmp_path / "out")
    assert manifest["source"]["fps"] == 120.0
    master = (tmp_path / "out" / "master.m3u8").read_text()
    assert "FRAME-RATE=60.000" in master
    with av.open(str(tmp_path / "out" / manifest["renditions"][0]["playlist"])) as container:
        assert sum(1 for _ in container.decode(video=0)) == 120
