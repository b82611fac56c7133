"""The timeline widget: ruler, video lane with filmstrips, music lane (and voice-overs),
text lane (texts over a strip of caption cues), playhead.

It paints a draft at a zoom (pixels per second) and turns the mouse into intentions
(scrub here, trim this edge to there, move this segment, open this transition); it
edits nothing itself. The rules behind them (snapping, what a trim means at 2x, what is
refused) are core/timeline_geometry's; the TimelinePanel applies the edits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from reeleditor.core.draft import Draft
from reeleditor.core.timeline_geometry import SNAP_PIXELS, Span, snap, snap_targets, spans

LEFT = 10  # px before reel time 0
RULER_H, VIDEO_H, MUSIC_H, TEXT_H, GAP = 18, 56, 34, 30, 3
CAPTION_H = 8  # the strip of caption cues along the text lane's bottom
VOICE_H = 12  # the strip of voice-overs along the music lane's bottom
VIDEO_Y = RULER_H + GAP
MUSIC_Y = VIDEO_Y + VIDEO_H + GAP
TEXT_Y = MUSIC_Y + MUSIC_H + GAP
HEIGHT = TEXT_Y + TEXT_H + 2
EDGE_PX = 6  # a press this close to a block's end grabs its trim handle
MARKER_PX = 7  # half the width of a transition marker's hit box
MARKER_H = 16  # the top of the video lane where the markers sit
DRAG_PX = 6  # a block moves only once the mouse has gone this far
ZOOM_RANGE = (8.0, 800.0)  # pixels per second
THUMB_SLOT = 32  # px of block per filmstrip thumbnail (a 9:16 picture in the lane)
KEYS = {
    Qt.Key_Space: "play",
    Qt.Key_J: "j",
    Qt.Key_K: "k",
    Qt.Key_L: "l",
    Qt.Key_S: "split",
    Qt.Key_Plus: "zoom_in",
    Qt.Key_Equal: "zoom_in",
    Qt.Key_Minus: "zoom_out",
}
LANE = QColor("#1f2228")
BLOCK = QColor("#3d5a80")
SELECTED = QColor("#ee9b00")
PLAYHEAD = QColor("#e63946")
SNAPPED = QColor("#80ed99")
TEXT_BAR = QColor("#7b2cbf")
CAPTION_BAR = QColor("#2a9d8f")  # not a text: shown, not edited here (the Captions panel)
VOICE_BAR = QColor("#e76f51")


def image_from_bgr(bgr: np.ndarray) -> QImage:
    """A QImage that owns a copy of a BGR uint8 array."""
    h, w = bgr.shape[:2]
    bgr = np.ascontiguousarray(bgr)
    return QImage(bgr.data, w, h, bgr.strides[0], QImage.Format_BGR888).copy()


@dataclass
class _Drag:
    kind: str  # "scrub", "trim", "block", "move"
    index: int = -1
    edge: str = ""
    x0: float = 0.0
    t: float = 0.0  # where it would land now (snapped for a trim)
    snapped: bool = False
    text_id: str = ""  # a text bar's drag: which text, and its times when grabbed
    start: float = 0.0
    end: float = 0.0


def _plain_key(event) -> bool:
    """One of the timeline's keys, without Ctrl or Alt (Ctrl+Z and friends stay the window's)."""
    return event.key() in KEYS and not event.modifiers() & (Qt.ControlModifier | Qt.AltModifier)


class TimelineWidget(QWidget):
    """Signals carry reel seconds: `scrubbed(t)` the playhead moved by the user;
    `trim_dropped(index, edge, t)` a trim handle let go at t ('in' or 'out');
    `move_dropped(index, t)` a segment block let go at t; `boundary_clicked(b)` the marker
    after segment b; `selected(index)`; `key_action(name)` Space/J/K/L/S/+/-;
    `zoom_changed(pps)`; `text_selected(id)` a text bar clicked ('' for none);
    `text_dropped(id, start, end)` a text bar moved or one of its ends dragged."""

    scrubbed = Signal(float)
    trim_dropped = Signal(int, str, float)
    move_dropped = Signal(int, float)
    boundary_clicked = Signal(int)
    selected = Signal(int)
    key_action = Signal(str)
    zoom_changed = Signal(float)
    text_selected = Signal(str)
    text_dropped = Signal(str, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        self.draft: Draft | None = None
        self.spans: list[Span] = []
        self.overlaps: list[int] = []
        self.pps = 60.0
        self.playhead = 0.0
        self.beats: list[float] = []
        self.peaks: np.ndarray | None = None
        self.song_seconds = 0.0
        self.thumbs: dict[str, list[QImage]] = {}
        self.selection = -1
        self.text_selection = ""
        self.drag: _Drag | None = None
        self._exposed = self.rect()
        self._resize()

    # -- state ------------------------------------------------------------------------------
    def set_draft(self, draft: Draft | None) -> None:
        self.draft = draft
        self.spans = spans(draft) if draft else []
        self.overlaps = draft.overlaps() if draft else []
        count = len(self.spans)
        self.selection = min(self.selection, count - 1) if count else -1
        self.playhead = min(self.playhead, self.duration)
        self._resize()
        self.update()

    @property
    def duration(self) -> float:
        return self.draft.duration if self.draft else 0.0

    def set_playhead(self, seconds: float) -> None:
        self.playhead = max(0.0, min(seconds, self.duration))
        self.update()

    def set_zoom(self, pps: float) -> None:
        pps = max(ZOOM_RANGE[0], min(pps, ZOOM_RANGE[1]))
        if pps != self.pps:
            self.pps = pps
            self._resize()
            self.update()
            self.zoom_changed.emit(pps)

    def set_music(self, peaks: np.ndarray | None, song_seconds: float, beats: list[float]):
        self.peaks, self.song_seconds, self.beats = peaks, song_seconds, beats
        self.update()

    def select(self, index: int) -> None:
        self.selection = index
        self.update()

    def _resize(self) -> None:
        self.setFixedSize(int(2 * LEFT + max(self.duration, 1.0) * self.pps) + 1, HEIGHT)

    def sizeHint(self) -> QSize:
        return QSize(self.width(), HEIGHT)

    # -- coordinates ----------------------------------------------------------------------
    def x_of(self, seconds: float) -> float:
        return LEFT + seconds * self.pps

    def t_of(self, x: float) -> float:
        return max(0.0, min((x - LEFT) / self.pps, self.duration))

    def boundary_x(self, b: int) -> float:
        """Where the marker of the transition after segment b sits (the overlap's middle)."""
        nxt = self.spans[b + 1]
        overlap = self.overlaps[b] / self.draft.fps if b < len(self.overlaps) else 0.0
        return self.x_of(nxt.start + overlap / 2)

    def hit(self, pos: QPointF) -> tuple:
        """What is under `pos`: ('marker', b), ('edge', i, 'in'|'out'), ('block', i), ('time',)."""
        x, y = pos.x(), pos.y()
        if not VIDEO_Y <= y < VIDEO_Y + VIDEO_H:
            return ("time",)
        if y < VIDEO_Y + MARKER_H:
            for b in range(len(self.spans) - 1):
                if abs(x - self.boundary_x(b)) <= MARKER_PX:
                    return ("marker", b)
        best = None
        for span in self.spans:
            for edge, at in (("in", span.start), ("out", span.end)):
                d = abs(x - self.x_of(at))
                # at a cut the out-edge of one block is the in-edge of the next: the side
                # of the line the press is on picks which
                inside = x >= self.x_of(at) if edge == "in" else x < self.x_of(at)
                if d <= EDGE_PX and inside and (best is None or d < best[0]):
                    best = (d, span.index, edge)
        if best is not None:
            return ("edge", best[1], best[2])
        for span in reversed(self.spans):  # the later block is on top inside a transition
            if self.x_of(span.start) <= x < self.x_of(span.end):
                return ("block", span.index)
        return ("time",)

    # -- mouse ----------------------------------------------------------------------------
    def text_hit(self, pos: QPointF) -> tuple | None:
        """('text', id, 'in'|'out'|'') for a text bar (or one of its ends) under `pos`."""
        if self.draft is None or not TEXT_Y <= pos.y() < TEXT_Y + TEXT_H - CAPTION_H:
            return None  # the caption strip below the text bars is not theirs
        for text in reversed(self.draft.texts):  # the last drawn is on top
            x0, x1 = self.x_of(text.start), self.x_of(min(text.end, self.duration))
            if abs(pos.x() - x0) <= EDGE_PX:
                return ("text", text.id, "in")
            if abs(pos.x() - x1) <= EDGE_PX:
                return ("text", text.id, "out")
            if x0 <= pos.x() < x1:
                return ("text", text.id, "")
        return None

    def select_text(self, text_id: str) -> None:
        self.text_selection = text_id
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or self.draft is None or not self.spans:
            return
        self.setFocus()
        pos = event.position()
        text = self.text_hit(pos)
        if text is not None:
            overlay = next(t for t in self.draft.texts if t.id == text[1])
            self.drag = _Drag("text_grab", edge=text[2], x0=pos.x(), text_id=text[1])
            self.drag.start, self.drag.end = overlay.start, overlay.end
            self.select_text(text[1])
            self.text_selected.emit(text[1])
            return
        what = self.hit(pos)
        if what[0] == "marker":
            self.boundary_clicked.emit(what[1])
            return
        if what[0] == "edge":
            span = self.spans[what[1]]
            at = span.start if what[2] == "in" else span.end
            self.drag = _Drag("trim", what[1], what[2], pos.x(), at)
            self.select(what[1])
            self.selected.emit(what[1])
            self.update()
            return
        if what[0] == "block":
            self.select(what[1])
            self.selected.emit(what[1])
            self.drag = _Drag("block", what[1], "", pos.x(), self.t_of(pos.x()))
        else:
            self.drag = _Drag("scrub", x0=pos.x())
        self._scrub_to(pos.x())

    def mouseMoveEvent(self, event) -> None:
        drag = self.drag
        if drag is None:
            return
        x = event.position().x()
        if drag.kind == "scrub":
            self._scrub_to(x)
        elif drag.kind == "trim":
            raw = (x - LEFT) / self.pps
            targets = snap_targets(self.draft, self.playhead, self.beats, drag.index)
            drag.t, target = snap(raw, targets, SNAP_PIXELS / self.pps)
            drag.snapped = target is not None
            self.update()
        elif drag.kind == "block" and abs(x - drag.x0) >= DRAG_PX:
            drag.kind = "move"
        elif drag.kind == "text_grab" and abs(x - drag.x0) >= DRAG_PX:
            drag.kind = "text"
        if drag.kind == "text":
            drag.t = (x - drag.x0) / self.pps  # seconds moved
            self.update()
        if drag.kind == "move":
            drag.t = self.t_of(x)
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        drag, self.drag = self.drag, None
        if drag is None:
            return
        self.update()
        if drag.kind == "trim":
            self.trim_dropped.emit(drag.index, drag.edge, drag.t)
        elif drag.kind == "move":
            self.move_dropped.emit(drag.index, drag.t)
        elif drag.kind == "text":
            start, end = self.dragged_text_times(drag)
            self.text_dropped.emit(drag.text_id, start, end)

    @staticmethod
    def dragged_text_times(drag: _Drag) -> tuple[float, float]:
        """Where a dragged text bar would land: moved whole, or one end moved."""
        if drag.edge == "in":
            return max(0.0, min(drag.start + drag.t, drag.end - 0.1)), drag.end
        if drag.edge == "out":
            return drag.start, max(drag.start + 0.1, drag.end + drag.t)
        shift = max(-drag.start, drag.t)
        return drag.start + shift, drag.end + shift

    def _scrub_to(self, x: float) -> None:
        self.set_playhead(self.t_of(x))
        self.scrubbed.emit(self.playhead)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.ControlModifier:
            step = 1.25 if event.angleDelta().y() > 0 else 1 / 1.25
            self.set_zoom(self.pps * step)
            event.accept()
        else:
            event.ignore()  # the scroll area scrolls

    # -- keys: ours while the timeline has focus (Space records elsewhere) ----------------
    def event(self, event) -> bool:
        if event.type() == QEvent.ShortcutOverride and _plain_key(event):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if not _plain_key(event):
            super().keyPressEvent(event)
            return
        self.key_action.emit(KEYS[event.key()])

    # -- painting -------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        self._exposed = event.rect()  # a zoomed-in reel is wide: paint only what shows
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#15171b"))
        for y, h in ((VIDEO_Y, VIDEO_H), (MUSIC_Y, MUSIC_H), (TEXT_Y, TEXT_H)):
            p.fillRect(QRectF(0, y, self.width(), h), LANE)
        self._paint_ruler(p)
        if self.draft is not None:
            self._paint_video(p)
            self._paint_music(p)
            self._paint_strips(p)
        p.setPen(QColor("#8d99ae"))
        if self.draft is None or not self.draft.texts:
            p.drawText(QRectF(LEFT + 4, TEXT_Y, 200, TEXT_H), Qt.AlignVCenter, "Text")
        else:
            self._paint_texts(p)
        self._paint_drag(p)
        x = self.x_of(self.playhead)
        p.setPen(QPen(PLAYHEAD, 2))
        p.drawLine(QPointF(x, 0), QPointF(x, HEIGHT))
        head = QPainterPath(QPointF(x - 6, 0))
        head.lineTo(x + 6, 0)
        head.lineTo(x, 8)
        p.fillPath(head, PLAYHEAD)
        p.end()

    def _paint_texts(self, p: QPainter) -> None:
        drag = self.drag if self.drag is not None and self.drag.kind == "text" else None
        for text in self.draft.texts:
            start, end = text.start, text.end
            if drag is not None and drag.text_id == text.id:
                start, end = self.dragged_text_times(drag)
            x0, x1 = self.x_of(start), self.x_of(min(end, max(self.duration, start + 0.1)))
            bar = QRectF(x0, TEXT_Y + 2, max(4.0, x1 - x0), TEXT_H - CAPTION_H - 4)
            selected = text.id == self.text_selection
            p.fillRect(bar, SELECTED if selected else TEXT_BAR)
            p.setPen(QColor("#101010") if selected else QColor("#f1f1f1"))
            label = text.text.replace("\n", " ")
            p.drawText(bar.adjusted(4, 0, -2, 0), Qt.AlignVCenter | Qt.AlignLeft, label)

    def _bar(self, start: float, end: float, y: float, h: float) -> QRectF:
        x0, x1 = self.x_of(start), self.x_of(min(end, max(self.duration, start + 0.1)))
        return QRectF(x0, y, max(2.0, x1 - x0), h)

    def caption_rects(self) -> list[QRectF]:
        """Where each caption cue is drawn (in cue order): a thin bar under the text bars."""
        captions = self.draft.captions if self.draft is not None else None
        y = TEXT_Y + TEXT_H - CAPTION_H - 1
        return [
            self._bar(c.start, c.end, y, CAPTION_H) for c in (captions.cues if captions else ())
        ]

    def voice_rects(self) -> list[QRectF]:
        """Where each voice-over is drawn (in draft order): a strip along the music lane."""
        voices = self.draft.voiceovers if self.draft is not None else ()
        y = MUSIC_Y + MUSIC_H - VOICE_H - 1
        return [self._bar(v.at, v.at + v.duration, y, VOICE_H) for v in voices]

    def _paint_strips(self, p: QPainter) -> None:
        """Caption cues and voice-overs, so what plays over the reel shows on it; the Captions
        and Voice-over panels edit them."""
        small = p.font()
        small.setPixelSize(CAPTION_H + 1)
        p.save()
        p.setFont(small)
        cues = self.draft.captions.cues if self.draft.captions else ()
        for cue, bar in zip(cues, self.caption_rects(), strict=True):
            p.fillRect(bar, CAPTION_BAR)
            p.setPen(QColor("#f1f1f1"))
            p.drawText(bar.adjusted(2, -1, -1, 1), Qt.AlignVCenter, cue.text.replace("\n", " "))
        small.setPixelSize(VOICE_H - 2)
        p.setFont(small)
        for n, bar in enumerate(self.voice_rects(), 1):
            p.fillRect(bar, VOICE_BAR)
            p.setPen(QColor("#101010"))
            p.drawText(bar.adjusted(3, 0, -1, 0), Qt.AlignVCenter, f"Voice {n}")
        p.restore()

    def _paint_ruler(self, p: QPainter) -> None:
        step = next((s for s in (0.1, 0.5, 1, 2, 5, 10, 30, 60) if s * self.pps >= 48), 60)
        p.setPen(QColor("#8d99ae"))
        first = max(0.0, (self._exposed.left() - LEFT) / self.pps - step)
        t = round(first - first % step, 6)
        last = min(max(self.duration, 1.0), (self._exposed.right() - LEFT) / self.pps + step)
        while t <= last + 1e-9:
            x = self.x_of(t)
            p.drawLine(QPointF(x, RULER_H - 6), QPointF(x, RULER_H))
            p.drawText(QPointF(x + 2, RULER_H - 6), f"{t:g}s" if step >= 1 else f"{t:.1f}")
            t = round(t + step, 6)

    def _paint_video(self, p: QPainter) -> None:
        for span in self.spans:
            seg = self.draft.segments[span.index]
            rect = QRectF(
                self.x_of(span.start), VIDEO_Y, span.end * self.pps - span.start * self.pps, VIDEO_H
            )
            p.fillRect(rect, BLOCK)
            thumbs = self.thumbs.get(seg.id) or []
            if thumbs:
                p.save()
                p.setClipRect(rect)
                slot = rect.width() / len(thumbs)
                for k, img in enumerate(thumbs):
                    w = img.width() * VIDEO_H / max(img.height(), 1)
                    left = rect.left() + k * slot + (slot - w) / 2
                    p.drawImage(QRectF(left, VIDEO_Y, w, VIDEO_H), img)
                p.restore()
            speed = "" if seg.speed == 1.0 else f"  {seg.speed:g}x"
            label = f"{span.index + 1}  {seg.length:.1f} s{speed}"
            p.setPen(Qt.white)
            p.fillRect(
                QRectF(rect.left() + 2, rect.bottom() - 16, min(rect.width() - 4, 90), 14),
                QColor(0, 0, 0, 140),
            )
            p.drawText(
                QRectF(rect.left() + 4, rect.bottom() - 16, rect.width() - 6, 14),
                Qt.AlignVCenter,
                label,
            )
            border = SELECTED if span.index == self.selection else QColor("#0b132b")
            p.setPen(QPen(border, 2 if span.index == self.selection else 1))
            p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            for x in (rect.left(), rect.right() - 4):  # trim handles
                p.fillRect(
                    QRectF(x, VIDEO_Y + MARKER_H, 4, VIDEO_H - MARKER_H - 18), QColor("#e0e1dd")
                )
        for b in range(len(self.spans) - 1):
            self._paint_marker(p, b)

    def _paint_marker(self, p: QPainter, b: int) -> None:
        seg = self.draft.segments[b]
        x = self.boundary_x(b)
        if seg.transition != "cut" and self.overlaps[b]:
            start = self.spans[b + 1].start
            width = self.overlaps[b] / self.draft.fps * self.pps
            p.fillRect(QRectF(self.x_of(start), VIDEO_Y, width, VIDEO_H), QColor(255, 255, 255, 60))
        diamond = QPainterPath(QPointF(x, VIDEO_Y + 1))
        diamond.lineTo(x + MARKER_PX, VIDEO_Y + 8)
        diamond.lineTo(x, VIDEO_Y + 15)
        diamond.lineTo(x - MARKER_PX, VIDEO_Y + 8)
        diamond.closeSubpath()
        p.fillPath(diamond, QColor("#ffd166") if seg.transition != "cut" else QColor("#adb5bd"))
        if seg.transition != "cut":
            p.setPen(Qt.black)
            p.drawText(
                QRectF(x - MARKER_PX, VIDEO_Y + 1, 2 * MARKER_PX, 14),
                Qt.AlignCenter,
                seg.transition[0].upper(),
            )

    def _paint_music(self, p: QPainter) -> None:
        music = self.draft.music
        p.setPen(QColor("#8d99ae"))
        if music is None:
            box = QRectF(LEFT + 4, MUSIC_Y, 300, MUSIC_H - VOICE_H - 1)  # above the voice strip
            p.drawText(box, Qt.AlignVCenter, "No music")
            return
        peaks, mid = self.peaks, MUSIC_Y + MUSIC_H / 2
        if peaks is not None and peaks.size and self.song_seconds > 0:
            p.setPen(QColor("#48cae4"))
            end = min(self.x_of(self.duration), self._exposed.right() + 1.0)
            x = float(max(LEFT, self._exposed.left()))
            while x < end:  # the part of the song that plays under the reel, one line a pixel
                song_t = music.start + (x - LEFT) / self.pps
                k = int(song_t / self.song_seconds * peaks.size)
                if k >= peaks.size:
                    break
                half = float(peaks[k]) * (MUSIC_H / 2 - 2)
                p.drawLine(QPointF(x, mid - half), QPointF(x, mid + half))
                x += 1.0
        p.setPen(QPen(QColor("#ffd166"), 1))
        for beat in self.beats:
            x = self.x_of(beat)
            p.drawLine(QPointF(x, MUSIC_Y), QPointF(x, MUSIC_Y + 6))

    def _paint_drag(self, p: QPainter) -> None:
        drag = self.drag
        if drag is None or drag.kind not in ("trim", "move"):
            return
        x = self.x_of(drag.t) if drag.kind == "move" else LEFT + drag.t * self.pps
        p.setPen(QPen(SNAPPED if drag.snapped else SELECTED, 2, Qt.DashLine))
        p.drawLine(QPointF(x, VIDEO_Y - 2), QPointF(x, VIDEO_Y + VIDEO_H + 2))
