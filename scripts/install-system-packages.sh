#!/bin/sh
# Installs the Debian/Ubuntu packages reeleditor needs (as root, or through sudo).
#   scripts/install-system-packages.sh          what the app loads (Qt's libraries, PortAudio)
#   scripts/install-system-packages.sh --test   plus what the tests use: ffmpeg (benchmark
#       baseline), PulseAudio with its ALSA plugin (a null-sink microphone), Node.js + npm
#       (the official tus server), when they are not there already; Chromium (the web
#       player's tests drive Debian's build through Playwright); and the scale-out
#       cloud's engines that deploy/local-cluster.sh and tests/cloud start on loopback:
#       PostgreSQL, Redis, nginx (moto, the S3 server, comes from the lock's test extra);
#       espeak-ng, which speaks the captions tests' scripts (they fail without it in CI);
#       and the installer's build tools: a C++ compiler, CMake and NASM (packaging/build_wheels.py),
#       icu-devtools and binutils (packaging/slim_icu.py)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
pkgs=$(grep -v '^#' "$here/packaging/apt-packages.txt" | tr '\n' ' ')
pkgs="$pkgs python3-venv"
if [ "${1:-}" = "--test" ]; then
  pkgs="$pkgs ffmpeg pulseaudio pulseaudio-utils libasound2-plugins"
  pkgs="$pkgs postgresql redis-server nginx curl"
  pkgs="$pkgs chromium"
  pkgs="$pkgs espeak-ng"
  pkgs="$pkgs g++ cmake nasm icu-devtools binutils"
  # A Node.js from elsewhere (nodesource) carries its own npm; Debian's npm would clash.
  command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
fi
as_root=""
[ "$(id -u)" -eq 0 ] || as_root="sudo"
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $as_root apt-get update -qq && $as_root apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt); retrying" >&2
  sleep 5
done
exit 1
