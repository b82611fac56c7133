"""Builds the installer's own OpenCV and numpy from their pinned sources, smaller than PyPI's.

Why: PyPI's wheels are built for everyone. OpenCV's is 151 MB in the bundle: every module, an
FFmpeg and OpenBLAS. The app uses core, imgproc, imgcodecs (JPEG, PNG, WebP) and videoio
for cameras (V4L2); PyAV does all file and stream I/O. numpy's carries OpenBLAS (27 MB
with gfortran), but the app does no linear algebra large enough to need it: mixing and
beats are element-wise and FFTs. The same releases, built from source with those parts
off, take about 11 MB and 13 MB. packaging/check_opencv.py checks every cv2 name the app
uses against the result, and benchmarks/opencv_build.py times the app's per-frame calls.

Each source is the one requirements/packaging.lock pins, and pip refuses it unless its
hash is in the lock. Wheels are cached by everything that shapes them (the lock's block,
the options, the interpreter), so a rebuild with nothing changed takes a second.

    python packaging/build_wheels.py [--python build/venv/bin/python]   # wheel paths on stdout
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "packaging.lock"
CACHE = Path(
    os.environ.get("REELEDITOR_BUILD_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "reeleditor-build"
)


def _opencv_setup_patch(source: Path) -> None:
    """Upstream's typing-stub generator refines functions of modules this build leaves out
    (Feature2D, solvePnP...), so it gives up and writes no stubs, and setup.py then stops on
    the missing py.typed and cv2/typing/. Stubs are for editors, not for running (cv2's
    __init__ does not import them): setup.py is told they are optional, as gapi already is."""
    setup = source / "setup.py"
    text = setup.read_text()
    optional = 'if not found and "gapi" not in relpath_re:'
    patched = text.replace(
        optional,
        "if not found and not any(optional in relpath_re for "
        'optional in ("gapi", "typing", "py.typed")):',
    )
    if patched == text:
        raise SystemExit(f"build_wheels: {setup} changed upstream; review the stubs patch")
    setup.write_text(patched)


@dataclass(frozen=True)
class Recipe:
    env: dict[str, str] = field(default_factory=dict)
    config: tuple[str, ...] = ()  # pip --config-settings (meson's setup-args for numpy)
    patch: Callable[[Path], None] | None = None
    what: str = ""
    tools: tuple[str, ...] = ()  # programs the build needs beyond a compiler: checked first


OPENCV_CMAKE = (
    "-DPYTHON3_LIMITED_API=ON",  # setup.py looks for the abi3 module when CMAKE_ARGS says so
    "-DBUILD_LIST=core,imgproc,imgcodecs,videoio,python3",
    "-DWITH_V4L=ON -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_1394=OFF",
    "-DWITH_JPEG=ON -DBUILD_JPEG=ON -DWITH_PNG=ON -DBUILD_PNG=ON -DWITH_WEBP=ON -DBUILD_WEBP=ON",
    "-DBUILD_ZLIB=ON -DWITH_TIFF=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_AVIF=OFF",
    "-DWITH_OPENEXR=OFF -DBUILD_OPENEXR=OFF",
    # IPP's tables are downloaded from GitHub at configure time, which a registry-only
    # build machine cannot reach: OpenCV's own SIMD code stands in (see the benchmark)
    "-DWITH_LAPACK=OFF -DWITH_OPENCL=OFF -DWITH_PROTOBUF=OFF -DWITH_ITT=OFF -DWITH_IPP=OFF",
    "-DENABLE_PRECOMPILED_HEADERS=OFF",
)

RECIPES = {
    "opencv-python-headless": Recipe(
        env={"ENABLE_HEADLESS": "1", "CMAKE_ARGS": " ".join(OPENCV_CMAKE)},
        patch=_opencv_setup_patch,
        what="core, imgproc, imgcodecs, videoio",
        # libjpeg-turbo's SIMD is assembled with NASM; without it OpenCV quietly builds the
        # C paths and JPEG encoding is 4x slower (benchmarks/opencv_build.py showed it)
        tools=("cmake", "nasm"),
    ),
    "numpy": Recipe(
        config=(
            "setup-args=-Dblas=none",
            "setup-args=-Dlapack=none",
            "setup-args=-Dallow-noblas=true",
        ),
        what="without BLAS/LAPACK libraries (numpy's own loops, lapack_lite)",
    ),
}


def lock_blocks(name: str, lock: Path = LOCK) -> str:
    """Every block of the lock for `name` (one per Python-version marker), hashes included;
    pip picks the block whose marker matches the interpreter."""
    blocks, current = [], None
    for line in lock.read_text().splitlines():
        if re.match(r"^[A-Za-z0-9]", line):
            current = [] if re.match(rf"^{re.escape(name)}==", line) else None
            if current is not None:
                blocks.append(current)
        if current is not None and not line.lstrip().startswith("#"):
            current.append(line)
    if not blocks:
        raise SystemExit(f"build_wheels: {name} is not in {lock}")
    return "\n".join("\n".join(block) for block in blocks) + "\n"


def cache_key(name: str, python: str) -> str:
    recipe = RECIPES[name]
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
    ).stdout
    patch = inspect.getsource(recipe.patch) if recipe.patch else ""
    shaping = [
        lock_blocks(name),
        repr(sorted(recipe.env.items())),
        repr(recipe.config),
        repr(recipe.tools),
        version,
        patch,
    ]
    return hashlib.sha256("\0".join(shaping).encode()).hexdigest()[:16]


def build(name: str, python: str) -> Path:
    """The wheel for `name`: from the cache, or downloaded, hash-checked and built."""
    recipe = RECIPES[name]
    cached = CACHE / f"{name}-{cache_key(name, python)}"
    found = sorted(cached.glob("*.whl"))
    if found:
        print(f"build_wheels: {name} from the cache ({cached})", file=sys.stderr)
        return found[0]
    missing = [tool for tool in recipe.tools if shutil.which(tool) is None]
    if missing:
        raise SystemExit(
            f"build_wheels: building {name} needs {', '.join(missing)}; install them "
            "(scripts/install-system-packages.sh --test does)"
        )
    with tempfile.TemporaryDirectory(prefix=f"build-{name}-") as tmp:
        work = Path(tmp)
        requirement = work / "req.txt"
        requirement.write_text(lock_blocks(name))
        from_lock = ["--no-deps", "--no-binary", name, "--require-hashes", "-r", str(requirement)]
        if recipe.patch is None:
            # straight from the lock: pip downloads, checks the hash and builds once (a
            # separate download would build numpy just to read its metadata: meson-python
            # has no metadata-only hook)
            what = name
            target = from_lock
        else:
            download = [python, "-m", "pip", "download", "-q", *from_lock, "-d", str(work / "src")]
            subprocess.run(download, check=True)
            (archive,) = (work / "src").glob("*.tar.gz")
            with tarfile.open(archive) as tar:
                tar.extractall(work / "src", filter="data")
            source = next(p for p in (work / "src").iterdir() if p.is_dir())
            recipe.patch(source)
            what = source.name
            target = ["--no-deps", str(source)]
        print(f"build_wheels: building {what} ({recipe.what}) ...", file=sys.stderr)
        started = time.monotonic()
        config = [f"--config-settings={c}" for c in recipe.config]
        command = [python, "-m", "pip", "wheel", "-w", str(work / "wheel"), *config, *target]
        env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=str(os.cpu_count() or 2), **recipe.env)
        log = work / "build.log"
        with log.open("w") as out:
            done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            sys.stderr.write("\n".join(log.read_text().splitlines()[-40:]) + "\n")
            raise SystemExit(f"build_wheels: building {name} failed")
        (wheel,) = (work / "wheel").glob("*.whl")
        cached.mkdir(parents=True, exist_ok=True)
        shutil.copy2(wheel, cached / wheel.name)
        print(f"build_wheels: {name} built in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return cached / wheel.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        default=str(ROOT / ".venv" / "bin" / "python"),
        help="the interpreter the wheels are for (default .venv's)",
    )
    parser.add_argument("names", nargs="*", default=list(RECIPES), help="default: all")
    args = parser.parse_args(argv)
    for name in args.names:
        print(build(name, args.python))
    return 0


if __name__ == "__main__":
    sys.exit(main())
