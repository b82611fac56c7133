#!/bin/sh
# Install the tus Node peer (pinned in package.json / package-lock.json) into a cache folder.
# Usage: tests/upload/tus_peer/install.sh [DEST]   (default: ~/.cache/reeleditor-tests/tus-peer)
# The tests call the same logic on demand; CI calls this once before pytest.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-${REELEDITOR_TUS_PEER:-${XDG_CACHE_HOME:-$HOME/.cache}/reeleditor-tests/tus-peer}}
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$here/server.mjs" "$here/upload.mjs" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --loglevel=error
echo "tus peer installed in $dest"
