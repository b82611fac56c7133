#!/usr/bin/env bash
# Installs dist/reeleditor_*.deb with apt, starts the installed app under Xvfb, waits for
# its main window, saves a screenshot (default build/deb-window.png) and closes it.
# Exits non-zero when the install, the start or the window fails. Run as root (or sudo).
#   packaging/deb-smoke.sh [SCREENSHOT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
shot=${1:-build/deb-window.png}
python=${PYTHON:-.venv/bin/python}  # Pillow takes the screenshot (ImageGrab over XCB)

if [ "${DEB_SMOKE_INSIDE:-}" != 1 ]; then
  deb=$(ls dist/reeleditor_*.deb | tail -1)
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root=sudo
  # apt, not dpkg -i: apt resolves the Depends the way a creator's click does
  # --reinstall: the same version built again must replace what an earlier run installed
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install --reinstall -y -qq --no-install-recommends \
    "./$deb" >/dev/null
  dpkg -s reeleditor | grep -E '^(Version|Depends):' >&2
  test "$(readlink -f /usr/bin/reeleditor)" = /opt/reeleditor/reeleditor
  cmp dist/reeleditor/reeleditor /opt/reeleditor/reeleditor  # the build just made, not an older one
  test -f /usr/share/applications/reeleditor.desktop
  test -f /usr/share/icons/hicolor/256x256/apps/reeleditor.png
  /usr/bin/reeleditor --version
  mkdir -p "$(dirname "$shot")"
  DEB_SMOKE_INSIDE=1 exec xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" "$0" "$shot"
fi

# under Xvfb (DISPLAY is set): the installed app, from PATH, with a fresh home
home=$(mktemp -d)
trap 'kill "$app" 2>/dev/null || true; rm -rf "$home"' EXIT
# xcb, as on a creator's X11 desktop: CI exports QT_QPA_PLATFORM=offscreen for the tests,
# and inherited here it drew the window nowhere (the screenshot check caught it)
QT_QPA_PLATFORM=xcb REELEDITOR_HOME=$home reeleditor >"$home/out.txt" 2>&1 &
app=$!
for _ in $(seq 1 120); do
  grep -q "main window shown" "$home/logs/reeleditor.log" 2>/dev/null && break
  if ! kill -0 "$app" 2>/dev/null; then
    echo "deb-smoke.sh: the installed app exited before its window showed:" >&2
    cat "$home/out.txt" >&2
    exit 1
  fi
  sleep 0.25
done
grep "main window shown" "$home/logs/reeleditor.log" >&2 || {
  echo "deb-smoke.sh: no main window within 30 s" >&2; cat "$home/out.txt" >&2; exit 1; }
sleep 2  # the preview's first frames and the looks strip fill in
kill -0 "$app"  # still running: it did not crash after showing
# the screenshot is a check too: a blank screen (it came out all black once in CI, the
# window logged as shown) is grabbed again for up to 15 s, and fails the smoke test if it
# stays blank; the window has thousands of colours, a blank screen one
"$python" - "$shot" <<'GRAB'
import sys, time
from PIL import ImageGrab
for attempt in range(30):
    image = ImageGrab.grab(xdisplay=None)
    colours = image.getcolors(maxcolors=1 << 16)
    if colours is None or len(colours) >= 100:
        break
    time.sleep(0.5)
image.save(sys.argv[1])
if colours is not None and len(colours) < 100:
    sys.exit(f"deb-smoke.sh: the screen stayed blank ({len(colours)} colours): {sys.argv[1]}")
GRAB
echo "deb-smoke.sh: the installed app showed its window; screenshot $shot" >&2
kill -TERM "$app"
wait "$app" || true
