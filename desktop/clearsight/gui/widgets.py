"""Small widgets of the main window: the status badge and the overview card."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clearsight.gui.theme import (
    muted_colour,
    paint_tone_symbol,
    set_text_colour,
    tinted,
    tone_colour,
)
from clearsight.gui.view_model import PENDING, WARN, Overview


class Badge(QWidget):
    """A status: its shape and its word on a tinted pill, in the tone's colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tone = PENDING
        self._text = ""
        self._min_width = 0
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)

    def set_status(self, tone: str, text: str) -> None:
        if (tone, text) == (self._tone, self._text):
            return
        self._tone = tone
        self._text = text
        self.setAccessibleName(text)
        self.updateGeometry()
        self.update()

    @property
    def text(self) -> str:
        return self._text

    @property
    def tone(self) -> str:
        return self._tone

    def set_min_width(self, width: int) -> None:
        if width != self._min_width:
            self._min_width = width
            self.updateGeometry()

    def natural_width(self) -> int:
        metrics = self.fontMetrics()
        icon = metrics.height()
        return icon + metrics.horizontalAdvance(self._text) + metrics.height() + 6

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(max(self.natural_width(), self._min_width), metrics.height() + 8)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._text:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        colour = tone_colour(self._tone, palette)
        metrics = self.fontMetrics()
        width = self.natural_width()
        rect = QRectF(0.5, 0.5, width - 1.0, self.height() - 1.0)
        path = QPainterPath()
        path.addRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.fillPath(path, tinted(colour, palette, 0.14))
        painter.setPen(QPen(colour, 1.0))
        painter.drawPath(path)
        icon_side = metrics.height() - 2
        icon_rect = QRectF(
            rect.left() + metrics.height() * 0.4,
            rect.center().y() - icon_side / 2,
            icon_side,
            icon_side,
        )
        paint_tone_symbol(painter, icon_rect, self._tone, colour)
        painter.setPen(colour)
        text_rect = QRectF(icon_rect.right() + 5, rect.top(), width, rect.height())
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self._text
        )
        painter.end()


class ToneMark(QWidget):
    """The overview's big status symbol."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tone = PENDING
        self.setFixedSize(side, side)

    def set_tone(self, tone: str) -> None:
        if tone != self._tone:
            self._tone = tone
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        paint_tone_symbol(
            painter, QRectF(self.rect()), self._tone, tone_colour(self._tone, self.palette())
        )
        painter.end()


def _label(parent: QWidget, *, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _set_text(label: QLabel, text: str) -> None:
    """New text (and hidden when empty), touching the label only when it changes."""
    if label.text() != text:
        label.setText(text)
    label.setVisible(bool(text))


class OverviewCard(QFrame):
    """The answer: a headline in one sentence, what to do, and notes about the result.

    Below what to do, buttons for what the app can do itself: open the login page a
    captive portal redirected to, save the report and show its folder, copy a message for
    IT support. They appear with a finished answer (one with actions)."""

    open_login_requested = Signal(str)
    save_and_show_requested = Signal()
    copy_for_it_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tone = PENDING
        self.setObjectName("overview")
        self.setAutoFillBackground(False)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(16)
        side = round(self.fontMetrics().height() * 2.4)
        self.mark = ToneMark(side, self)
        outer.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(6)
        outer.addLayout(column, 1)
        self.badge = Badge(self)
        column.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        self.headline = _label(self, selectable=True)
        self.headline.setObjectName("headline")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setWeight(QFont.Weight.Bold)
        self.headline.setFont(font)
        column.addWidget(self.headline)
        self.detail = _label(self)
        column.addWidget(self.detail)
        self.advice = QLabel(self)
        self.advice.setWordWrap(True)
        self.advice.setTextFormat(Qt.TextFormat.RichText)
        self.advice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.advice)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        self.login_button = QPushButton(self)
        self.login_button.setObjectName("open_login")
        self.login_button.clicked.connect(self._on_login_button_clicked)
        buttons.addWidget(self.login_button)
        self.save_show_button = QPushButton(self)
        self.save_show_button.setObjectName("save_and_show")
        self.save_show_button.clicked.connect(self.save_and_show_requested)
        buttons.addWidget(self.save_show_button)
        self.copy_it_button = QPushButton(self)
        self.copy_it_button.setObjectName("copy_for_it")
        self.copy_it_button.clicked.connect(self.copy_for_it_requested)
        buttons.addWidget(self.copy_it_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self._login_url = ""
        for button in (self.login_button, self.save_show_button, self.copy_it_button):
            button.setVisible(False)
        self.notes = _label(self)
        self.notes.setObjectName("notes")
        notes_font = QFont(self.notes.font())
        notes_font.setWeight(QFont.Weight.DemiBold)
        self.notes.setFont(notes_font)
        column.addWidget(self.notes)
        self.meta = _label(self, selectable=True)
        self.meta.setObjectName("meta")
        column.addWidget(self.meta)
        self._shown: tuple[Overview, str] | None = None
        self._restyle()

    def set_overview(self, overview: Overview, what_to_do: str) -> None:
        if (overview, what_to_do) == self._shown:
            return  # a label given new text lays the window out again: only on change
        self._shown = (overview, what_to_do)
        self._tone = overview.tone
        self.mark.set_tone(overview.tone)
        self.badge.set_status(overview.tone, overview.badge)
        self.badge.setVisible(bool(overview.badge))
        _set_text(self.headline, overview.headline)
        self.headline.setAccessibleName(overview.headline)
        _set_text(self.detail, overview.detail)
        if overview.advice:
            items = "".join(f"<li>{html.escape(a)}</li>" for a in overview.advice)
            self.advice.setText(
                f"<b>{html.escape(what_to_do)}</b>"
                f"<ul style='margin-top:2px; margin-bottom:0px; -qt-list-indent:1'>{items}</ul>"
            )
            self.advice.setAccessibleName(f"{what_to_do}: " + " ".join(overview.advice))
        self.advice.setVisible(bool(overview.advice))
        login = next((a for a in overview.actions if a.id == "log_in" and a.url), None)
        self._login_url = login.url or "" if login is not None else ""
        self.login_button.setVisible(bool(self._login_url))
        finished = bool(overview.actions)
        self.save_show_button.setVisible(finished)
        self.copy_it_button.setVisible(finished)
        _set_text(self.notes, "\n".join(overview.notes))
        _set_text(self.meta, overview.meta)
        self.update()

    def set_button_texts(self, open_login: str, save_and_show: str, copy_for_it: str) -> None:
        for button, text in (
            (self.login_button, open_login),
            (self.save_show_button, save_and_show),
            (self.copy_it_button, copy_for_it),
        ):
            button.setText(text)
            button.setAccessibleName(text)

    @property
    def login_url(self) -> str:
        """The login page the login button opens ("" when there is none)."""
        return self._login_url

    def _on_login_button_clicked(self) -> None:
        if self._login_url:
            self.open_login_requested.emit(self._login_url)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        palette = QApplication.palette()
        set_text_colour(self.meta, muted_colour(palette))
        set_text_colour(self.notes, tone_colour(WARN, palette))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        colour = tone_colour(self._tone, palette)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        path = QPainterPath()
        path.addRoundedRect(rect, 8, 8)
        painter.fillPath(path, tinted(colour, palette, 0.08))
        painter.setPen(QPen(tinted(colour, palette, 0.45), 1.0))
        painter.drawPath(path)
        bar = QPainterPath()
        bar.addRoundedRect(QRectF(rect.left(), rect.top(), 6, rect.height()), 3, 3)
        painter.fillPath(bar, colour)
        painter.end()
