"""The project's own agreements: import layers, lint, module size, docstrings."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "reeleditor"


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_import_layers_hold():
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    result = subprocess.run(
        [_tool("ruff"), "check", "reeleditor", "tests", "benchmarks"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_has_a_docstring_and_stays_small():
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        assert ast.get_docstring(ast.parse(source)), f"{path} needs a one-line docstring"
        assert source.count("\n") <= 600, f"{path} is past 600 lines: split it"


def test_importing_the_cli_does_not_load_qt_or_media():
    code = (
        "import sys, reeleditor.cli; "
        "print(sorted(m for m in ('PySide6', 'av', 'cv2') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def _imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_ui_leaves_pixels_and_codecs_to_media():
    offenders = {
        str(path.relative_to(REPO)): sorted(_imported_modules(path) & {"cv2", "av"})
        for path in (PACKAGE / "ui").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nothing_writes_onto_frozen_objects():
    """`object.__setattr__` defeats frozen dataclasses (the save path once cached on them)."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "__setattr__"
                and isinstance(node.value, ast.Name)
                and node.value.id == "object"
            ):
                pytest.fail(f"{path.relative_to(REPO)}:{node.lineno} writes onto a frozen object")


def test_the_contracts_catch_what_they_forbid(tmp_path):
    """A copy of the package with one violation per contract: each is reported broken, so
    a contract that constrains nothing (as ':' siblings did) cannot pass unnoticed."""
    copy = tmp_path / "repo"
    shutil.copytree(PACKAGE, copy / "reeleditor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy)
    violations = {
        "ui/waveform.py": "import cv2",  # pixels belong in media/
        "storage/paths.py": "from reeleditor.media import probe",  # storage is below media
        "media/music.py": "from reeleditor.upload import errors",  # media is below upload
        "cloud/client.py": "from reeleditor.upload import chunks",  # independent siblings
        "core/progress.py": "import numpy, av",  # core does no media I/O
    }
    for name, line in violations.items():
        with open(copy / "reeleditor" / name, "a") as fh:
            fh.write(f"\n{line}  # noqa\n")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=copy, capture_output=True, text=True, env=env
    )
    report = result.stdout + result.stderr
    assert result.returncode != 0, report
    for expected in (
        "reeleditor.ui.waveform -> cv2",
        "reeleditor.storage.paths -> reeleditor.media.probe",
        "reeleditor.media.music -> reeleditor.upload.errors",
        "reeleditor.cloud.client -> reeleditor.upload.chunks",
        "reeleditor.core.progress -> av",
    ):
        assert expected in report, report
