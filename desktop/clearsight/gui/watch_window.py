"""Watch mode where the desktop has no tray or notification service (a bare X server, some
Wayland desktops): a small window that says so plainly and stays open instead, with the
last check, the next one, what changed last time, Check now, Open Clearsight and Stop
watching. A change is shown here and the window asks for attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clearsight.explanations import Catalog
from clearsight.gui.theme import app_icon
from clearsight.watch.notify import Notice
from clearsight.watch.schedule import clock_text

if TYPE_CHECKING:
    from clearsight.gui.watch_controller import WatchController, WatchStatus


@dataclass(frozen=True)
class StatusTexts:
    last: str
    next: str
    changes_title: str
    changes: str
    problem: str | None


def describe(status: WatchStatus, texts: Catalog, now: float | None = None) -> StatusTexts:
    """The lines that tell where watching stands (the small window and the tray's tooltip)."""
    now = status.now if now is None else now
    if status.last_check is None:
        last = texts.ui("watch_last_check_none")
    else:
        badge = texts.summary_badge(status.last_status) if status.last_status else ""
        last = texts.ui("watch_last_check", time=clock_text(status.last_check, now), status=badge)
    if status.checking:
        upcoming = texts.ui("watch_checking")
    elif status.waiting:
        upcoming = texts.ui("watch_waiting")
    elif status.paused or status.next_check is None:
        upcoming = texts.ui("watch_next_paused")
    else:
        upcoming = texts.ui("watch_next_check", time=clock_text(max(status.next_check, now), now))
    if status.last_changes:
        changes = "\n".join(status.last_changes)
    else:
        changes = texts.ui("watch_no_changes")
    return StatusTexts(last, upcoming, texts.ui("watch_changes"), changes, status.problem)


class WatchWindow(QWidget):
    """The small always-available window of watch mode without a tray."""

    def __init__(self, controller: WatchController) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setObjectName("watch-window")
        self.controller = controller
        self.texts: Catalog = controller.window.texts
        self.status: WatchStatus | None = None
        self.last_notice: Notice | None = None
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(8)
        self.no_tray = QLabel(self)
        self.no_tray.setWordWrap(True)
        self.no_tray.setObjectName("no-tray")
        layout.addWidget(self.no_tray)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        self.last_label = QLabel(self)
        self.next_label = QLabel(self)
        self.problem_label = QLabel(self)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("font-weight: bold")
        self.changes_title = QLabel(self)
        font = self.changes_title.font()
        font.setBold(True)
        self.changes_title.setFont(font)
        self.changes_label = QLabel(self)
        self.changes_label.setWordWrap(True)
        for label in (
            self.last_label,
            self.next_label,
            self.problem_label,
            self.changes_title,
            self.changes_label,
        ):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        self.no_tray.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QHBoxLayout()
        self.check_button = QPushButton(self)
        self.check_button.setDefault(True)
        self.check_button.clicked.connect(controller.check_now)
        self.open_button = QPushButton(self)
        self.open_button.clicked.connect(controller.open_window)
        self.stop_button = QPushButton(self)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        self.set_texts(self.texts)
        self.resize(460, self.sizeHint().height())

    # the presenter's side ------------------------------------------------------------
    def set_texts(self, texts: Catalog) -> None:
        self.texts = texts
        self.setWindowTitle(texts.ui("watch_window_title"))
        self.no_tray.setText(texts.ui("watch_no_tray"))
        self.check_button.setText(texts.ui("watch_check_now"))
        self.check_button.setAccessibleName(texts.ui("watch_check_now"))
        self.open_button.setText(texts.ui("watch_open"))
        self.open_button.setAccessibleName(texts.ui("watch_open"))
        self.stop_button.setText(texts.ui("watch_stop"))
        self.stop_button.setAccessibleName(texts.ui("watch_stop"))
        if self.status is not None:
            self.update_status(self.status)

    def update_status(self, status: WatchStatus) -> None:
        self.status = status
        shown = describe(status, self.texts)
        self.last_label.setText(shown.last)
        self.next_label.setText(shown.next)
        self.changes_title.setText(shown.changes_title)
        self.changes_label.setText(shown.changes)
        self.problem_label.setText(shown.problem or "")
        self.problem_label.setVisible(bool(shown.problem))
        self.check_button.setEnabled(status.active and not status.checking)

    def notify(self, notice: Notice) -> None:
        """No notification service here: the change is in this window, which asks for
        attention (a blinking task-bar entry where the desktop has one)."""
        self.last_notice = notice
        if not self.isVisible():
            self.show()
        self.raise_()
        QApplication.alert(self)

    # closing ------------------------------------------------------------------------
    def _on_stop_clicked(self) -> None:
        self.controller.stop_watching()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The window is how watching is seen here: closing it stops watching.
        if self.controller.active:
            self.controller.stop_watching()
        super().closeEvent(event)


__all__ = ["StatusTexts", "WatchWindow", "describe"]
