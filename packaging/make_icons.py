"""Renders packaging/icons/reeleditor.svg to the PNG sizes, .ico and .icns the installers use.

Run after changing the SVG: .venv/bin/python packaging/make_icons.py (QtSvg draws, Pillow
writes .ico and .icns, so any platform can make every platform's icon).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HERE = Path(__file__).resolve().parent / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the hicolor theme's usual sizes


def render(size: int) -> Image.Image:
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication([])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(HERE / "reeleditor.svg")).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data())))


def main() -> None:
    images = {size: render(size) for size in SIZES}
    for size, image in images.items():
        image.save(HERE / f"reeleditor-{size}.png", optimize=True)
    images[256].save(HERE / "reeleditor.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[512].save(HERE / "reeleditor.icns")


if __name__ == "__main__":
    main()
