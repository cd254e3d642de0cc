"""The results list: sections of rows that fill in live and open to show the evidence.

Each row is one focusable item (Tab reaches the list, Up/Down move between rows,
Space/Enter/Right open a row, Left closes it). A row keeps its widget, and so whether it
is open, while its content changes during a run; its details are built the first time it
is opened, which keeps a list of 60 rows cheap to create.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QEnterEvent,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clearsight.diagnosis.vocabulary import SEVERITIES, VERDICTS
from clearsight.explanations import Catalog
from clearsight.gui.history_view import Timeline
from clearsight.gui.theme import muted_colour, round_pen, set_text_colour, tinted, tone_colour
from clearsight.gui.view_model import PENDING, Row, Section
from clearsight.gui.widgets import Badge

if TYPE_CHECKING:
    from clearsight.history.window import WindowHistory

MAX_NEW_ROWS = 6  # rows created per turn of the event loop (a few ms)
CONTINUE_DELAY_MS = 15  # room for other events between two turns


def _wrapping_label(parent: QWidget, *, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    if selectable:
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    return label


class RowDetails(QWidget):
    """What an open row shows: the explanation, the next step, how far the check got, the
    technical evidence, and "Check again" for a service."""

    rerun_clicked = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(6)
        self.explanation = _wrapping_label(self, selectable=True)
        layout.addWidget(self.explanation)
        self.timeline = Timeline(self)  # recent results kept in history (history_view.py)
        layout.addWidget(self.timeline)
        self.advice_title = QLabel(self)
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        self.advice_title.setFont(bold)
        layout.addWidget(self.advice_title)
        self.advice = _wrapping_label(self, selectable=True)
        layout.addWidget(self.advice)
        self.layers = _wrapping_label(self)
        layout.addWidget(self.layers)
        self.evidence_title = QLabel(self)
        self.evidence_title.setFont(bold)
        layout.addWidget(self.evidence_title)
        self.evidence = _wrapping_label(self, selectable=True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF(), self.font().pointSizeF() * 0.9))
        self.evidence.setFont(mono)
        self.evidence.setObjectName("evidence")
        layout.addWidget(self.evidence)
        buttons = QHBoxLayout()
        self.rerun = QPushButton(self)
        self.rerun.clicked.connect(self.rerun_clicked)
        buttons.addWidget(self.rerun)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def show_row(
        self, row: Row, texts: Catalog, rerun_enabled: bool, history: WindowHistory | None = None
    ) -> None:
        self.timeline.show_service(history, row.service_id, texts)
        self.explanation.setText(row.explanation)
        self.explanation.setVisible(bool(row.explanation))
        self.advice_title.setText(texts.ui("what_to_do"))
        self.advice.setText(row.advice)
        self.advice_title.setVisible(bool(row.advice))
        self.advice.setVisible(bool(row.advice))
        self.layers.setText(row.layers)
        self.layers.setVisible(bool(row.layers))
        self.evidence_title.setText(texts.ui("evidence"))
        self.evidence.setText(row.evidence)
        self.evidence.setAccessibleName(texts.ui("evidence"))
        self.evidence_title.setVisible(bool(row.evidence))
        self.evidence.setVisible(bool(row.evidence))
        self.rerun.setText(texts.ui("button_check_again"))
        self.rerun.setAccessibleName(
            f"{texts.ui('button_check_again')}{texts.ui('label_colon')}{row.name}"
        )
        self.rerun.setVisible(row.service_id is not None)
        self.rerun.setEnabled(rerun_enabled)
        set_text_colour(self.layers, muted_colour(QApplication.palette()))


class ResultRow(QFrame):
    """One service or finding: name, badge, one line; opens to show the details."""

    expanded_changed = Signal(bool)
    rerun_requested = Signal(str)
    navigated = Signal(int)  # -1: the user pressed Up, +1: Down
    focused = Signal()

    def __init__(self, row: Row, texts: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        self._texts = texts
        self._expanded = False
        self._rerun_enabled = True
        self._hover = False
        self.details: RowDetails | None = None
        self.history: WindowHistory | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        grid = QGridLayout(self)
        self._arrow_space = self.fontMetrics().height()
        grid.setContentsMargins(self._arrow_space + 8, 7, 10, 7)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        self.badge = Badge(self)
        grid.addWidget(self.badge, 0, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        heading = QHBoxLayout()
        heading.setSpacing(8)
        self.name = QLabel(self)
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        self.name.setFont(bold)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        heading.addWidget(self.name)
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        set_text_colour(self.note, muted_colour(self.palette()))
        heading.addWidget(self.note)
        heading.addStretch(1)
        grid.addLayout(heading, 0, 1)
        self.summary = _wrapping_label(self)
        grid.addWidget(self.summary, 1, 1)
        grid.setColumnStretch(1, 1)
        self._grid = grid
        self._apply(row)

    # ------------------------------------------------------------------ content
    def update_row(self, row: Row, texts: Catalog) -> None:
        if row == self.row and texts is self._texts:
            return
        self.row = row
        self._texts = texts
        self._apply(row)

    def set_history(self, history: WindowHistory | None) -> None:
        if history is not self.history:
            self.history = history
            if self.details is not None:
                self.details.show_row(self.row, self._texts, self._rerun_enabled, history)

    def _apply(self, row: Row) -> None:
        self.badge.set_status(row.tone, row.badge)
        self.badge.setVisible(bool(row.badge))
        self.name.setText(row.name)
        beside = " · ".join(part for part in (row.summary if row.compact else "", row.note) if part)
        self.note.setText(beside)
        self.note.setVisible(bool(beside))
        self.summary.setText("" if row.compact else row.summary)
        self.summary.setVisible(bool(row.summary) and not row.compact)
        if not row.expandable and self._expanded:
            self.set_expanded(False)
        if self.details is not None:
            self.details.show_row(row, self._texts, self._rerun_enabled, self.history)
        self._describe()
        self.update()

    def _describe(self) -> None:
        row = self.row
        parts = [row.name]
        if row.badge:
            parts.append(row.badge)
        if row.summary:
            parts.append(row.summary)
        self.setAccessibleName(". ".join(parts))
        if row.expandable:
            key = "button_hide_details" if self._expanded else "button_details"
            self.setAccessibleDescription(self._texts.ui(key))
        else:
            self.setAccessibleDescription("")

    def set_rerun_enabled(self, enabled: bool) -> None:
        self._rerun_enabled = enabled
        if self.details is not None:
            self.details.rerun.setEnabled(enabled)

    # ------------------------------------------------------------ open / close
    @property
    def expanded(self) -> bool:
        return self._expanded

    def set_expanded(self, expanded: bool) -> None:
        if expanded and not self.row.expandable:
            return
        if expanded == self._expanded:
            return
        self._expanded = expanded
        if expanded and self.details is None:
            self.details = RowDetails(self)
            self.details.rerun_clicked.connect(self._on_details_rerun_clicked)
            self.details.show_row(self.row, self._texts, self._rerun_enabled, self.history)
            self._grid.addWidget(self.details, 2, 1)
        if self.details is not None:
            self.details.setVisible(expanded)
        self._describe()
        self.update()
        self.expanded_changed.emit(expanded)

    def toggle(self) -> None:
        self.set_expanded(not self._expanded)

    def _on_details_rerun_clicked(self) -> None:
        if self.row.service_id is not None:
            self.rerun_requested.emit(self.row.service_id)

    # ------------------------------------------------------------------ input
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.toggle()
        elif key == Qt.Key.Key_Right:
            self.set_expanded(True)
        elif key == Qt.Key.Key_Left:
            self.set_expanded(False)
        elif key == Qt.Key.Key_Up:
            self.navigated.emit(-1)
        elif key == Qt.Key.Key_Down:
            self.navigated.emit(1)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            inside_details = (
                self.details is not None
                and self.details.isVisible()
                and self.details.geometry().contains(event.position().toPoint())
            )
            if not inside_details:
                self.setFocus(Qt.FocusReason.MouseFocusReason)
                self.toggle()
                event.accept()
                return
        super().mousePressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()
        self.focused.emit()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def enterEvent(self, event: QEnterEvent) -> None:
        self._hover = True
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = False
        self.update()
        super().leaveEvent(event)

    # ------------------------------------------------------------------ paint
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        if self._expanded or self._hover:
            path = QPainterPath()
            path.addRoundedRect(rect, 6, 6)
            painter.fillPath(path, tinted(highlight, palette, 0.07 if self._hover else 0.05))
        if self.hasFocus():
            painter.setPen(QPen(highlight, 2.0))
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if self.row.expandable:
            # A chevron: pointing right when closed, down when open.
            colour = palette.color(QPalette.ColorRole.WindowText)
            painter.setPen(round_pen(colour, 1.6))
            size = self._arrow_space * 0.28
            cx = 6 + self._arrow_space / 2
            cy = 7 + self.badge.height() / 2
            if self._expanded:
                points = [
                    QPointF(cx - size, cy - size / 2),
                    QPointF(cx, cy + size / 2),
                    QPointF(cx + size, cy - size / 2),
                ]
            else:
                points = [
                    QPointF(cx - size / 2, cy - size),
                    QPointF(cx + size / 2, cy),
                    QPointF(cx - size / 2, cy + size),
                ]
            painter.drawPolyline(points)
        painter.end()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            app_palette = QApplication.palette()
            set_text_colour(self.note, muted_colour(app_palette))
            if self.details is not None:
                set_text_colour(self.details.layers, muted_colour(app_palette))
        super().changeEvent(event)


def _widest_badge(texts: Catalog, parent: QWidget) -> int:
    probe = Badge(parent)
    # Hidden explicitly: a child is otherwise shown with its parent, and this one lived
    # until the next event loop pass (a stray "No problems" badge in the list's corner).
    probe.hide()
    words = [texts.verdict_badge(v) for v in VERDICTS]
    words += [texts.severity_label(s) for s in SEVERITIES]
    words += [texts.ui(k) for k in ("badge_checking", "badge_waiting", "badge_no_problems")]
    widest = 0
    for word in words:
        probe.set_status(PENDING, word)
        widest = max(widest, probe.natural_width())
    probe.deleteLater()
    return widest


class SectionHeading(QLabel):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.12)
        font.setWeight(QFont.Weight.Bold)
        self.setFont(font)
        self.setContentsMargins(4, 14, 4, 2)
        self.setAccessibleName(text)

    def set_title(self, text: str) -> None:
        if text != self.text():
            self.setText(text)
            self.setAccessibleName(text)


class ResultsPanel(QScrollArea):
    """The sections and rows, updated in place as new results arrive."""

    rerun_requested = Signal(str)

    def __init__(self, texts: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts = texts
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget(self)
        self._content.setObjectName("results")
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(0, 0, 4, 12)
        self._layout.setSpacing(1)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self._rows: dict[str, ResultRow] = {}
        self._headings: dict[str, SectionHeading] = {}
        self._order: list[str] = []  # "h:<section>" and "r:<row>" in display order
        self._rerun_enabled = True
        self._history: WindowHistory | None = None
        self._badge_width = 0
        self._badge_widths: dict[str, int] = {}
        self._pending: tuple[tuple[Section, ...], Catalog] | None = None
        self._continue_timer = QTimer(self)
        self._continue_timer.setSingleShot(True)
        self._continue_timer.timeout.connect(self._on_continue_timer_timeout)

    # ---------------------------------------------------------------- content
    def show_sections(self, sections: tuple[Section, ...], texts: Catalog) -> None:
        """Show ``sections``, reusing the widget of every row already on screen. At most
        ``MAX_NEW_ROWS`` rows are created per pass; the rest follow on the next turns of
        the event loop, so a first list of 60 rows never stalls the window."""
        self._texts = texts
        self._continue_timer.stop()
        order: list[str] = []
        created = 0
        deferred = False
        for section in sections:
            keys: list[str] = []
            for row in section.rows:
                widget = self._rows.get(row.key)
                if widget is None:
                    if created >= MAX_NEW_ROWS:
                        deferred = True
                        continue
                    widget = self._new_row(row, texts)
                    created += 1
                else:
                    widget.update_row(row, texts)
                keys.append(f"r:{row.key}")
            if not keys:
                continue
            heading = self._headings.get(section.key)
            if heading is None:
                heading = SectionHeading(section.title, self._content)
                self._headings[section.key] = heading
            else:
                heading.set_title(section.title)
            order.append(f"h:{section.key}")
            order.extend(keys)
        wanted_rows = {row.key for section in sections for row in section.rows}
        wanted_headings = {k[2:] for k in order if k.startswith("h:")}
        gone: list[QWidget] = [self._rows.pop(k) for k in list(self._rows) if k not in wanted_rows]
        gone += [self._headings.pop(k) for k in list(self._headings) if k not in wanted_headings]
        for old in gone:
            self._layout.removeWidget(old)
            old.hide()
            old.deleteLater()
        if order != self._order:
            self._relayout(order)
        self._align_badges()
        if deferred:
            self._pending = (sections, texts)
            self._continue_timer.start(CONTINUE_DELAY_MS)
        else:
            self._pending = None

    def _new_row(self, row: Row, texts: Catalog) -> ResultRow:
        self._align_badges()
        widget = ResultRow(row, texts, self._content)
        widget.set_rerun_enabled(self._rerun_enabled)
        widget.set_history(self._history)
        widget.badge.set_min_width(self._badge_width)
        widget.rerun_requested.connect(self.rerun_requested)
        widget.navigated.connect(self._on_row_navigated)
        widget.focused.connect(self._on_row_focused)
        self._rows[row.key] = widget
        return widget

    def _on_continue_timer_timeout(self) -> None:
        if self._pending is not None:
            sections, texts = self._pending
            self.show_sections(sections, texts)

    @property
    def complete(self) -> bool:
        """Whether every row of the last ``show_sections`` is on screen."""
        return self._pending is None

    def _widget(self, key: str) -> QWidget:
        return self._headings[key[2:]] if key.startswith("h:") else self._rows[key[2:]]

    def _relayout(self, order: list[str]) -> None:
        """Put the widgets in ``order``, moving only those out of place."""
        for index, key in enumerate(order):
            widget = self._widget(key)
            item = self._layout.itemAt(index)
            if item is not None and item.widget() is widget:
                continue
            if self._layout.indexOf(widget) >= 0:
                self._layout.removeWidget(widget)
            self._layout.insertWidget(index, widget)
            if widget.isHidden():
                widget.show()
        self._order = order

    def _align_badges(self) -> None:
        """One column for every badge: as wide as the widest word any badge of this
        language can show, so the column never moves while results arrive."""
        width = self._badge_widths.get(self._texts.language)
        if width is None:
            width = _widest_badge(self._texts, self._content)
            self._badge_widths[self._texts.language] = width
        if width != self._badge_width:
            self._badge_width = width
            for row in self._rows.values():
                row.badge.set_min_width(width)

    def set_history(self, history: WindowHistory | None) -> None:
        """Each service's recent results, shown in its details (history_view.Timeline)."""
        self._history = history
        for row in self._rows.values():
            row.set_history(history)

    def set_rerun_enabled(self, enabled: bool) -> None:
        if enabled == self._rerun_enabled:
            return
        self._rerun_enabled = enabled
        for row in self._rows.values():
            row.set_rerun_enabled(enabled)

    # ------------------------------------------------------------------ access
    def row(self, key: str) -> ResultRow | None:
        return self._rows.get(key)

    def rows(self) -> list[ResultRow]:
        return [self._rows[k[2:]] for k in self._order if k.startswith("r:")]

    def headings(self) -> list[str]:
        return [self._headings[k[2:]].text() for k in self._order if k.startswith("h:")]

    def first_row(self) -> ResultRow | None:
        rows = self.rows()
        return rows[0] if rows else None

    # --------------------------------------------------------------- keyboard
    def _on_row_navigated(self, delta: int) -> None:
        sender = self.sender()
        rows = self.rows()
        if not isinstance(sender, ResultRow) or sender not in rows:
            return
        index = rows.index(sender) + delta
        if 0 <= index < len(rows):
            rows[index].setFocus(Qt.FocusReason.TabFocusReason)

    def _on_row_focused(self) -> None:
        sender = self.sender()
        if isinstance(sender, QWidget):
            self.ensureWidgetVisible(sender, 0, 24)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for row in self._rows.values():
                row.update()
        super().changeEvent(event)

    def tone_of(self, key: str) -> str | None:
        row = self._rows.get(key)
        return row.row.tone if row is not None else None

    def colour_of(self, tone: str) -> str:
        return tone_colour(tone, self.palette()).name()
