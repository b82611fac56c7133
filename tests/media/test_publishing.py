"""process_reel on a real clip: manifest, renditions, playlists, keyframes, preview, poster."""

import shutil

import av
import numpy as np
import pytest

from reeleditor.core.progress import Progress
from reeleditor.media import hls
from reeleditor.media.publishing import process_reel
from tests.factories import drain
from tests.media.reel_media import joined, make_clip, r128

COVER = 2.5


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One 480x854, 6 s run (360p + 480p), with a cover time and a preview callback."""
    root = tmp_path_factory.mktemp("publish")
    source = make_clip(root / "source.mp4", 480, 854, 6.0)
    events = []

    def on_preview(folder, manifest):
        events.append(("preview", manifest))
        shutil.copytree(folder, root / "preview")  # the folder is ours during the call only

    def on_poster(folder, manifest):
        events.append(("poster", manifest))
        shutil.copytree(folder, root / "poster")

    gen = process_reel(
        source, root / "out", {"cover": str(COVER)}, on_preview=on_preview, on_poster=on_poster
    )
    manifest = drain(_record(gen, events))
    return {"root": root, "source": source, "out": root / "out", "m": manifest, "events": events}


def _record(gen, events):
    """Pass a Progress generator through, noting each stage in `events`."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            return stop.value
        assert isinstance(progress, Progress)
        events.append(("progress", progress.stage))
        yield progress


def test_manifest_follows_the_contract(published):
    m, out = published["m"], published["out"]
    assert m["stage"] == "complete"
    assert (m["width"], m["height"]) == (480, 854)
    assert m["duration"] == pytest.approx(6.0, abs=0.05)
    assert m["source"]["width"] == 480 and m["source"]["fps"] == 30.0
    assert len(m["source"]["sha256"]) == 64
    assert m["poster"] == "poster.jpg" and m["poster_webp"] == "poster.webp"
    assert (m["hls"], m["mp4"], m["sprite"]) == ("master.m3u8", "reel.mp4", "sprite.vtt")
    assert [r["name"] for r in m["renditions"]] == ["360p", "480p"]
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert m["files"] == on_disk
    assert {"poster.jpg", "poster.webp", "sprite.jpg", "sprite.vtt", "reel.mp4"} <= set(on_disk)
    assert set(m["loudness"]) == {"input_i", "input_tp", "output_i", "output_tp"}
    assert not list(published["root"].glob(".processing-*"))  # the work folder is gone


def test_each_rendition_decodes_at_its_size_within_its_bitrate(published):
    out = published["out"]
    for r in published["m"]["renditions"]:
        assert r["codecs"].startswith("avc1.64") and r["codecs"].endswith(",mp4a.40.2")
        with av.open(str(out / r["playlist"])) as container:
            video = container.streams.video[0]
            frames = [f for f in container.decode(video)]
        assert {(f.width, f.height) for f in frames} == {(r["width"], r["height"])}
        assert len(frames) == 180
        peak = {"360p": 800_000, "480p": 1_400_000}[r["name"]]
        audio = 140_000  # AAC 128 kb/s with its framing
        # VBV: over the clip, the peak rate plus what the 2 s buffer (90 % full at the
        # start, x264's default) lets the encoder spend early; a segment likewise
        assert 0.05 * peak < r["average_bandwidth"] <= peak + 0.9 * 2 * peak / 6 + audio
        assert r["bandwidth"] <= peak + 0.9 * 2 * peak / 2 + audio


def test_playlists_parse_with_two_second_segments(published):
    out = published["out"]
    variants = hls.parse_master_playlist((out / "master.m3u8").read_text())
    assert [v["RESOLUTION"] for v in variants] == ["360x640", "480x854"]
    for v in variants:
        assert {"BANDWIDTH", "AVERAGE-BANDWIDTH", "CODECS", "FRAME-RATE"} <= set(v)
        playlist = hls.parse_media_playlist((out / v["URI"]).read_text())
        assert playlist.version == 7 and playlist.vod and playlist.ended
        assert playlist.init == "init.mp4"
        assert [s.duration for s in playlist.segments] == pytest.approx([2.0, 2.0, 2.0])


