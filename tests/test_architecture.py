"""The project's own agreements: import layers, lint, module size, docstrings."""

import ast
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
