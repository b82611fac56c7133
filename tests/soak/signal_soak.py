"""Emits one Qt signal signature N times from a chosen thread and checks every delivery.

Run as `python -m tests.soak.signal_soak SIGNATURE --count N --thread gui|worker`; prints
one JSON line with what it saw. A binding that drops or leaks a reference per emit (PySide6
6.12.0 drops one on every `Signal(bool)` emit) either aborts the process or shows up here as
refcount drift on the emitted values; both fail the test that runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Qt's names for the Python types a Signal can carry (what str(Signal) shows)
PY_TYPES = {
    "bool": bool,
    "double": float,
    "int": int,
    "QString": str,
    "PyObject": object,
    "QVariantList": list,
    "QVariantMap": dict,
}


class Marker:
    """A plain object whose refcount the soak watches (a Progress stands for it in the app)."""


def values_for(type_name: str, marker: Marker) -> list:
    """A cycle of values of one type, the ones the app really sends included (None, bools)."""
    return {
        "bool": [True, False],
        "double": [0.0, 1.5, -2.25, 90.0],
        "int": [0, 1, -7, 2**31 - 1],  # Signal(int) is a C++ int: 32 bits
        "QString": ["", "saved", "Ünïcode ✓ reel", "error: disk full"],
        "PyObject": [None, True, False, marker, (1, "a"), {"k": 1}, 3.5],
        "QVariantList": [[], [1, None, True, "x"], [marker]],
        "QVariantMap": [{}, {"k": 1, "b": True}],
    }[type_name]


def parse_signature(signature: str) -> list[str]:
    names = [n.strip() for n in signature.split(",") if n.strip()]
    unknown = [n for n in names if n not in PY_TYPES]
    if unknown:
        raise SystemExit(f"signal_soak: unknown Qt type(s) {unknown} in {signature!r}")
    return names


def soak(signature: str, count: int, thread: str) -> dict:
    from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

    types = parse_signature(signature)
    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])

    class Emitter(QObject):
        fired = Signal(*(PY_TYPES[t] for t in types))

    class Receiver(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            self.mismatches = 0
            self.expected = None

        @Slot()
        def on_fired(self, *args) -> None:
            if self.expected is not None:
                want = self.expected(self.count)
                if tuple(args) != want:
                    self.mismatches += 1
            self.count += 1

    marker = Marker()
    cycles = [values_for(t, marker) for t in types]

    def args_at(i: int) -> tuple:
        return tuple(c[i % len(c)] for c in cycles)

    emitter, receiver = Emitter(), Receiver()
    receiver.expected = args_at
    emitter.fired.connect(receiver.on_fired)  # queued across threads, direct on one
    watched = {"True": True, "False": False, "None": None, "marker": marker}
    before = {k: sys.getrefcount(v) for k, v in watched.items()}
    started = time.perf_counter()
    error: list[BaseException] = []

    def emit_all() -> None:
        try:
            for i in range(count):
                emitter.fired.emit(*args_at(i))
        except BaseException as exc:  # reported in the JSON line, not lost on the thread
            error.append(exc)

    if thread == "gui":
        emit_all()
    else:
        worker = threading.Thread(target=emit_all, name="soak-emitter")
        worker.start()
        deadline = time.monotonic() + 600
        while (worker.is_alive() or receiver.count < count) and time.monotonic() < deadline:
            if not worker.is_alive() and error:
                break
            # run the event loop in slices so queued deliveries happen as they would in the app
            QTimer.singleShot(20, app.quit)
            app.exec()
        worker.join()
    elapsed = time.perf_counter() - started
    emitter.fired.disconnect(receiver.on_fired)
    after = {k: sys.getrefcount(v) for k, v in watched.items()}
    return {
        "signature": signature,
        "thread": thread,
        "emitted": count,
        "received": receiver.count,
        "mismatches": receiver.mismatches,
        "refcount_drift": {k: after[k] - before[k] for k in watched},
        "error": repr(error[0]) if error else "",
        "seconds": round(elapsed, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("signature", help="Qt parameter types, e.g. 'bool' or 'QString,PyObject'")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--thread", choices=("gui", "worker"), default="gui")
    args = parser.parse_args(argv)
    print(json.dumps(soak(args.signature, args.count, args.thread)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
