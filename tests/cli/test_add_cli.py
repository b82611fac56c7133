"""`reeleditor add`: where a clip goes, and bad input refused in one line, the draft unchanged."""

import json

import av
import cv2
import numpy as np
import pytest

from reeleditor.cli import main
from reeleditor.media.render import export_draft
from tests.conftest import run_cli
from tests.factories import drain
from tests.media.clip_media import truncated_clip, write_clip, write_photo


@pytest.fixture
def draft(store, tmp_path):
    d = store.create("add")
    store.release(d.id)
    assert main(["add", d.id, str(write_clip(tmp_path / "a.mp4", frames=30))]) == 0
    assert main(["add", d.id, str(write_clip(tmp_path / "b.mp4", frames=15))]) == 0
    store.release(d.id)
    return store.load(d.id)


def _snapshot(store, draft_id):
    folder = store.folder(draft_id)
    return (folder / "draft.json").read_bytes(), sorted(
        p.name for p in (folder / "media").iterdir()
    )


def test_add_at_a_boundary_inserts_there_and_is_one_undoable_version(store, draft, tmp_path):
    before = len(store.history(draft.id))
    photo = write_photo(tmp_path / "p.png")
    assert main(["add", draft.id, str(photo), "--at", "1", "--still-seconds", "0.5", "--json"]) == 0
    store.release(draft.id)
    d = store.load(draft.id)
    assert [s.kind for s in d.segments] == ["clip", "photo", "clip"]
    assert d.duration == pytest.approx(2.0)
    assert len(store.history(draft.id)) == before + 1
    restored = store.restore(draft.id, store.history(draft.id)[1].version)
    assert [s.kind for s in restored.segments] == ["clip", "clip"]


def _refused(store, draft_id, capsys, *args) -> str:
    before = _snapshot(store, draft_id)
    capsys.readouterr()
    assert main(["add", draft_id, *args]) == 1
    store.release(draft_id)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("reeleditor: error: ")
    assert _snapshot(store, draft_id) == before  # nothing copied, draft.json as it was
    return err[0]


def test_mid_segment_is_refused_with_a_hint_to_split(store, draft, tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", frames=6)
    line = _refused(store, draft.id, capsys, str(clip), "--at", "0.5")
    assert "inside a segment" in line and f"reeleditor split {draft.id} --at 0.5" in line


def test_a_file_that_is_not_media_is_refused(store, draft, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list")
    assert "notes.txt is not a video or a photo" in _refused(store, draft.id, capsys, str(notes))
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video at all")
    assert "fake.mp4 cannot be read" in _refused(store, draft.id, capsys, str(fake))


def test_a_truncated_clip_is_refused_at_add_time(store, draft, tmp_path, capsys):
    clip = truncated_clip(tmp_path / "cut.mp4")
    assert "truncated" in _refused(store, draft.id, capsys, str(clip))


def test_a_photo_over_40_megapixels_is_refused(store, draft, tmp_path, capsys):
    big = tmp_path / "big.jpg"
    cv2.imwrite(str(big), np.zeros((5800, 8660, 3), np.uint8))  # 50.2 MP
    line = _refused(store, draft.id, capsys, str(big))
    assert "50.2 megapixels" in line and "up to 40 MP" in line


def test_a_10_bit_4k60_clip_is_conformed_to_8_bit_30_fps(store, draft, tmp_path, capsys):
    clip = write_clip(tmp_path / "hdr.mp4", 3840, 2160, frames=12, fps=60, pix_fmt="yuv420p10le")
    capsys.readouterr()
    assert main(["add", draft.id, str(clip)]) == 0
    store.release(draft.id)
    err = capsys.readouterr().err
    assert "yuv420p10le pictures are converted to 8-bit yuv420p" in err
    assert "60 fps is sampled down to 30 fps" in err
    d = store.load(draft.id)
    out = tmp_path / "out.mp4"
    drain(export_draft(store, d, out, "small"))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1080, 1920)
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert sum(1 for _ in container.decode(stream)) == 30 + 15 + 6  # 0.2 s of 60 fps: 6


def test_the_command_line_adds_as_a_user_would(store, draft, tmp_path):
    result = run_cli("add", draft.id, str(write_photo(tmp_path / "p.jpg")), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and rows[2]["length"] == 3.0  # a photo: 3 s by default
    assert "added p.jpg as segment 3 (photo, 3.0 s, blur)" in result.stderr
