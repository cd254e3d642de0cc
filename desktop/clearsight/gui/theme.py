"""Colours and vector icons that follow the system's light or dark palette.

A status is never shown by colour alone: every tone has its own shape (a tick, a cross, an
exclamation mark in a triangle, an "i", three dots, an arc) and a word beside it. Icons
are painted as vectors at whatever size and pixel ratio Qt asks for, so they stay crisp on
high-DPI screens.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QIconEngine,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QWidget

from clearsight.gui.view_model import BAD, GOOD, INFO, PENDING, RUNNING, WARN

# (light palette, dark palette); the dark shades keep a 4.5:1 contrast on dark grey.
_TONE_COLOURS: dict[str, tuple[str, str]] = {
    GOOD: ("#1a7f37", "#56d364"),
    BAD: ("#c62828", "#ff7b72"),
    WARN: ("#9a6700", "#e3b341"),
    INFO: ("#0b62c4", "#79c0ff"),
    PENDING: ("#6e7781", "#9198a1"),
    RUNNING: ("#0b62c4", "#79c0ff"),
}


def round_pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def tone_colour(tone: str, palette: QPalette) -> QColor:
    light, dark = _TONE_COLOURS.get(tone, _TONE_COLOURS[PENDING])
    return QColor(dark if is_dark(palette) else light)


def set_text_colour(widget: QWidget, colour: QColor) -> None:
    """Colour a widget's text through its palette (much cheaper than a style sheet)."""
    palette = widget.palette()
    if palette.color(QPalette.ColorRole.WindowText) != colour:
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        palette.setColor(QPalette.ColorRole.Text, colour)
        widget.setPalette(palette)


def muted_colour(palette: QPalette) -> QColor:
    return palette.color(QPalette.ColorRole.PlaceholderText)


def tinted(colour: QColor, palette: QPalette, strength: float = 0.12) -> QColor:
    """``colour`` blended into the window background (badge and card backgrounds)."""
    base = palette.color(QPalette.ColorRole.Base)
    mix = strength * (1.6 if is_dark(palette) else 1.0)
    return QColor(
        round(base.red() + (colour.red() - base.red()) * mix),
        round(base.green() + (colour.green() - base.green()) * mix),
        round(base.blue() + (colour.blue() - base.blue()) * mix),
    )


