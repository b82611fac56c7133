#!/usr/bin/env bash
# Packs dist/reeleditor/ (made by packaging/build.sh) into dist/reeleditor_<version>_<arch>.deb
# with dpkg-deb: the app in /opt/reeleditor, `reeleditor` on PATH, a menu entry and icons.
# Depends: the Debian packages the frozen Qt and media stack load from the system
# (packaging/apt-packages.txt, less the build/test-only xvfb), plus libfribidi0 (Pillow's
# raqm loads it at run time for right-to-left text).
set -euo pipefail
cd "$(dirname "$0")/.."
app=dist/reeleditor
[ -x "$app/reeleditor" ] || { echo "build-deb.sh: run packaging/build.sh first" >&2; exit 1; }
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' reeleditor/__init__.py)
arch=$(dpkg --print-architecture)
root=build/deb/reeleditor_${version}_${arch}
rm -rf "$root"
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/usr/share/applications"
cp -a "$app" "$root/opt/reeleditor"
ln -s /opt/reeleditor/reeleditor "$root/usr/bin/reeleditor"
install -m 644 packaging/linux/reeleditor.desktop "$root/usr/share/applications/"
for size in 16 24 32 48 64 128 256 512; do
  dir=$root/usr/share/icons/hicolor/${size}x${size}/apps
  mkdir -p "$dir"
  install -m 644 "packaging/icons/reeleditor-$size.png" "$dir/reeleditor.png"
done
mkdir -p "$root/usr/share/icons/hicolor/scalable/apps"
install -m 644 packaging/icons/reeleditor.svg "$root/usr/share/icons/hicolor/scalable/apps/"

depends=$( (grep -v -e '^#' -e '^xvfb$' packaging/apt-packages.txt; echo libfribidi0) \
  | sort -u | paste -sd, | sed 's/,/, /g')
cat >"$root/DEBIAN/control" <<CONTROL
Package: reeleditor
Version: $version
Architecture: $arch
Maintainer: reeleditor maintainers <reeleditor@localhost>
Section: video
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Depends: $depends
Description: record, edit and publish short vertical videos
 Reel Editor records reels from a webcam with live looks and music, keeps
 drafts that survive crashes, exports MP4 and publishes with resumable
 uploads to a bundled reference cloud.
CONTROL
# menus and icon caches refresh by dpkg triggers (desktop-file-utils, hicolor-icon-theme)
mkdir -p dist
dpkg-deb --root-owner-group --build "$root" "dist/reeleditor_${version}_${arch}.deb" >&2
echo "dist/reeleditor_${version}_${arch}.deb"