def test_segments_start_on_keyframes_at_the_same_times_in_every_rung(published, tmp_path):
    out = published["out"]
    starts = {}
    for r in published["m"]["renditions"]:
        folder = out / r["name"]
        playlist = hls.parse_media_playlist((folder / "index.m3u8").read_text())
        starts[r["name"]] = []
        for i, segment in enumerate(playlist.segments):
            part = joined(folder, ["init.mp4", segment.uri], tmp_path / f"{r['name']}-{i}.mp4")
            with av.open(str(part)) as container:
                video = container.streams.video[0]
                first = next(p for p in container.demux(video) if p.size)
                assert first.is_keyframe, f"{r['name']} segment {i}"
                keys = [p for p in container.demux(video) if p.size and p.is_keyframe]
                assert keys == []  # closed 2 s GOPs: one keyframe a segment
                starts[r["name"]].append(round(float(first.pts * first.time_base), 3))
    assert starts["360p"] == starts["480p"]
    assert np.diff(starts["360p"]) == pytest.approx([2.0, 2.0])


def test_the_mp4_is_faststart_and_holds_the_top_rung(published):
    path = published["out"] / "reel.mp4"
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (480, 854)
        assert container.streams.audio[0].codec_context.sample_rate == 48_000
        assert sum(1 for _ in container.decode(video)) == 180


def test_loudness_is_normalised_in_what_is_published(published):
    integrated, peak = r128(published["out"] / "reel.mp4")
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert peak <= -1.0
    assert published["m"]["loudness"]["output_i"] == pytest.approx(integrated, abs=0.5)


def test_the_poster_goes_out_alone_once_its_frame_is_decoded(published):
    events = published["events"]
    [(_, manifest)] = [e for e in events if e[0] == "poster"]
    assert manifest["stage"] == "poster" and "hls" not in manifest
    assert manifest["files"] == ["poster.jpg", "poster.webp"]
    assert (manifest["width"], manifest["height"]) == (480, 854)
    at = events.index(("poster", manifest))
    assert all(e[0] != "preview" for e in events[:at])
    # sent before the first rung was done: preview progress follows it
    assert ("progress", "preview") in events[at + 1 :]
    for name in manifest["files"]:  # the same bytes in every later stage
        poster = (published["root"] / "poster" / name).read_bytes()
        assert poster == (published["root"] / "preview" / name).read_bytes()
        assert poster == (published["out"] / name).read_bytes()


def test_the_preview_comes_first_and_plays_on_its_own(published):
    events = [e for e in published["events"] if e[0] != "poster"]
    kinds = [e[0] if e[0] == "preview" else e[1] for e in events]
    first_preview = kinds.index("preview")
    assert "complete" not in kinds[:first_preview]
    assert "complete" in kinds[first_preview:]
    preview_manifest = next(e[1] for e in events if e[0] == "preview")
    assert preview_manifest["stage"] == "preview"
    assert "mp4" not in preview_manifest and "sprite" not in preview_manifest
    assert [r["name"] for r in preview_manifest["renditions"]] == ["360p"]
    folder = published["root"] / "preview"
    assert preview_manifest["files"] == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )
    (variant,) = hls.parse_master_playlist((folder / "master.m3u8").read_text())
    with av.open(str(folder / variant["URI"])) as container:
        assert sum(1 for _ in container.decode(video=0)) == 180
    # the complete set's smallest rung is the preview's, byte for byte
    for name in (n for n in preview_manifest["files"] if n.startswith("360p/")):
        assert (folder / name).read_bytes() == (published["out"] / name).read_bytes()


def test_the_poster_is_the_cover_frame_at_the_top_size(published):
    import cv2

    poster = cv2.imread(str(published["out"] / "poster.jpg"))
    assert poster.shape[:2] == (854, 480)
    assert cv2.imread(str(published["out"] / "poster.webp")).shape[:2] == (854, 480)
    with av.open(str(published["source"])) as container:
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    at_cover = int(COVER * 30)

    def distance(i):
        return float(np.abs(frames[i].astype(int) - poster.astype(int)).mean())

    assert distance(at_cover) < 8  # JPEG of a noisy texture
    assert distance(at_cover) < min(distance(at_cover - 15), distance(at_cover + 15))


def test_the_sprite_indexes_one_tile_a_second(published):
    import cv2

    vtt = (published["out"] / "sprite.vtt").read_text().splitlines()
    assert vtt[0] == "WEBVTT"
    cues = [line for line in vtt if line.startswith("sprite.jpg#xywh=")]
    assert len(cues) == 6
    sprite = cv2.imread(str(published["out"] / "sprite.jpg"))
    for cue in cues:
        x, y, w, h = map(int, cue.split("=")[1].split(","))
        assert x + w <= sprite.shape[1] and y + h <= sprite.shape[0]
    assert "00:00:05.000 --> 00:00:06.000" in vtt
