"""The committed lock agrees with pyproject, excludes known-bad versions, and is installed."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_PIN_RE = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)(?:\s*;\s*(.*?))?\s*\\?$")
KNOWN_BAD = {"pyside6-essentials": [Version("6.12.0")], "shiboken6": [Version("6.12.0")]}


def lock_pins(name: str) -> dict[str, Version]:
    """{package: version} of a lock file for this interpreter and platform."""
    found = {}
    for line in (REPO / "requirements" / name).read_text().splitlines():
        m = _PIN_RE.match(line.strip())
        if m and (not m.group(3) or Marker(m.group(3)).evaluate()):
            found[canonicalize_name(m.group(1))] = Version(m.group(2))
    return found


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("app.lock", []), ("test.lock", ["test"]), ("packaging.lock", ["test", "packaging"])],
)
def test_lock_satisfies_every_requirement_of_pyproject(lock, extras):
    pins = lock_pins(lock)
    reqs = [Requirement(r) for r in project()["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project()["optional-dependencies"][extra]]
    for req in reqs:
        if req.marker and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject but not in requirements/{lock}"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]}, outside pyproject's {req}"
        )


@pytest.mark.parametrize("lock", ["app.lock", "test.lock", "packaging.lock"])
def test_every_pin_carries_hashes(lock):
    text = (REPO / "requirements" / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 1)[1])
    pinned = [b for b in blocks if _PIN_RE.match(b.splitlines()[0].strip())]
    assert pinned
    for block in pinned:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_packaging_lock_only_adds_to_the_test_lock():
    """CI installs it over the test lock: the bundle is built from what the tests ran on."""
    test, packaging = lock_pins("test.lock"), lock_pins("packaging.lock")
    assert {n: v for n, v in packaging.items() if n in test} == test
    assert "pyinstaller" in packaging


def test_pyproject_excludes_the_pyside6_release_that_aborts():
    reqs = {
        canonicalize_name(Requirement(r).name): Requirement(r) for r in project()["dependencies"]
    }
    assert "pyside6" not in reqs, "the meta-package pulls WebEngine; use Essentials"
    for name, bad in KNOWN_BAD.items():
        if name in reqs:
            assert not any(reqs[name].specifier.contains(v) for v in bad), (name, bad)


def test_the_installed_versions_are_the_locked_ones():
    # what the README installs is what these tests ran on
    pins = lock_pins("test.lock")
    wrong = {}
    for name, version in pins.items():
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            wrong[name] = "missing"
            continue
        if installed != version:
            wrong[name] = f"{installed} installed, {version} locked"
    assert not wrong, (
        f"install with: pip install --require-hashes -r requirements/test.lock: {wrong}"
    )


def test_the_refresh_gate_soaks_on_a_python_where_the_fault_shows(monkeypatch):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("refresh_lock", REPO / "scripts/refresh-lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "version_info", (3, 12, 0))
    monkeypatch.setattr(module.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="3.10 or 3.11"):
        module.soak_python()
    monkeypatch.setattr(module.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert module.soak_python() == "/usr/bin/python3.11"
