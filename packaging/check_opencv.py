"""Checks that the OpenCV an installer carries has every cv2 name the app's code uses, and V4L2.

The installer's OpenCV is built with only the modules the app uses (packaging/build-opencv.sh),
so a `cv2.something` added to the app from a module left out would fail only when a user's
click reached it. This reads every `cv2.<name>` (and `cv2.<module>.<name>`) in reeleditor/
and asks the OpenCV of the interpreter running it for each; exit 1 lists the missing ones.

    build/venv/bin/python packaging/check_opencv.py     # prints a one-line summary on stderr
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def used_names(package: Path) -> set[tuple[str, ...]]:
    """Every attribute chain off `cv2` in the package's code: ('resize',), ('utils', 'x')."""
    found: set[tuple[str, ...]] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            chain: list[str] = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id == "cv2" and chain:
                found.add(tuple(reversed(chain)))
    return found


def missing_names(cv2, chains: set[tuple[str, ...]]) -> list[str]:
    """The chains the given cv2 module cannot resolve (only as deep as modules go)."""
    missing = []
    for chain in sorted(chains):
        obj = cv2
        for depth, name in enumerate(chain):
            if depth and not isinstance(obj, type(cv2)):
                break  # a method of a class or value: the class's presence is enough
            if not hasattr(obj, name):
                missing.append("cv2." + ".".join(chain[: depth + 1]))
                break
            obj = getattr(obj, name)
    return sorted(set(missing))


def main() -> int:
    import cv2

    chains = used_names(ROOT / "reeleditor")
    missing = missing_names(cv2, chains)
    registry = cv2.videoio_registry
    backends = {
        registry.getBackendName(b) for b in registry.getCameraBackends() if registry.hasBackend(b)
    }
    if sys.platform.startswith("linux") and not registry.hasBackend(cv2.CAP_V4L2):
        missing.append("the V4L2 camera back-end")
    if missing:
        print(
            f"check_opencv: OpenCV {cv2.__version__} lacks what the app uses: {', '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    print(
        f"check_opencv: OpenCV {cv2.__version__} has all {len(chains)} cv2 names the app "
        f"uses; cameras through {', '.join(sorted(backends))}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
