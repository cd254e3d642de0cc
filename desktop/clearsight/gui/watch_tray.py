"""Watch mode in the tray (Windows notification area, macOS menu bar, Linux status icons):
the icon, its menu (Check now, Open Clearsight, Pause watching, Quit), a tooltip with the
last and next check, and a message when a verdict changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from clearsight.explanations import Catalog
from clearsight.gui.theme import app_icon
from clearsight.gui.watch_window import describe
from clearsight.watch.notify import Notice

if TYPE_CHECKING:
    from clearsight.gui.watch_controller import WatchController, WatchStatus

MESSAGE_MS = 20000


class WatchTray(QSystemTrayIcon):
    def __init__(self, controller: WatchController) -> None:
        super().__init__(app_icon(), controller)
        self.controller = controller
        self.texts: Catalog = controller.window.texts
        self.status: WatchStatus | None = None
        self.last_notice: Notice | None = None
        self.menu = QMenu()
        self.check_action = QAction(self.menu)
        self.check_action.triggered.connect(controller.check_now)
        self.open_action = QAction(self.menu)
        self.open_action.triggered.connect(controller.open_window)
        self.pause_action = QAction(self.menu)
        self.pause_action.triggered.connect(self._on_pause_triggered)
        self.quit_action = QAction(self.menu)
        self.quit_action.triggered.connect(controller.quit)
        self.menu.addAction(self.check_action)
        self.menu.addAction(self.open_action)
        self.menu.addSeparator()
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.setContextMenu(self.menu)
        self.activated.connect(self._on_activated)
        self.messageClicked.connect(controller.open_window)
        self.set_texts(self.texts)

    def set_texts(self, texts: Catalog) -> None:
        self.texts = texts
        self.check_action.setText(texts.ui("watch_check_now"))
        self.open_action.setText(texts.ui("watch_open"))
        self.quit_action.setText(texts.ui("action_quit"))
        if self.status is not None:
            self.update_status(self.status)

    def update_status(self, status: WatchStatus) -> None:
        self.status = status
        shown = describe(status, self.texts)
        head = self.texts.ui("watch_tooltip_paused" if status.paused else "watch_tooltip")
        lines = [head, shown.problem or shown.last, shown.next]
        self.setToolTip("\n".join(lines))
        self.pause_action.setText(self.texts.ui("watch_resume" if status.paused else "watch_pause"))
        self.check_action.setEnabled(status.active and not status.checking)

    def notify(self, notice: Notice) -> None:
        self.last_notice = notice
        self.showMessage(
            notice.title, notice.message, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS
        )

    def _on_pause_triggered(self) -> None:
        self.controller.set_paused(not self.controller.paused)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.controller.open_window()


__all__ = ["WatchTray"]
