"""Export: real encodes decoded back; the look and the music are in the file; bad inputs."""

from pathlib import Path

import av
import numpy as np
import pytest

from reeleditor.core.draft import Look, MusicCue, Segment
from reeleditor.core.errors import MediaError, StorageError
from reeleditor.media.music import decode_audio, library
from reeleditor.media.render import export_draft
from tests.factories import drain
from tests.media.helpers import decode_audio as decode_file_audio
from tests.media.helpers import decode_video, record_takes

W, H, FPS = 180, 320, 30


@pytest.fixture
def recorded(store):
    """A draft with two recorded segments of 1.0 s and 0.6 s."""
    draft = store.create("export me", width=W, height=H)
    record_takes(store, draft.id, (1.0, 0.6), W, H, FPS)
    return store.load(draft.id)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_export_is_a_clean_mp4_of_the_timeline(store, recorded, tmp_path):
    first, second = recorded.segments
    draft = recorded.with_changes(
        segments=(first, Segment(second.media, second.duration, second.id, trim_in=0.2)),
    )
    out = tmp_path / "reel.mp4"
    result = drain(export_draft(store, draft, out))
    assert result.frames == 30 + 12 and result.duration == pytest.approx(1.4)
    frames = decode_video(out)
    assert len(frames) == 42 and frames[0].shape == (H, W, 3)
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert video.average_rate == 30
        assert audio.codec_context.name == "aac" and audio.sample_rate == 48000
        assert audio.codec_context.channels == 2
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # faststart: plays while downloading
    assert result.poster.is_file() and result.poster.stat().st_size > 1000
    assert not list(tmp_path.glob(".*partial"))


def test_look_is_baked_and_music_is_mixed_at_its_level(store, recorded, tmp_path):
    track = library()[0]
    song = decode_audio(track.path)
    draft = recorded.with_changes(
        look=Look("noir", 100.0),
        music=MusicCue(f"library:{track.name}", start=10.0, volume=1.0),
        original_volume=0.0,
    )
    out = tmp_path / "noir.mp4"
    drain(export_draft(store, draft, out))
    frame = decode_video(out)[15].astype(int)
    assert np.abs(frame[..., 2] - frame[..., 0]).mean() < 6  # black and white
    samples, rate = decode_file_audio(out)
    expected = song[:, 10 * rate : 10 * rate + samples.shape[1]]
    level_db = 20 * np.log10(_rms(samples[:, 4800:-4800]) / _rms(expected[:, 4800:-4800]))
    assert abs(level_db) < 1.5, level_db
    # and without music, with the original muted: silence
    quiet = tmp_path / "quiet.mp4"
    drain(export_draft(store, draft.with_changes(music=None), quiet))
    assert _rms(decode_file_audio(quiet)[0]) < 1e-3


def _write_wav(path: Path, seconds: float) -> Path:
    n = int(48000 * seconds)
    tone = (0.3 * np.sin(np.arange(n) * 2 * np.pi * 440 / 48000) * 32767).astype(np.int16)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=48000, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            np.stack([tone, tone]).T.reshape(1, -1).copy(), format="s16", layout="stereo"
        )
        frame.sample_rate = 48000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def test_song_shorter_than_the_reel_loops(store, recorded, tmp_path):
    short = _write_wav(tmp_path / "short.wav", seconds=0.5)
    draft = recorded.with_changes(music=MusicCue(str(short)), original_volume=0.0)
    out = tmp_path / "loop.mp4"
    drain(export_draft(store, draft, out))
    samples, rate = decode_file_audio(out)
    assert samples.shape[1] / rate > 1.5
    tail = samples[:, int(1.2 * rate) : int(1.5 * rate)]  # past the 0.5 s song's end
    assert _rms(tail) > 0.1


def test_cancel_mid_export_leaves_no_file(store, recorded, tmp_path):
    out = tmp_path / "cancelled.mp4"
    gen = export_draft(store, recorded, out)
    for progress in gen:
        if progress.stage == "export":
            break
    gen.close()
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_missing_segment_is_named_and_nothing_written(store, recorded, tmp_path):
    store.media_path(recorded, recorded.segments[1]).unlink()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(MediaError, match=r"segment 2 \(media/seg-.*\.mp4\) is missing"):
        drain(export_draft(store, recorded, out_dir / "x.mp4"))
    assert not list(out_dir.iterdir())


def test_corrupt_segment_is_named_and_nothing_written(store, recorded, tmp_path):
    store.media_path(recorded, recorded.segments[0]).write_bytes(b"\x00" * 1000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(MediaError, match=r"segment 1 \(media/seg-.*\) cannot be read"):
        drain(export_draft(store, recorded, out_dir / "x.mp4"))
    assert not list(out_dir.iterdir())


def test_output_that_cannot_be_written(store, recorded, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match=str(blocker)):
        drain(export_draft(store, recorded, blocker / "out.mp4"))
    with pytest.raises(StorageError):
        drain(export_draft(store, recorded, tmp_path / "no" / "such" / "dir" / "out.mp4"))


def test_music_that_is_not_audio_or_truncated(tmp_path):
    text = tmp_path / "song.mp3"
    text.write_text("la la la")
    with pytest.raises(MediaError, match=r"song.mp3 cannot be read as audio: it is not an audio"):
        decode_audio(text)
    whole = library()[1].path.read_bytes()
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(MediaError, match=r"cut.m4a .*damaged or truncated"):
        decode_audio(cut)
    # a song whose header (moov first) promises 40 s, cut to a third: caught by its length
    streamable = tmp_path / "streamable.m4a"
    with (
        av.open(str(library()[1].path)) as src,
        av.open(str(streamable), "w", format="mp4", options={"movflags": "faststart"}) as dst,
    ):
        out = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = out
                dst.mux(packet)
    data = streamable.read_bytes()
    short = tmp_path / "short.m4a"
    short.write_bytes(data[: len(data) // 3])
    with pytest.raises(MediaError, match=r"short.m4a is damaged or truncated: 1\d.\d s .*40.\d s"):
        decode_audio(short)


def test_exported_file_is_checked_before_it_replaces_anything(
    store, recorded, tmp_path, monkeypatch
):
    import reeleditor.media.render as render

    out = tmp_path / "reel.mp4"
    out.write_bytes(b"the previous export")

    def broken(path, *args):
        raise MediaError("the exported file is wrong: 3 frames, not 48")

    monkeypatch.setattr(render, "verify_export", broken)
    with pytest.raises(MediaError, match="exported file is wrong"):
        drain(export_draft(store, recorded, out))
    assert out.read_bytes() == b"the previous export"
    assert not list(Path(tmp_path).glob(".*partial"))
