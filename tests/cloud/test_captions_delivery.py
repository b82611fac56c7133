"""Captions reach the cloud with the upload and are served as a subtitle track."""

from __future__ import annotations

import pytest
import requests

from reeleditor.cloud.server import serve_in_thread, wait_published
from reeleditor.core.words import Cue
from reeleditor.media.hls import parse_attributes, parse_master_playlist, parse_media_playlist
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.media.vtt import parse_vtt, write_vtt
from reeleditor.upload.queue import CAPTIONS_LIMIT, captions_beside
from tests.conftest import run_cli

CUES = [Cue(0.1, 0.9, "Hello & welcome"), Cue(0.9, 1.8, "past the end <b>")]


@pytest.fixture
def cloud(tmp_path):
    server = serve_in_thread("127.0.0.1", 0, tmp_path / "cloud")
    host, port = server.server_address[:2]
    yield server, f"http://{host}:{port}"
    server.close()


@pytest.fixture
def take(store):
    draft = store.create("Captioned", width=360, height=640)
    source = TestPatternSource(360, 640, 30).open()
    try:
        for _ in record_take(store, draft.id, source, source.audio, 1.0):
            pass
    finally:
        source.close()
    draft = store.load(draft.id)
    return store.media_path(draft, draft.segments[0])


def test_the_vtt_beside_an_upload_is_served_as_subtitles(cloud, take):
    server, base = cloud
    take.with_suffix(".vtt").write_text(write_vtt(CUES, "en-US"), encoding="utf-8")
    done = run_cli("upload", str(take), "--endpoint", f"{base}/files/")
    assert done.returncode == 0, done.stderr
    upload_id = done.stdout.strip().rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, upload_id) == "published"
    [reel] = requests.get(f"{base}/api/reels", timeout=5).json()["reels"]

    served = requests.get(base + reel["captions_url"], timeout=5)
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/vtt")
    cues = parse_vtt(served.text)
    assert cues[0] == CUES[0]
    assert cues[1].start == CUES[1].start and cues[1].end <= reel["duration"] + 1e-6

    master = requests.get(base + reel["hls_url"], timeout=5).text
    [media] = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    group = parse_attributes(media.split(":", 1)[1])
    assert (group["TYPE"], group["LANGUAGE"]) == ("SUBTITLES", "en-US")
    assert all(v["SUBTITLES"] == group["GROUP-ID"] for v in parse_master_playlist(master))
    folder = reel["hls_url"].rsplit("/", 1)[0]
    playlist = parse_media_playlist(requests.get(f"{base}{folder}/{group['URI']}", timeout=5).text)
    assert playlist.ended and [s.uri for s in playlist.segments] == ["captions.vtt"]


def test_a_reel_without_captions_has_no_captions_url(cloud, take):
    server, base = cloud
    done = run_cli("upload", str(take), "--endpoint", f"{base}/files/")
    upload_id = done.stdout.strip().rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, upload_id) == "published"
    [reel] = requests.get(f"{base}/api/reels", timeout=5).json()["reels"]
    assert "captions_url" not in reel
    assert "SUBTITLES" not in requests.get(base + reel["hls_url"], timeout=5).text


def test_captions_too_long_for_the_metadata_header_are_left_out_and_said(tmp_path):
    video = tmp_path / "reel.mp4"
    assert captions_beside(video) == ("", "")
    video.with_suffix(".vtt").write_text("WEBVTT\n\n" + "x" * CAPTIONS_LIMIT)
    text, notice = captions_beside(video)
    assert text == "" and "sent without them" in notice
    video.with_suffix(".vtt").write_text(write_vtt(CUES))
    assert captions_beside(video) == (write_vtt(CUES), "")


def test_burned_captions_are_offered_but_off(cloud, take, store):
    """A draft whose captions are burned in (the default) sends captions_burned: the
    master's rendition and the Reel JSON say so, or players would show every line twice."""
    import time

    from reeleditor.core import word_edits
    from reeleditor.core.words import Captions

    server, base = cloud
    [draft] = [d for d in store.scan()[0] if d.title == "Captioned"]
    store.save(word_edits.set_captions(draft, Captions(cues=(CUES[0],)), time.time()))
    done = run_cli("upload", draft.id, "--endpoint", f"{base}/files/", timeout=300)
    assert done.returncode == 0, done.stderr
    upload_id = done.stdout.strip().rstrip("/").rsplit("/", 1)[-1]
    assert wait_published(server, upload_id) == "published"
    [reel] = requests.get(f"{base}/api/reels", timeout=5).json()["reels"]
    assert reel["captions_url"] and reel["captions_burned"] is True
    master = requests.get(base + reel["hls_url"], timeout=5).text
    [media] = [line for line in master.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    group = parse_attributes(media.split(":", 1)[1])
    assert (group["DEFAULT"], group["AUTOSELECT"]) == ("NO", "NO")


def test_captions_not_burned_are_on_by_default(tmp_path):
    from reeleditor.media.hls import write_master

    rung = {"width": 360, "height": 640, "bandwidth": 1, "average_bandwidth": 1}
    rung |= {"codecs": "avc1", "playlist": "360p/index.m3u8"}
    subs = {"playlist": "subtitles.m3u8", "language": "en", "name": "Captions"}
    for extra, want in (({}, "YES"), ({"default": False}, "NO")):
        write_master(tmp_path / "m.m3u8", [rung], 30.0, {**subs, **extra})
        text = (tmp_path / "m.m3u8").read_text()
        assert f"DEFAULT={want},AUTOSELECT={want}," in text


def test_an_export_marks_burned_captions_and_a_file_upload_sends_it(tmp_path):
    """A file uploaded by path (or from the window) carries the mark in its WebVTT."""
    from reeleditor.core.draft import Draft
    from reeleditor.core.words import Captions
    from reeleditor.media.vtt import says_burned, write_beside
    from reeleditor.upload.queue import UploadQueue
    from reeleditor.upload.transfer import Uploader

    video = tmp_path / "reel.mp4"
    queue = UploadQueue(tmp_path / "queue")
    for burn in (True, False):
        captions = Captions(cues=tuple(CUES), burn=burn)
        draft = Draft(id="d" * 12, title="", created=0.0, updated=0.0, captions=captions)
        assert write_beside(video, draft) == []
        text, _ = captions_beside(video)
        assert says_burned(text) is burn and parse_vtt(text) == CUES
        entry = queue.add(video, 1, "0" * 64, "http://x/files/", captions=text)
        assert entry.captions_burned is burn
        assert ("captions_burned" in Uploader._metadata(entry)) is burn
