#!/bin/sh
# Install the tus Node peer (pinned in package.json / package-lock.json) into a cache folder.
# Usage: tests/upload/tus_peer/install.sh [DEST]
#   (default: ~/.cache/reeleditor-tests/tus-peer-<first 12 hex of the lock file's sha256>,
#   where the tests look: upload_support.peer_home)
# The tests call the same logic on demand; CI calls this once before pytest.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pins=$(sha256sum "$here/package-lock.json" | cut -c1-12)
dest=${1:-${REELEDITOR_TUS_PEER:-${XDG_CACHE_HOME:-$HOME/.cache}/reeleditor-tests/tus-peer-$pins}}
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$here/server.mjs" "$here/upload.mjs" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --loglevel=error
echo "tus peer installed in $dest"
