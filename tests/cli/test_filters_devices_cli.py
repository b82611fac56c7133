"""`reeleditor filters list` and `reeleditor devices`, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reeleditor import cli
from reeleditor.commands import devices, filters
from reeleditor.media.looks_catalog import CATALOG


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    # until cli.py lists them, add the two modules here; afterwards this changes nothing
    modules = [m for m in cli.COMMAND_MODULES if m not in (filters, devices)]
    monkeypatch.setattr(cli, "COMMAND_MODULES", [*modules, filters, devices])


def test_filters_list_shows_every_look_with_title_and_description(capsys):
    assert cli.main(["filters", "list"]) == 0
    out = capsys.readouterr().out
    for info in CATALOG:
        assert info.name in out and info.title in out and info.description in out
    assert "adjustments (-100..100 each): brightness, contrast" in out


def test_filters_list_json(capsys):
    assert cli.main(["filters", "list", "--json"]) == 0
    looks = json.loads(capsys.readouterr().out)
    assert looks[0] == {
        "name": "none",
        "title": "Original",
        "description": "The picture as recorded.",
    }
    assert len(looks) >= 13 and all(set(x) == {"name", "title", "description"} for x in looks)


def test_filters_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["filters"])
    assert exc.value.code == 2


def test_devices_on_a_machine_without_camera_or_microphone(capsys):
    if list(Path("/dev").glob("video*")):
        pytest.skip("this machine has a camera")
    assert cli.main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "cameras:\n  no camera found: the test pattern stands in" in out
    assert "microphones:" in out


def test_devices_json(capsys):
    assert cli.main(["devices", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert set(found) == {"cameras", "microphones", "skipped", "notices"}
    if not found["cameras"]:
        assert "no camera found: the test pattern stands in" in found["notices"]


def test_devices_rejects_a_bad_timeout(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["devices", "--timeout", "0"])
    assert exc.value.code == 2
    assert "not a number of seconds" in capsys.readouterr().err
