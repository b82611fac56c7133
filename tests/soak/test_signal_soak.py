"""Every Signal signature the app defines, emitted 100,000 times from the GUI thread and
from a worker thread, in a child process (an abort there is a failure here, named)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

COUNT = 100_000
# a binding that drops or leaks one reference per emit drifts by ~COUNT; the event loop's
# own bookkeeping moves None by about a hundred
DRIFT_LIMIT = 1_000
_SIG_RE = re.compile(r"^\w+\((.*)\)$")


def app_signal_signatures() -> dict[str, list[str]]:
    """{Qt parameter types: ['Class.signal', ...]} for every Signal declared in reeleditor.ui."""
    from PySide6.QtCore import QObject, Signal

    import reeleditor.ui

    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(reeleditor.ui.__path__, "reeleditor.ui."):
        module = importlib.import_module(info.name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, QObject):
                continue
            for attr, value in vars(cls).items():
                if isinstance(value, Signal):
                    types = _SIG_RE.match(str(value)).group(1)
                    found.setdefault(types, []).append(f"{cls_name}.{attr}")
    return found


SIGNATURES = app_signal_signatures()


def test_the_app_declares_signals_to_soak():
    # the discovery itself must see the app's signals, or the soak below proves nothing
    assert {"bool", "PyObject", "QString", ""} <= set(SIGNATURES), SIGNATURES


@pytest.mark.soak
@pytest.mark.parametrize("thread", ["gui", "worker"])
@pytest.mark.parametrize("signature", sorted(SIGNATURES), ids=lambda s: s or "no-args")
def test_signal_survives_100k_emits(signature, thread):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.soak.signal_soak",
            signature,
            "--count",
            str(COUNT),
            "--thread",
            thread,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    users = ", ".join(SIGNATURES[signature])
    assert proc.returncode == 0, (
        f"({signature}) signals of {users} killed the process after emits from the {thread} "
        f"thread (exit {proc.returncode}): {proc.stderr.strip().splitlines()[:3]}"
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["error"] == ""
    assert result["received"] == COUNT, result
    assert result["mismatches"] == 0, result
    drift = result["refcount_drift"]
    assert all(abs(d) < DRIFT_LIMIT for d in drift.values()), (users, drift)
