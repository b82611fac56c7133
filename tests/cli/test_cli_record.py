"""`reeleditor record` and `doctor` as a user runs them."""

import json

import av
import pytest

from reeleditor.storage.drafts import DraftStore
from reeleditor.storage.paths import AppPaths
from tests.conftest import run_cli


@pytest.mark.slow
def test_record_three_seconds_with_a_look_at_full_size():
    result = run_cli("record", "--source", "testpattern", "--seconds", "3", "--filter", "vivid")
    assert result.returncode == 0, result.stderr
    draft_id = result.stdout.strip()
    assert "recorded 3.00 s" in result.stderr
    store = DraftStore(AppPaths.from_env().drafts)
    draft = store.load(draft_id)
    assert draft.look.name == "vivid" and len(draft.segments) == 1
    media = store.media_path(draft, draft.segments[0])
    with av.open(str(media)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (1080, 1920)
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 90
    assert store.thumb_path(draft_id).is_file()

    again = run_cli(
        "record",
        "--source",
        "testpattern",
        "--seconds",
        "0.5",
        "--draft",
        draft_id,
        "--width",
        "180",
        "--height",
        "320",
    )
    assert again.returncode == 0, again.stderr
    assert len(store.load(draft_id).segments) == 2


def test_record_bad_inputs_are_one_line_errors(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    cases = [
        (["--source", "camera:7"], "no camera at index 7"),
        (["--source", f"file:{notes}"], "is not a video"),
        (["--source", "webcam"], "unknown source 'webcam'"),
        (["--source", "testpattern", "--filter", "sparkly"], "no look named 'sparkly'"),
        (["--source", "testpattern", "--draft", "nosuchdraft"], "no draft nosuchdraft"),
    ]
    for args, words in cases:
        result = run_cli("record", "--seconds", "1", *args)
        assert result.returncode == 1, (args, result.stderr)
        assert words in result.stderr and result.stderr.count("error") == 1, result.stderr


def test_record_with_no_microphone_gets_a_silent_track(tmp_path):
    result = run_cli(
        "record",
        "--source",
        "testpattern",
        "--seconds",
        "0.5",
        "--mic",
        "none",
        "--width",
        "180",
        "--height",
        "320",
    )
    assert result.returncode == 0, result.stderr
    store = DraftStore(AppPaths.from_env().drafts)
    draft = store.load(result.stdout.strip())
    with av.open(str(store.media_path(draft, draft.segments[0]))) as container:
        samples = [f.to_ndarray() for f in container.decode(audio=0)]
    assert samples and max(abs(s).max() for s in samples) < 1e-3


def test_doctor_reports_encoders_folders_and_disk():
    result = run_cli("doctor", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["encoders"]["libx264"] is True
    assert report["video_encoder"] == "libx264"
    assert report["free_disk_bytes"] > 0
    assert report["cameras"] == []  # this machine has none
    text = run_cli("doctor")
    assert "the test pattern stands in" in text.stdout


def test_bad_sizes_and_rates_leave_no_empty_draft():
    for args, words in (
        (["--width", "1081", "--height", "1921"], "must be even"),
        (["--fps", "0"], "--fps 0 is outside 1..120"),
        (["--filter", "bogus"], "no look named 'bogus'"),
        (["--strength", "300", "--filter", "warm"], "outside 0..100"),
    ):
        result = run_cli("record", "--source", "testpattern", "--seconds", "1", *args)
        assert result.returncode == 1 and words in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert DraftStore(AppPaths.from_env().drafts).scan() == ([], [])


def test_serve_on_an_impossible_port_is_one_line():
    result = run_cli("serve", "--port", "99999")
    assert result.returncode == 1 and "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr
