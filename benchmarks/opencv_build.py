"""The installer's OpenCV build against PyPI's wheel, on the operations the app runs per frame.

The installer carries its own OpenCV (packaging/build-opencv.sh: four modules, no IPP, whose
tables come from GitHub at configure time). This times the cv2 calls the looks, preview,
export, thumbnails and posters make, at 1080x1920, in two interpreters in the same run,
alternating: the developer's .venv (PyPI's wheel, the baseline) and build/venv (the
installer's build). Ratio = installer / PyPI (below 1 is faster); medians.

    .venv/bin/python benchmarks/opencv_build.py [--rounds 5]
    # writes benchmarks/results/opencv_build.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".venv" / "bin" / "python"
INSTALLER = ROOT / "build" / "venv" / "bin" / "python"
REPEATS = 15  # calls per operation per round; the round's figure is their median


def operations():
    """name -> a zero-argument call, on frames like the app's (1080x1920 BGR, I420)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (1920, 1080, 3), dtype=np.uint8)
    i420 = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
    lut = np.arange(256, dtype=np.uint8)[::-1].copy()
    zoom = cv2.getRotationMatrix2D((540, 960), 3.0, 1.1)
    matrix = np.array([[0.9, 0.1, 0.0], [0.05, 0.9, 0.05], [0.0, 0.1, 0.9]], np.float32)
    small = cv2.resize(frame, (270, 480), interpolation=cv2.INTER_AREA)
    gain = np.full_like(frame, 200)
    return {
        "cvtColor I420->BGR": lambda: cv2.cvtColor(i420, cv2.COLOR_YUV2BGR_I420),
        "cvtColor BGR->I420": lambda: cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420),
        "resize half INTER_AREA": lambda: cv2.resize(
            frame, (540, 960), interpolation=cv2.INTER_AREA
        ),
        "resize up INTER_LINEAR": lambda: cv2.resize(
            small, (1080, 1920), interpolation=cv2.INTER_LINEAR
        ),
        "LUT": lambda: cv2.LUT(frame, lut),
        "transform (colour matrix)": lambda: cv2.transform(frame, matrix),
        "GaussianBlur 31x31 at 1/4": lambda: cv2.GaussianBlur(small, (31, 31), 0),
        "warpAffine (zoom)": lambda: cv2.warpAffine(
            frame, zoom, (1080, 1920), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
        "addWeighted": lambda: cv2.addWeighted(frame, 0.6, gain, 0.4, 0),
        "multiply": lambda: cv2.multiply(frame, gain, scale=1 / 255),
        "imencode JPEG q85": lambda: cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85]),
    }


def worker() -> None:
    """One round in this interpreter: every operation's median seconds, as JSON."""
    import cv2

    ops = operations()
    result = {}
    for name, call in ops.items():
        call()  # warm: allocations, dispatch tables
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        result[name] = statistics.median(times)
    print(json.dumps({"version": cv2.__version__, "ops": result}))


def run(python: Path) -> dict:
    done = subprocess.run(
        [str(python), __file__, "--worker"], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return 0
    if not INSTALLER.exists():
        print(
            "benchmarks/opencv_build.py: build/venv is missing; run packaging/build.sh",
            file=sys.stderr,
        )
        return 1
    rounds: dict[str, list[dict]] = {"baseline": [], "installer": []}
    for index in range(args.rounds):
        order = [("baseline", BASELINE), ("installer", INSTALLER)]
        for label, python in order if index % 2 == 0 else reversed(order):
            rounds[label].append(run(python)["ops"])
        print(f"round {index + 1}/{args.rounds} done", file=sys.stderr)
    table = {}
    for name in rounds["baseline"][0]:
        base = statistics.median(r[name] for r in rounds["baseline"])
        mine = statistics.median(r[name] for r in rounds["installer"])
        table[name] = {
            "pypi_ms": round(base * 1e3, 3),
            "installer_ms": round(mine * 1e3, 3),
            "ratio": round(mine / base, 2),
        }
    ratios = [row["ratio"] for row in table.values()]
    summary = {
        "rounds": args.rounds,
        "repeats": REPEATS,
        "ops": table,
        "geometric_mean_ratio": round(statistics.geometric_mean(ratios), 2),
        "frame_budget_ms": round(sum(r["installer_ms"] for r in table.values()), 1),
    }
    out = ROOT / "benchmarks" / "results" / "opencv_build.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    width = max(map(len, table))
    for name, row in table.items():
        print(
            f"{name:<{width}}  PyPI {row['pypi_ms']:8.2f} ms  installer "
            f"{row['installer_ms']:8.2f} ms  x{row['ratio']:.2f}"
        )
    print(f"geometric mean ratio x{summary['geometric_mean_ratio']:.2f}; written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
