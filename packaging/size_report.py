"""The one-folder bundle's size by part (packaging/build.sh writes it to build/size.txt).

    python packaging/size_report.py [dist/reeleditor]

Sizes are of regular files (links count nothing), in MiB, grouped by the wheel or folder
they came from; the ten largest files follow.
"""

from __future__ import annotations

import sys
from pathlib import Path

GROUPS = [  # (part, top-level names under _internal that belong to it)
    ("OpenCV", ("cv2", "opencv_python_headless.libs")),
    ("PySide6 (Qt)", ("PySide6", "shiboken6")),
    ("PyAV (FFmpeg)", ("av", "av.libs")),
    ("numpy", ("numpy", "numpy.libs")),
    ("pocketsphinx (speech model)", ("pocketsphinx",)),
    ("Pillow", ("PIL", "pillow.libs")),
    ("resources (fonts, music, icons)", ("resources",)),
    ("Python", ("python3.11", "python3.12", "python3.13", "base_library.zip")),
]


def part_of(rel: Path) -> str:
    top = rel.parts[0]
    if top.startswith("reeleditor"):  # the executable: launcher + all Python code (PYZ)
        return "the executable (launcher and Python code)"
    for part, names in GROUPS:
        if top in names or (part == "Python" and top.startswith("libpython")):
            return part
    if len(rel.parts) == 1 and ".so" in top:
        return "system libraries (from the build machine)"
    return "other Python packages (aiohttp, requests, ...)"


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/reeleditor")
    inside = root / "_internal"
    totals: dict[str, int] = {}
    files = []
    for path in root.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        rel = path.relative_to(inside) if inside in path.parents else Path(path.name)
        totals[part_of(rel)] = totals.get(part_of(rel), 0) + size
        files.append((size, rel))
    mib = 1024 * 1024
    print(f"total: {sum(totals.values()) / mib:.0f} MiB in {len(files)} files")
    for part, size in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{size / mib:7.1f}  {part}")
    print("largest files:")
    for size, rel in sorted(files, reverse=True)[:10]:
        print(f"{size / mib:7.1f}  {rel}")


if __name__ == "__main__":
    main()
