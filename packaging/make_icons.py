"""Render the app icon (resources/icons/flowstudio.svg) to the PNG sizes, .ico and .icns the packages use.

    .venv/bin/python packaging/make_icons.py

Writes ``resources/icons/flowstudio-SIZE.png`` (16 to 512: the freedesktop hicolor sizes, also the
window icon), ``flowstudio.ico`` (Windows) and ``flowstudio.icns`` (macOS).  Qt's SVG renderer draws
the PNGs, Pillow packs the .ico and .icns.  Run it again after editing the SVG and commit the results.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int, out: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(out)):
        raise OSError(f"could not write {out}")


def main() -> int:
    QGuiApplication(sys.argv[:1])
    svg = ICONS / "flowstudio.svg"
    pngs = {size: ICONS / f"flowstudio-{size}.png" for size in SIZES}
    for size, path in pngs.items():
        render(svg, size, path)
    largest = Image.open(pngs[max(SIZES)])
    largest.save(ICONS / "flowstudio.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    largest.save(ICONS / "flowstudio.icns")
    for path in sorted(ICONS.iterdir()):
        print(f"wrote {path.relative_to(ICONS.parents[1])} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
