"""A schema 2 draft.json on disk loads at 1x and is saved at schema 3."""

import json
from pathlib import Path

import pytest

from reeleditor.core import edits
from reeleditor.core.draft import SCHEMA_VERSION
from reeleditor.core.errors import DraftFormatError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_schema_2_fixture_loads_at_1x_and_is_saved_at_the_new_version(store):
    assert SCHEMA_VERSION >= 3
    fixture = json.loads((FIXTURES / "draft_v2.json").read_text())
    assert fixture["schema_version"] == 2 and "speed" not in fixture["segments"][0]
    folder = store.root / "schema2draft"
    folder.mkdir(parents=True)
    (folder / "draft.json").write_text(json.dumps(fixture))
    draft = store.load("schema2draft")
    assert [s.speed for s in draft.segments] == [1.0, 1.0]
    assert [s.length for s in draft.segments] == pytest.approx([2.0, 2.0])
    assert draft.look.name == "warm"
    store.save(edits.set_speed(draft, "a2", 0.5, now=1_800_000_000.0))
    saved = json.loads((folder / "draft.json").read_text())
    assert saved["schema_version"] == SCHEMA_VERSION
    assert [s["speed"] for s in saved["segments"]] == [1.0, 0.5]
    assert store.load("schema2draft").duration == pytest.approx(2.0 + 4.0)


def test_a_stored_draft_from_a_newer_schema_is_refused(store):
    data = json.loads((FIXTURES / "draft_v2.json").read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    folder = store.root / "schema2draft"
    folder.mkdir(parents=True)
    (folder / "draft.json").write_text(json.dumps(data))
    with pytest.raises(DraftFormatError, match="newer reeleditor"):
        store.load("schema2draft")
