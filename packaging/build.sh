#!/usr/bin/env bash
# Builds the one-folder app (dist/reeleditor/) from packaging/reeleditor.spec, then runs the
# frozen `reeleditor --self-test`; exits non-zero when either fails.
#   packaging/build.sh            build + self-test (what CI runs)
#   PYTHON=path/to/python         build from that interpreter's packages instead (it needs
#                                 PyInstaller: requirements/packaging.lock)
# By default the packages come from build/venv, made here: requirements/packaging.lock (the
# app's pins plus PyInstaller), with OpenCV and numpy swapped for the installer's own builds
# of the same releases (packaging/build_wheels.py: OpenCV with only the modules the app
# uses, numpy without OpenBLAS; about 15 minutes on 2 cores the first time, then cached),
# so the developer's .venv keeps PyPI's. packaging/check_opencv.py then checks the app's
# every cv2 name against that OpenCV.
# Writes build/selftest.json (the self-test's report) and build/size.txt (the breakdown).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-}
if [ -z "$python" ]; then
  venv=build/venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  python=$venv/bin/python
  "$python" -m pip install -q --upgrade pip
  "$python" -m pip install -q --require-hashes -r requirements/packaging.lock
  if [ "$(uname -s)" = Linux ]; then  # the recipes are written for Linux (V4L2) so far
    wheels=$("$python" packaging/build_wheels.py --python "$python")
    # shellcheck disable=SC2086  # one path per line, none with spaces (the cache's folders)
    "$python" -m pip install -q --no-deps --force-reinstall $wheels
  fi
  "$python" -m pip install -q --no-deps .
fi
"$python" packaging/check_opencv.py
started=$(date +%s)
"$python" -m PyInstaller packaging/reeleditor.spec --noconfirm --clean \
  --distpath dist --workpath build/pyinstaller --log-level WARN
built=$(date +%s)
echo "build.sh: built dist/reeleditor in $((built - started)) s" >&2

mkdir -p build
"$python" packaging/size_report.py dist/reeleditor >build/size.txt
cat build/size.txt >&2

dist/reeleditor/reeleditor --version
# a fresh home per run: the self-test makes its own temporary one
QT_QPA_PLATFORM=offscreen dist/reeleditor/reeleditor --self-test >build/selftest.json
echo "build.sh: frozen self-test passed in $(($(date +%s) - built)) s" >&2
