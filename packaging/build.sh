#!/usr/bin/env bash
# Builds the one-folder app (dist/reeleditor/) from packaging/reeleditor.spec, then runs the
# frozen `reeleditor --self-test`; exits non-zero when either fails.
#   packaging/build.sh            build + self-test (what CI runs)
#   PYTHON=path/to/python         the interpreter whose packages go in (default .venv/bin/python;
#                                 it needs PyInstaller: requirements/packaging.lock)
# Writes build/selftest.json (the self-test's report) and build/size.txt (the breakdown).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
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
