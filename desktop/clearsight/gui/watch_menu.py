"""Watch mode's place in the main window: in the Check menu, "Watch this network" (on or
off), how often, and "Start watching when I log in"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from clearsight.watch.autostart import Autostart
from clearsight.watch.schedule import INTERVALS_MIN

if TYPE_CHECKING:
    from clearsight.gui.watch_controller import WatchController


class WatchMenu:
    """Adds the watch actions to the window's Check menu and keeps them in step."""

    def __init__(self, controller: WatchController, autostart: Autostart | None = None) -> None:
        self.controller = controller
        self.autostart = autostart if autostart is not None else Autostart()
        window = controller.window
        menu = window.check_menu
        menu.addSeparator()
        self.watch_action = QAction(window)
        self.watch_action.setCheckable(True)
        self.watch_action.triggered.connect(self._on_watch_triggered)
        menu.addAction(self.watch_action)
        self.interval_menu = QMenu(menu)
        self.interval_group = QActionGroup(window)
        self.interval_group.setExclusive(True)
        for minutes in INTERVALS_MIN:
            action = QAction(window)
            action.setCheckable(True)
            action.setData(minutes)
            self.interval_group.addAction(action)
            self.interval_menu.addAction(action)
        self.interval_group.triggered.connect(self._on_interval_triggered)
        menu.addMenu(self.interval_menu)
        self.login_action = QAction(window)
        self.login_action.setCheckable(True)
        self.login_action.triggered.connect(self._on_login_triggered)
        menu.addAction(self.login_action)
        controller.status_changed.connect(lambda _status: self.refresh())
        window.language_changed.connect(lambda _language: self.retranslate())
        self.retranslate()

    def retranslate(self) -> None:
        texts = self.controller.window.texts
        self.watch_action.setText(texts.ui("watch_action"))
        self.interval_menu.setTitle(texts.ui("watch_every"))
        for action in self.interval_group.actions():
            action.setText(texts.ui(f"watch_every_{action.data()}"))
        self.login_action.setText(texts.ui("watch_at_login"))
        self.refresh()

    def refresh(self) -> None:
        self.watch_action.setChecked(self.controller.active)
        minutes = self.controller.window.settings.watch_interval_min
        for action in self.interval_group.actions():
            action.setChecked(action.data() == minutes)
        try:
            enabled = self.autostart.enabled()
        except OSError:
            enabled = False
        self.login_action.setChecked(enabled)

    def _on_watch_triggered(self, checked: bool) -> None:
        controller = self.controller
        window = controller.window
        if checked and not controller.active:
            if controller.consented():
                window.settings.watch_enabled = True
                controller.start(check_soon=window.state is None)
            elif window.start_checks():  # asks as any first check does; counts as one
                window.settings.watch_enabled = True
                controller.start(check_soon=False)
        elif not checked and controller.active:
            window.settings.watch_enabled = False
            controller.stop()
        self.refresh()

    def _on_interval_triggered(self, action: QAction) -> None:
        self.controller.window.settings.watch_interval_min = int(action.data())
        self.controller.tick()
        self.refresh()

    def _on_login_triggered(self, checked: bool) -> None:
        window = self.controller.window
        try:
            if checked:
                self.autostart.enable()
            else:
                self.autostart.disable()
        except OSError as exc:
            window.show_problem(
                window.texts.ui("watch_at_login_failed", problem=exc.strerror or str(exc))
            )
        self.refresh()


__all__ = ["WatchMenu"]
