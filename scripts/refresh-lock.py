#!/usr/bin/env python3
"""Refreshes requirements/*.lock and accepts the new versions only when the soak tests pass.

    python3 scripts/refresh-lock.py                  newest versions pyproject allows
    python3 scripts/refresh-lock.py --package numpy  move one package only
    python3 scripts/refresh-lock.py --try 'PySide6-Essentials==6.12.0' \
                                    --try 'PySide6-Addons==6.12.0'
        a version past pyproject's cap: soaked, never written to the lock (raise the cap in
        pyproject.toml first if it passes, then run again)

Why uv (`uv pip compile --universal --generate-hashes`): one resolution that holds on Linux,
macOS and Windows and on every Python the project supports, written as a plain
requirements file with hashes that stock pip installs (`pip install --require-hashes`), so
neither a user nor CI needs uv to install. pip-tools resolves for the running interpreter
and platform only. uv itself comes from PyPI into a cache folder.

Steps: compile candidate locks into a temp folder; if they differ from the committed ones,
install the candidate test lock into a fresh venv, run the soak tests there (and the whole
suite with --full); copy the candidates over the committed locks only when that passes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCKS = {
    "app.lock": [],
    "test.lock": ["--extra", "test"],
    # CI's installer build: the test lock plus PyInstaller, installed over it (same pins)
    "packaging.lock": ["--extra", "test", "--extra", "packaging"],
}
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reeleditor-lock"
_PIN_RE = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)(?:\s*;\s*(.*?))?\s*\\?$")


def say(message: str) -> None:
    print(f"refresh-lock: {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    say("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run(cmd, check=True, **kw)


def uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    tool = CACHE / "uv-venv"
    exe = tool / ("Scripts/uv.exe" if os.name == "nt" else "bin/uv")
    if not exe.exists():
        venv.create(tool, with_pip=True)
        pip = tool / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        run([str(pip), "-m", "pip", "install", "-q", "uv"])
    return str(exe)


def compile_locks(out: Path, upgrade: list[str], overrides: list[str]) -> None:
    override_args: list[str] = []
    if overrides:
        path = out / "overrides.txt"
        path.write_text("\n".join(overrides) + "\n")
        override_args = ["--override", str(path)]
    for name, extra in LOCKS.items():
        current = REPO / "requirements" / name
        target = out / name
        if current.exists():
            shutil.copy(current, target)  # uv keeps what it may keep: a minimal change
        cmd = [
            uv(),
            "pip",
            "compile",
            str(REPO / "pyproject.toml"),
            *extra,
            "--universal",
            "--generate-hashes",
            "--python-version",
            "3.10",
            "--quiet",
            "--custom-compile-command",
            "python3 scripts/refresh-lock.py",
            *override_args,
            "-o",
            str(target),
        ]
        cmd += (
            ["--upgrade"]
            if upgrade == ["*"]
            else [a for p in upgrade for a in ("--upgrade-package", p)]
        )
        run(cmd, cwd=REPO)


def pins(path: Path) -> set[tuple[str, str, str]]:
    if not path.exists():
        return set()
    found = set()
    for line in path.read_text().splitlines():
        m = _PIN_RE.match(line.strip())
        if m:
            found.add((m.group(1).lower(), m.group(2), m.group(3) or ""))
    return found


def changes(old: Path, new: Path) -> list[str]:
    before, after = pins(old), pins(new)
    return [f"- {n}=={v} {m}".rstrip() for n, v, m in sorted(before - after)] + [
        f"+ {n}=={v} {m}".rstrip() for n, v, m in sorted(after - before)
    ]


def soak_python() -> str:
    """An interpreter on which a dropped reference shows: Python 3.10 or 3.11.

    From 3.12 on True, False and None are immortal, so the PySide6 6.12.0 fault neither
    aborts nor drifts a refcount there; a soak on 3.12 would pass a release that kills the
    app on Debian 12's Python 3.11.
    """
    if sys.version_info < (3, 12):
        return sys.executable
    for name in ("python3.11", "python3.10"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        "refresh-lock: the soak needs Python 3.10 or 3.11 (on 3.12+ None/True/False are "
        "immortal and a refcount fault never shows): install python3.11 and run again"
    )


def soak(lock: Path, full: bool) -> bool:
    env_dir = Path(tempfile.mkdtemp(prefix="reel-lock-venv-"))
    try:
        run([soak_python(), "-m", "venv", str(env_dir)])
        py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        run([str(py), "-m", "pip", "install", "-q", "--require-hashes", "-r", str(lock)])
        run([str(py), "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)])
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"}
        # --capture=sys: an abort's "Fatal Python error" (written by C to fd 2) reaches the
        # log instead of dying in pytest's capture file
        tests = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--capture=sys"]
        tests += [] if full else ["-m", "soak"]
        CACHE.mkdir(parents=True, exist_ok=True)
        log = CACHE / "soak.log"
        with open(log, "w") as out:
            result = subprocess.run(
                [str(py), *tests], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        lines = log.read_text(errors="replace").splitlines()
        say(f"tests exited {result.returncode}; the last lines of {log}:")
        for line in lines[-12:]:
            print(f"    {line}", file=sys.stderr)
        return result.returncode == 0
    finally:
        shutil.rmtree(env_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        help="upgrade only this package (repeat); default: every package",
    )
    parser.add_argument(
        "--try",
        dest="tries",
        action="append",
        default=[],
        help="soak this requirement past pyproject's bounds (never locked)",
    )
    parser.add_argument("--full", action="store_true", help="run the whole suite, not -m soak")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say whether the locks match pyproject (exit 1 if not)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reel-lock-") as tmp:
        out = Path(tmp)
        # a --try alone moves nothing else: one variable at a time
        upgrade = [] if args.check or (args.tries and not args.package) else args.package or ["*"]
        compile_locks(out, upgrade, args.tries)
        diff = {name: changes(REPO / "requirements" / name, out / name) for name in LOCKS}
        for name, lines in diff.items():
            for line in lines:
                print(f"{name}: {line}")
        if args.check:
            stale = any(diff.values())
            say("the locks are stale: run scripts/refresh-lock.py" if stale else "locks ok")
            return 1 if stale else 0
        if not any(diff.values()) and not args.tries:
            say("nothing to change: the locks already hold the newest allowed versions")
            return 0
        ok = soak(out / "test.lock", args.full)
        if args.tries:
            say(
                ("PASSED" if ok else "FAILED")
                + f" the soak with {', '.join(args.tries)}"
                + (": raise the bound in pyproject.toml, then run again" if ok else "")
                + "; the committed locks are unchanged"
            )
            return 0 if ok else 1
        if not ok:
            say("the soak failed on the new versions: the committed locks are unchanged")
            return 1
        for name in LOCKS:
            new = (out / name).read_text()
            old_path = REPO / "requirements" / name
            old_path.parent.mkdir(exist_ok=True)
            old_path.write_text(new)
        say("soak passed: requirements/*.lock updated; commit them with the list above")
        return 0


if __name__ == "__main__":
    sys.exit(main())
