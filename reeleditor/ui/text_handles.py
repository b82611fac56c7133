"""Handles over the preview for the selected text: drag to move, corner to scale, knob to turn.

A transparent child of the CameraView. It draws only a frame and handles (the words
themselves are in the preview's picture, drawn by media/); a drag shows the frame where
the text would go and, when let go, emits one edit (one undo step), which the panel
applies through the session.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QWidget

from reeleditor.core.words import SCALE_RANGE, TextOverlay

HANDLE = 7  # half a handle's side, px
KNOB_GAP = 26  # the rotate knob sits this far above the frame
FRAME = QColor("#ee9b00")


class TextHandles(QWidget):
    """`edited(id, changes)`: a finished drag, as update_text keyword arguments."""

    edited = Signal(str, dict)

    def __init__(self, view, session, frame_size: tuple[int, int]) -> None:
        super().__init__(view)
        self.view, self.session, self.frame_size = view, session, frame_size
        self.text_id = ""
        self.pending: TextOverlay | None = None  # the text as the drag would leave it
        self._grab: tuple[str, QPointF, TextOverlay] | None = None
        self.setAttribute(Qt.WA_NoSystemBackground)
        self.setGeometry(view.rect())
        view.installEventFilter(self)
        session.changed.connect(lambda _d: self._refresh())
        self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Resize:
            self.setGeometry(self.view.rect())
        return False

    def set_text(self, text_id: str) -> None:
        self.text_id = text_id
        self._refresh()

    def text(self) -> TextOverlay | None:
        draft = self.session.draft
        if draft is None or not self.text_id:
            return None
        return next((t for t in draft.texts if t.id == self.text_id), None)

    def _refresh(self) -> None:
        shown = self.text() is not None
        # clicks reach the preview unless a text is being placed
        self.setAttribute(Qt.WA_TransparentForMouseEvents, not shown)
        self.setVisible(shown)
        self.raise_()
        self.update()

    # -- geometry ----------------------------------------------------------------------
    def _geometry(self, text: TextOverlay) -> tuple[QPointF, float, float, float]:
        """(centre, half width, half height, scale to widget px) of the text's frame."""
        from reeleditor.media.words_layer import text_box

        w, h = self.frame_size
        rect = self.view.image_rect(self.frame_size)
        k = rect.width() / w
        base = self._grab[2] if self._grab is not None else text
        bw, bh = text_box(base, w, h)  # the raster the preview drew (cached), not a new one
        bw, bh = bw * text.scale / base.scale, bh * text.scale / base.scale  # mid-drag
        centre = QPointF(rect.x() + text.x * rect.width(), rect.y() + text.y * rect.height())
        return centre, bw * k / 2, bh * k / 2, k

    def _transform(self, text: TextOverlay) -> tuple[QTransform, float, float]:
        centre, hw, hh, _ = self._geometry(text)
        t = QTransform()
        t.translate(centre.x(), centre.y())
        t.rotate(text.rotation)
        return t, hw, hh

    def handle_points(self, text: TextOverlay | None = None) -> dict[str, QPointF]:
        """Widget positions of 'centre', 'scale' (bottom-right corner) and 'rotate'."""
        text = text or self.pending or self.text()
        t, hw, hh = self._transform(text)
        return {
            "centre": t.map(QPointF(0, 0)),
            "scale": t.map(QPointF(hw, hh)),
            "rotate": t.map(QPointF(0, -hh - KNOB_GAP)),
        }

    def _inside(self, text: TextOverlay, pos: QPointF) -> bool:
        t, hw, hh = self._transform(text)
        inv, _ = t.inverted()
        local = inv.map(pos)
        return abs(local.x()) <= hw and abs(local.y()) <= hh

    # -- mouse -------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        text = self.text()
        if text is None or event.button() != Qt.LeftButton:
            event.ignore()
            return
        pos = event.position()
        points = self.handle_points(text)
        for kind in ("scale", "rotate"):
            d = points[kind] - pos
            if abs(d.x()) <= HANDLE + 3 and abs(d.y()) <= HANDLE + 3:
                self._grab = (kind, pos, text)
                return
        if self._inside(text, pos):
            self._grab = ("move", pos, text)
            return
        event.ignore()

    def mouseMoveEvent(self, event) -> None:
        if self._grab is None:
            return
        kind, origin, text = self._grab
        pos = event.position()
        rect = self.view.image_rect(self.frame_size)
        centre = self.handle_points(text)["centre"]
        if kind == "move":
            x = min(1.0, max(0.0, text.x + (pos.x() - origin.x()) / rect.width()))
            y = min(1.0, max(0.0, text.y + (pos.y() - origin.y()) / rect.height()))
            changed = {"x": round(x, 4), "y": round(y, 4)}
        elif kind == "scale":
            before = math.dist((origin.x(), origin.y()), (centre.x(), centre.y()))
            now = math.dist((pos.x(), pos.y()), (centre.x(), centre.y()))
            scale = text.scale * now / max(1.0, before)
            changed = {"scale": round(min(SCALE_RANGE[1], max(SCALE_RANGE[0], scale)), 3)}
        else:
            # the knob points up at rotation 0: the angle from "up", clockwise
            angle = math.degrees(math.atan2(pos.x() - centre.x(), centre.y() - pos.y()))
            changed = {"rotation": round(max(-180.0, min(180.0, angle)), 1)}
        from dataclasses import replace

        self.pending = replace(text, **changed)
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        grab, pending = self._grab, self.pending
        self._grab = self.pending = None
        self.update()
        if grab is None or pending is None:
            return
        text = grab[2]
        changes = {
            key: getattr(pending, key)
            for key in ("x", "y", "scale", "rotation")
            if getattr(pending, key) != getattr(text, key)
        }
        if changes:
            self.edited.emit(text.id, changes)

    # -- painting ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        text = self.pending or self.text()
        if text is None:
            return
        t, hw, hh = self._transform(text)
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setTransform(t)
        p.setPen(QPen(FRAME, 1.5, Qt.DashLine))
        p.drawRect(QRectF(-hw, -hh, 2 * hw, 2 * hh))
        p.setPen(QPen(FRAME, 1.5))
        p.drawLine(QPointF(0, -hh), QPointF(0, -hh - KNOB_GAP))
        p.setBrush(FRAME)
        p.drawEllipse(QPointF(0, -hh - KNOB_GAP), HANDLE, HANDLE)
        p.drawRect(QRectF(hw - HANDLE, hh - HANDLE, 2 * HANDLE, 2 * HANDLE))
        p.end()