def paint_tone_symbol(painter: QPainter, rect: QRectF, tone: str, colour: QColor) -> None:
    """The tone's shape, filled with ``colour``, its mark cut out in white."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    side = min(rect.width(), rect.height())
    box = QRectF(rect.center().x() - side / 2, rect.center().y() - side / 2, side, side).adjusted(
        side * 0.04, side * 0.04, -side * 0.04, -side * 0.04
    )
    mark = QColor("white")
    stroke = max(1.0, side * 0.12)
    pen = round_pen(mark, stroke)
    c = box.center()
    r = box.width() / 2
    if tone == WARN:
        triangle = QPainterPath()
        triangle.moveTo(c.x(), box.top())
        triangle.lineTo(box.right(), box.bottom() - r * 0.1)
        triangle.lineTo(box.left(), box.bottom() - r * 0.1)
        triangle.closeSubpath()
        painter.fillPath(triangle, colour)
        painter.setPen(pen)
        painter.drawLine(QPointF(c.x(), c.y() - r * 0.28), QPointF(c.x(), c.y() + r * 0.28))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mark)
        painter.drawEllipse(QPointF(c.x(), c.y() + r * 0.62), stroke * 0.6, stroke * 0.6)
    elif tone == RUNNING:
        painter.setPen(round_pen(colour, stroke * 1.3))
        arc = box.adjusted(stroke, stroke, -stroke, -stroke)
        painter.drawArc(arc, 90 * 16, -270 * 16)
        head = QPainterPath()
        tip = QPointF(arc.center().x(), arc.top())
        head.moveTo(tip.x() - r * 0.05, tip.y() - r * 0.32)
        head.lineTo(tip.x() + r * 0.38, tip.y())
        head.lineTo(tip.x() - r * 0.05, tip.y() + r * 0.32)
        head.closeSubpath()
        painter.fillPath(head, colour)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        painter.drawEllipse(box)
        painter.setPen(pen)
        if tone == GOOD:
            path = QPainterPath()
            path.moveTo(c.x() - r * 0.45, c.y() + r * 0.02)
            path.lineTo(c.x() - r * 0.12, c.y() + r * 0.35)
            path.lineTo(c.x() + r * 0.48, c.y() - r * 0.32)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        elif tone == BAD:
            d = r * 0.36
            painter.drawLine(QPointF(c.x() - d, c.y() - d), QPointF(c.x() + d, c.y() + d))
            painter.drawLine(QPointF(c.x() + d, c.y() - d), QPointF(c.x() - d, c.y() + d))
        elif tone == INFO:
            painter.drawLine(QPointF(c.x(), c.y() - r * 0.05), QPointF(c.x(), c.y() + r * 0.45))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(mark)
            painter.drawEllipse(QPointF(c.x(), c.y() - r * 0.42), stroke * 0.6, stroke * 0.6)
        else:  # PENDING: three dots
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(mark)
            for dx in (-0.45, 0.0, 0.45):
                painter.drawEllipse(QPointF(c.x() + r * dx, c.y()), stroke * 0.55, stroke * 0.55)
    painter.restore()


class _VectorIconEngine(QIconEngine):
    """An icon drawn by ``paint`` at any size, crisp at any device pixel ratio."""

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pixmap = QPixmap(QSize(math.ceil(size.width() * scale), math.ceil(size.height() * scale)))
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(0, 0, size.width(), size.height()), mode, state)
        painter.end()
        return pixmap


class _ToneIconEngine(_VectorIconEngine):
    def __init__(self, tone: str, palette: QPalette) -> None:
        super().__init__()
        self._tone = tone
        self._palette = QPalette(palette)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        colour = tone_colour(self._tone, self._palette)
        if mode == QIcon.Mode.Disabled:
            colour.setAlphaF(0.45)
        paint_tone_symbol(painter, QRectF(rect), self._tone, colour)

    def clone(self) -> QIconEngine:
        return _ToneIconEngine(self._tone, self._palette)


def tone_icon(tone: str, palette: QPalette) -> QIcon:
    return QIcon(_ToneIconEngine(tone, palette))


class _AppIconEngine(_VectorIconEngine):
    """The app's icon: a lens over a signal, drawn as vectors."""

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(rect).adjusted(
            rect.width() * 0.04, rect.height() * 0.04, -rect.width() * 0.04, -rect.height() * 0.04
        )
        side = r.width()
        background = QPainterPath()
        background.addRoundedRect(r, side * 0.22, side * 0.22)
        painter.fillPath(background, QColor("#0b62c4"))
        lens = QRectF(r.left() + side * 0.17, r.top() + side * 0.17, side * 0.5, side * 0.5)
        painter.setPen(round_pen(QColor("white"), side * 0.08))
        painter.setBrush(QColor(255, 255, 255, 40))
        painter.drawEllipse(lens)
        handle_from = QPointF(lens.right() - side * 0.05, lens.bottom() - side * 0.05)
        painter.setPen(round_pen(QColor("white"), side * 0.12))
        painter.drawLine(handle_from, QPointF(r.right() - side * 0.16, r.bottom() - side * 0.16))
        tick = QPainterPath()
        c = lens.center()
        w = lens.width() / 2
        tick.moveTo(c.x() - w * 0.45, c.y() + w * 0.02)
        tick.lineTo(c.x() - w * 0.1, c.y() + w * 0.35)
        tick.lineTo(c.x() + w * 0.45, c.y() - w * 0.3)
        painter.setPen(round_pen(QColor("#8ef0a0"), side * 0.07))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(tick)
        painter.restore()

    def clone(self) -> QIconEngine:
        return _AppIconEngine()


def app_icon() -> QIcon:
    return QIcon(_AppIconEngine())
