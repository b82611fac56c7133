"""The segment recorder and takes: real encodes, decoded back; crashes and full disks."""

import os
import resource
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest

from reeleditor.core.errors import MediaError
from reeleditor.media.probe import probe
from reeleditor.media.recorder import SegmentRecorder
from reeleditor.media.sources.testpattern import TestPatternSource, has_flash
from reeleditor.media.take import record_take, recover_takes
from tests.conftest import run_cli
from tests.factories import drain
from tests.media.helpers import count_frames, decode_audio, decode_video

W, H, FPS = 180, 320, 30


def _record(tmp_path, seconds=1.0, **options):
    source = TestPatternSource(W, H, FPS).open()
    try:
        recorder = SegmentRecorder(
            source,
            source.audio,
            tmp_path / "seg.mp4",
            width=W,
            height=H,
            fps=FPS,
            max_seconds=seconds,
            **options,
        )
        recorder.start()
        assert recorder.wait(seconds + 10)
        return recorder.stop()
    finally:
        source.close()


def test_recording_is_constant_rate_h264_aac_in_fragmented_mp4(tmp_path):
    result = _record(tmp_path, 1.0)
    assert result.error is None and result.reached_limit
    assert result.frames == 30 and result.encoder == "libx264"
    assert result.duplicated + result.dropped <= 1
    frames = decode_video(result.path)
    assert len(frames) == 30 and frames[0].shape == (H, W, 3)
    samples, rate = decode_audio(result.path)
    assert rate == 48000 and samples.shape[1] / rate == pytest.approx(1.0, abs=0.05)
    with av.open(str(result.path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    head = result.path.read_bytes()[:4096]
    assert b"moov" in head and b"moof" in result.path.read_bytes()  # fragmented
    assert probe(result.path).duration == pytest.approx(1.0, abs=0.05)


def test_audio_and_video_stay_in_sync(tmp_path):
    result = _record(tmp_path, 2.2)
    frames = decode_video(result.path)
    flashes = [i / FPS for i, f in enumerate(frames) if has_flash(f)]
    samples, rate = decode_audio(result.path)
    loud = np.abs(samples[0]) > 0.25
    onsets = [i / rate for i in np.flatnonzero(loud[1:] & ~loud[:-1])]
    beeps = [t for n, t in enumerate(onsets) if n == 0 or t - onsets[n - 1] > 0.5]
    assert flashes and beeps
    offsets = [min(abs(f - b) for b in beeps) for f in flashes]
    assert max(offsets) <= 1.5 / FPS, (flashes, beeps)


def test_missing_preferred_encoder_falls_back_and_says_which(tmp_path):
    result = _record(tmp_path, 0.3, video_encoders=("h264_made_up", "mpeg4"))
    assert result.encoder == "mpeg4"
    assert "h264_made_up is not in this PyAV build; encoding with mpeg4" in result.notices
    assert count_frames(result.path) == 9


def test_take_adds_segment_and_thumbnail_and_keeps_look_out_of_the_media(store):
    from reeleditor.core.draft import Look

    draft = store.create("take", width=W, height=H, look=Look("noir", 100.0))
    source = TestPatternSource(W, H, FPS).open()
    try:
        take = None
        gen = record_take(store, draft.id, source, source.audio, 0.5)
        try:
            while True:
                next(gen)
        except StopIteration as stop:
            take = stop.value
    finally:
        source.close()
    draft = store.load(draft.id)
    assert [s.id for s in draft.segments] == [take.segment.id]
    assert draft.segments[0].duration == pytest.approx(0.5, abs=0.04)
    media = store.media_path(draft, draft.segments[0])
    first = decode_video(media)[0]
    spread = np.abs(first[..., 2].astype(int) - first[..., 0]).mean()
    assert spread > 20  # raw colour: the noir (black-and-white) look is not baked in
    assert store.thumb_path(draft.id).stat().st_size > 1000
    assert not list(media.parent.glob("*.recording"))


def test_closing_a_take_keeps_what_was_recorded(store):
    draft = store.create("stop early", width=W, height=H)
    source = TestPatternSource(W, H, FPS).open()
    try:
        gen = record_take(store, draft.id, source, source.audio, 30)
        start = time.monotonic()
        for progress in gen:
            if progress.done >= 0.4 or time.monotonic() - start > 10:
                break
        gen.close()
    finally:
        source.close()
    segments = store.load(draft.id).segments
    assert len(segments) == 1 and 0.3 < segments[0].duration < 3


def test_full_draft_refuses_to_record(store):
    from reeleditor.core.draft import Segment

    draft = store.create("full", max_duration=5)
    store.save(draft.with_changes(segments=(Segment("media/x.mp4", 5.0),)))
    with pytest.raises(MediaError, match="is full"):
        next(record_take(store, draft.id, None, None, 1))


@pytest.mark.slow
def test_kill_9_mid_recording_is_recovered_on_next_start(store):
    draft = store.create("crash", width=W, height=H)
    store.release(draft.id)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reeleditor",
            "record",
            "--source",
            "testpattern",
            "--seconds",
            "30",
            "--draft",
            draft.id,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    started = None
    for line in proc.stderr:
        if line.startswith("record") and "(0/30 s)" in line:
            started = time.monotonic()  # the first progress line comes with recording start
        if started and time.monotonic() - started > 2.5:
            break
    killed_at = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    recorded = killed_at - started

    result = run_cli("drafts", "show", draft.id, "--json")
    assert result.returncode == 0, result.stderr
    assert "recovered" in result.stderr
    import json

    shown = json.loads(result.stdout)
    assert len(shown["segments"]) == 1
    duration = shown["segments"][0]["duration"]
    assert recorded - 1.0 <= duration <= recorded + 0.3, (recorded, duration)
    media = store.folder(draft.id) / shown["segments"][0]["media"]
    frames = count_frames(media)
    assert abs(frames - duration * FPS) <= 1
    samples, rate = decode_audio(media)
    assert samples.shape[1] / rate == pytest.approx(duration, abs=0.1)
    assert recover_takes(store) == []  # nothing left to recover


@pytest.mark.slow
def test_disk_filling_during_recording_keeps_what_was_recorded(store):
    draft = store.create("small disk", width=W, height=H)
    store.release(draft.id)

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG, not a kill, at the limit
        resource.setrlimit(resource.RLIMIT_FSIZE, (120_000, 120_000))

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reeleditor",
            "record",
            "--source",
            "testpattern",
            "--seconds",
            "60",
            "--draft",
            draft.id,
        ],
        capture_output=True,
        text=True,
        preexec_fn=small_disk,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "disk is full" in last and "what was recorded is kept" in last
    assert result.stdout.strip() == draft.id
    segments = store.load(draft.id).segments
    assert len(segments) == 1 and segments[0].duration > 0.5
    media = store.folder(draft.id) / segments[0].media
    assert abs(count_frames(media) - segments[0].duration * FPS) <= 1


def test_salvage_cuts_a_torn_file_back_to_whole_fragments(tmp_path):
    import shutil

    from reeleditor.media.salvage import salvage, whole_fragments_end

    result = _record(tmp_path, 2.0)
    full = result.path.read_bytes()
    for cut in (len(full) - 7, len(full) * 3 // 4, len(full) // 2):
        torn = tmp_path / f"torn-{cut}.mp4"
        torn.write_bytes(full[:cut])
        info = salvage(torn)
        assert torn.stat().st_size == whole_fragments_end(torn) <= cut
        assert count_frames(torn) == info.video_frames > 0
        assert info.duration <= 2.0
    header_only = tmp_path / "header.mp4"
    shutil.copy(result.path, header_only)
    os.truncate(header_only, 100)
    with pytest.raises(MediaError, match="no complete fragment"):
        salvage(header_only)


def test_a_source_closed_during_a_take_ends_it_with_a_clear_error(tmp_path):
    source = TestPatternSource(W, H, FPS).open()
    recorder = SegmentRecorder(
        source, source.audio, tmp_path / "s.mp4", width=W, height=H, fps=FPS, max_seconds=10
    )
    recorder.start()
    time.sleep(0.5)
    source.close()
    assert recorder.wait(5)
    result = recorder.stop()
    assert result.error is not None and "closed during the take" in str(result.error)
    assert result.frames < 10 * FPS  # it did not run on with a frozen picture
    assert source.open().is_open is False  # a closed source stays closed


def test_an_uncommitted_take_leaves_the_draft_to_its_writer_and_journals_until_settled(store):
    """commit=False (the app): draft.json is untouched, the journal stays locked (nobody
    may recover it while its writer lives) until `settle`; `stop` ends the take early."""
    import threading

    from reeleditor.media.take import find_interrupted

    draft = store.create("uncommitted", width=W, height=H)
    stop = threading.Event()
    source = TestPatternSource(W, H, FPS).open()
    try:
        gen = record_take(store, draft.id, source, source.audio, 30, commit=False, stop=stop)
        for progress in gen:
            if progress.done >= 0.3:
                stop.set()
                break
        take = drain(gen)
    finally:
        source.close()
    assert take.segment is not None and 0.2 < take.segment.duration < 3
    assert store.load(draft.id).segments == ()
    assert take.journal.held and take.journal.path.exists()
    assert find_interrupted(store) == []  # held: not an interrupted take
    take.settle()
    assert not take.journal.path.exists() and recover_takes(store) == []


TAKE_THEN_DIE = """
import os, signal, sys
from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.storage.drafts import DraftStore
store = DraftStore(sys.argv[1])
source = TestPatternSource(180, 320, 30).open()
gen = record_take(store, sys.argv[2], source, source.audio, 0.5, commit=False)
try:
    while True:
        next(gen)
except StopIteration as stop:
    take = stop.value
print(take.segment.media, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the take is done; its writer never saved it
"""


@pytest.mark.slow
def test_a_take_whose_app_dies_before_the_session_saved_it_is_recovered(store):
    draft = store.create("die before save", width=W, height=H)
    store.release(draft.id)
    proc = subprocess.run(
        [sys.executable, "-c", TAKE_THEN_DIE, str(store.root), draft.id],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    media = proc.stdout.strip()
    assert store.load(draft.id).segments == ()
    recovered = recover_takes(store)
    assert [r.segment.media for r in recovered] == [media]
    segments = store.load(draft.id).segments
    assert [s.media for s in segments] == [media]
    assert segments[0].duration == pytest.approx(0.5, abs=0.1)
    assert recover_takes(store) == []
