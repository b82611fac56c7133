"""A schema 3 draft.json loads as filled takes and is saved at the current schema."""

import json
from pathlib import Path

import pytest

from reeleditor.core.draft import SCHEMA_VERSION, Segment
from reeleditor.core.errors import DraftFormatError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_schema_3_fixture_loads_as_takes_and_is_saved_at_the_current_schema(store):
    assert SCHEMA_VERSION >= 5
    fixture = json.loads((FIXTURES / "draft_v3.json").read_text())
    assert fixture["schema_version"] == 3 and "fit" not in fixture["segments"][0]
    folder = store.root / "schema3draft"
    folder.mkdir(parents=True)
    (folder / "draft.json").write_text(json.dumps(fixture))
    draft = store.load("schema3draft")
    assert [(s.kind, s.fit, s.speed) for s in draft.segments] == [
        ("take", "fill", 1.0),
        ("take", "fill", 2.0),
    ]
    assert draft.duration == pytest.approx(2.0 + 1.0)
    photo = Segment("media/p.jpg", 3.0, "c1", fit="blur", kind="photo")
    store.save(draft.with_changes(segments=(*draft.segments, photo)))
    saved = json.loads((folder / "draft.json").read_text())
    assert saved["schema_version"] == SCHEMA_VERSION
    assert [(s["kind"], s["fit"]) for s in saved["segments"]] == [
        ("take", "fill"),
        ("take", "fill"),
        ("photo", "blur"),
    ]
    assert store.load("schema3draft").segments[2] == photo


def test_an_unknown_fit_is_refused_in_one_line():
    with pytest.raises(DraftFormatError, match="fit 'stretch'"):
        Segment.from_dict({"id": "x", "media": "media/a.mp4", "duration": 1.0, "fit": "stretch"})
