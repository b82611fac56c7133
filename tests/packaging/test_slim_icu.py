"""The installer's cut-down ICU data (packaging/slim_icu.py), built from this venv's PySide6
and loaded into a real Qt: it must sort, case-map and find time zones as the full data does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "packaging"))
from slim_icu import slim, wanted

QT_CHECK = r"""
import functools, json
from PySide6.QtCore import QCollator, QLocale, QTimeZone
from reeleditor.ui.qt_text import check_collation
words = ["résumé", "resume", "Zebra", "apple", "Äpfel", "10", "9", "_x", "Ωmega", "éclair"]
plain = QCollator(QLocale("en_US"))
numeric = QCollator(QLocale("en_US")); numeric.setNumericMode(True)
print(json.dumps({
    "check": check_collation(),
    "plain": sorted(words, key=functools.cmp_to_key(plain.compare)),
    "numeric": sorted(words, key=functools.cmp_to_key(numeric.compare)),
    "upper": QLocale("en_US").toUpper("straße ǆ"),
    "zone": QTimeZone(b"Europe/Paris").isValid(),
}))
"""


def _icu_data() -> Path:
    import PySide6

    found = sorted((Path(PySide6.__path__[0]) / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 carries no ICU of its own (macOS, Windows)")
    return found[0]


def _require_tools() -> None:
    missing = [tool for tool in ("icupkg", "gcc", "nm", "readelf") if not shutil.which(tool)]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (apt-get install icu-devtools gcc binutils)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI installs them with scripts/install-system-packages.sh --test")
    pytest.skip(message)


@pytest.fixture(scope="module")
def slim_lib(tmp_path_factory) -> Path:
    _require_tools()
    source = _icu_data()
    target = tmp_path_factory.mktemp("icu") / source.name
    kept, removed = slim(source, target)
    assert kept > 50 and removed > 3000
    return target


def _qt_answers(preload: Path | None) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if preload is not None:  # same soname: Qt's libicuuc binds to this copy
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run(
        [sys.executable, "-c", QT_CHECK],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "Could not create collator" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def test_the_slim_data_is_a_fifth_of_the_full_one(slim_lib):
    assert slim_lib.stat().st_size < _icu_data().stat().st_size / 4


def test_qt_sorts_and_case_maps_with_the_slim_data_as_with_the_full_one(slim_lib):
    assert _qt_answers(slim_lib) == _qt_answers(None)


def test_english_and_root_stay_other_locales_and_code_pages_go():
    assert wanted("coll/root.res") and wanted("coll/ucadata.icu") and wanted("en.res")
    assert wanted("zoneinfo64.res") and wanted("brkitr/word.brk") and wanted("pool.res")
    assert wanted("unit/en.res") and wanted("nfkc.nrm") and wanted("cnvalias.icu")
    assert not wanted("coll/zh.res") and not wanted("de.res") and not wanted("coll/de_.res")
    assert not wanted("translit/root.res") and not wanted("ibm-943_P15A-2003.cnv")
    assert not wanted("unit/fr_CA.res")


def test_a_package_icu_cannot_read_is_caught_by_the_collation_check(tmp_path):
    """The check the frozen self-test runs: without collation data Qt sorts by code point."""
    _require_tools()
    empty = tmp_path / "empty.S"  # a data library whose package has no items
    empty.write_text(".section .rodata\n.globl icudt73_dat\nicudt73_dat:\n.long 0\n")
    lib = tmp_path / _icu_data().name
    subprocess.run(
        ["gcc", "-shared", "-nostdlib", f"-Wl,-soname,{lib.name}", "-o", str(lib), str(empty)],
        check=True,
    )
    env = dict(os.environ, LD_PRELOAD=str(lib), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", "from reeleditor.ui.qt_text import check_collation as c; c()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode != 0
    assert "ICU collation data is missing" in done.stderr
