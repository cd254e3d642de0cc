"""Watch mode: the window's checks, started again on the user's schedule and after the
network changed, with a notification only when a verdict changed.

The controller starts each check through the main window (``start_checks``), so the window
always shows the latest result and a check in the window and a scheduled one never run at
once: a check that falls due while another runs waits for it to end. It starts checks only
with the consent a normal run needs (the first-start notice agreed to, the profile agreed
to); sensitive services follow the user's setting as in any run of the window.

What changed is history's answer for the run the window kept (``window.run_kept``): the
window records each run once, watch mode records nothing, and after a restart the first
check is compared with the last run kept on that profile and network. While history is
off or paused, ``watch.changes.WatchChanges`` compares in memory (watch/changes.py).

What the user sees of it is a presenter: the tray icon (``watch_tray.WatchTray``), or, where
the desktop has no tray or notification service, a small window (``watch_window.WatchWindow``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from clearsight.gui.settings import profile_fingerprint
from clearsight.watch.changes import Change, WatchChanges
from clearsight.watch.notify import Notice, change_lines, notice_for, service_names
from clearsight.watch.schedule import Debounce, next_check_at

if TYPE_CHECKING:
    from clearsight.gui.main_window import MainWindow
    from clearsight.gui.session import ReportState
    from clearsight.history.store import RecordResult

TICK_MS = 5000
FIRST_CHECK_DELAY_S = 5.0  # at login the network may need a moment
MAX_PENDING = 8  # finished runs waiting to be kept in history (normally one)


class Stoppable(Protocol):
    def stop(self) -> None: ...


NetworkWatchFactory = Callable[[Callable[[], None]], Stoppable]


def interface_watch(changed: Callable[[], None]) -> Stoppable:
    from clearsight.watch.network import InterfaceWatch

    return InterfaceWatch(changed).start()


def tray_usable() -> bool:
    """A tray (notification area, menu bar) that can also show messages."""
    return QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()


@dataclass(frozen=True)
class WatchStatus:
    """What the tray's tooltip and the small window show."""

    active: bool
    paused: bool
    checking: bool  # a check of watch mode runs
    waiting: bool  # a check is due but another one runs in the window
    last_check: float | None
    last_status: str | None  # the last check's status ("ok", "blocked", ...)
    next_check: float | None
    last_changes: tuple[str, ...] | None  # None: nothing compared yet
    problem: str | None
    now: float  # when this status was taken (the controller's clock)


@dataclass(frozen=True)
class WatchCheck:
    """One finished check, as watch mode saw it."""

    trigger: str | None  # "start", "schedule", "network", "now"; None: started in the window
    changes: tuple[Change, ...]
    compared: bool
    notice: Notice | None
    from_history: bool = False  # the changes are history's (else compared in memory)


@dataclass
class _Ended:
    """A finished run waiting for the window to keep it in history."""

    trigger: str | None
    state: ReportState
    withheld: frozenset[str] = field(default_factory=frozenset)


class WatchController(QObject):
    status_changed = Signal(object)  # WatchStatus
    notified = Signal(object)  # Notice
    checked = Signal(object)  # WatchCheck
    _network_changed = Signal()  # from the interface watch's thread; queued

    def __init__(
        self,
        window: MainWindow,
        *,
        changes: WatchChanges | None = None,
        clock: Callable[[], float] = time.time,
        tray_available: Callable[[], bool] = tray_usable,
        network_watch: NetworkWatchFactory = interface_watch,
        debounce: Debounce | None = None,
        tick_ms: int = TICK_MS,
        first_check_delay_s: float = FIRST_CHECK_DELAY_S,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.changes = changes if changes is not None else WatchChanges()
        self._ended: list[_Ended] = []
        self._clock = clock
        self._tray_available = tray_available
        self._network_watch_factory = network_watch
        self.debounce = debounce if debounce is not None else Debounce()
        self._first_check_delay_s = first_check_delay_s
        self.active = False
        self.paused = False
        self.presenter: Any = None
        self.menu: Any = None
        self._network_watch: Stoppable | None = None
        self._own_run: str | None = None  # the trigger of the check watch mode started
        self._waiting = False
        self._last_started: float | None = None
        self._last_check: float | None = None
        self._last_status: str | None = None
        self._last_changes: tuple[str, ...] | None = None
        self._problem: str | None = None
        self._ticker = QTimer(self)
        self._ticker.setInterval(tick_ms)
        self._ticker.timeout.connect(self.tick)
        self._network_changed.connect(self._on_network_changed)
        window.run_started.connect(self._on_run_started)
        window.run_ended.connect(self._on_run_ended)
        window.run_kept.connect(self._on_run_kept)
        window.language_changed.connect(self._on_language_changed)
        window.installEventFilter(self)

    # ------------------------------------------------------------------ on and off
    @property
    def interval_s(self) -> float:
        return self.window.settings.watch_interval_min * 60.0

    @property
    def uses_tray(self) -> bool:
        from clearsight.gui.watch_tray import WatchTray

        return isinstance(self.presenter, WatchTray)

    def start(self, *, check_soon: bool = True) -> None:
        """Start watching: the tray icon (or the small window), the schedule, the network.
        ``check_soon``: the first check a few seconds from now (else one interval after the
        last check the window ran, if any)."""
        if self.active:
            return
        self.active = True
        self.paused = False
        now = self._clock()
        if check_soon or self._last_started is None:
            # due first_check_delay_s from now
            self._last_started = now - self.interval_s + self._first_check_delay_s
        if self.presenter is None:
            self.presenter = self._make_presenter()
        if self.uses_tray:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                app.setQuitOnLastWindowClosed(False)
        self.presenter.set_texts(self.window.texts)
        self.presenter.show()
        self._network_watch = self._network_watch_factory(self._network_changed.emit)
        self._ticker.start()
        self._publish()

    def stop(self) -> None:
        """Stop watching (a check already running in the window goes on)."""
        if not self.active:
            return
        self.active = False
        self._ticker.stop()
        if self._network_watch is not None:
            self._network_watch.stop()
            self._network_watch = None
        self.debounce.clear()
        self._waiting = False
        if self.presenter is not None:
            self.presenter.hide()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(True)
        self._publish()

    def stop_watching(self) -> None:
        """The person's "Stop watching": off until they turn it on again; with the main
        window closed, nothing is left and the app ends."""
        self.window.settings.watch_enabled = False
        self.stop()
        if not self.window.isVisible():
            QApplication.quit()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self.debounce.clear()
            self._waiting = False
        self._publish()
        if not paused:
            self.tick()

    def quit(self) -> None:
        """Quit the app from the tray."""
        self.stop()
        self.window.removeEventFilter(self)
        self.window.close()
        QApplication.quit()

    def open_window(self) -> None:
        window = self.window
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()

    def _make_presenter(self) -> Any:
        if self._tray_available():
            from clearsight.gui.watch_tray import WatchTray

            return WatchTray(self)
        from clearsight.gui.watch_window import WatchWindow

        return WatchWindow(self)

    # ---------------------------------------------------------------------- checks
    def consented(self) -> bool:
        """Whether a check may start without asking (as ``start_checks`` would ask)."""
        settings = self.window.settings
        if not settings.consent_acknowledged:
            return False
        path = self.window.profile_path
        return path is None or settings.profile_consented(profile_fingerprint(path))

    def window_busy(self) -> bool:
        session = self.window.session
        return session is not None and session.running

    def check_now(self) -> bool:
        return self._start_check("now")

    def tick(self) -> None:
        """Start a check that is due (the timer calls this every few seconds)."""
        if self._own_run is not None and not self.window_busy():
            self._own_run = None  # the run could not even start (the window said why)
        if not self.active or self.paused:
            return
        now = self._clock()
        if self.debounce.due(now):
            self._start_check("network")
        elif self._waiting or now >= next_check_at(self._last_started, self.interval_s, now):
            self._start_check("schedule")
        self._publish()

    def _start_check(self, trigger: str) -> bool:
        if not self.consented():
            self._problem = self.window.texts.ui("watch_needs_consent")
            self._publish()
            return False
        self._problem = None
        if self.window_busy() or QApplication.activeModalWidget() is not None:
            self._waiting = self._own_run is None  # one of ours runs: nothing to wait for
            self._publish()
            return False
        self._waiting = False
        self._own_run = trigger
        if self.window.profile is None:
            self.window.ensure_profile()
        started = self.window.start_checks(consented=True)
        if not started:
            self._own_run = None
        self._publish()
        return started

    def _on_run_started(self) -> None:
        now = self._clock()
        self._last_started = now
        self.debounce.covered_by_check_started(now)
        self._publish()

    def _on_run_ended(self, state: ReportState) -> None:
        trigger, self._own_run = self._own_run, None
        if not state.final:
            return
        session = self.window.session
        withheld: frozenset[str] = frozenset()
        if session is not None and session.skip_sensitive:
            withheld = frozenset(s.id for s in session.profile.services if s.sensitive)
        ended = _Ended(trigger, state, withheld)
        if session is not None and session.keeping:
            # What changed is known once the window has kept the run in history.
            self._ended.append(ended)
            del self._ended[:-MAX_PENDING]
        else:  # not kept (stopped, or one service checked again): compared with nothing
            self._checked(ended, None)
        if self._waiting and self.active:
            QTimer.singleShot(0, self.tick)

    def _on_run_kept(self, kept: ReportState) -> None:
        ended = next((e for e in self._ended if e.state.report is kept.report), None)
        if ended is None:
            return
        self._ended.remove(ended)
        self._checked(ended, kept.history.result if kept.history is not None else None)

    def _checked(self, ended: _Ended, kept: RecordResult | None) -> None:
        trigger, state = ended.trigger, ended.state
        result = self.changes.record(state.report, kept, withheld=ended.withheld)
        changes, compared = result.changes, result.compared
        texts = self.window.texts
        notice = notice_for(changes, state.report, texts, started_by_watch=trigger is not None)
        self._last_check = self._clock()
        summary = state.report.get("summary")
        self._last_status = summary.get("status") if isinstance(summary, dict) else None
        if compared:
            self._last_changes = tuple(change_lines(changes, service_names(state.report), texts))
        check = WatchCheck(
            trigger, changes, compared, notice if self.active else None, result.from_history
        )
        self._publish()
        if check.notice is not None:
            if self.presenter is not None:
                self.presenter.notify(check.notice)
            self.notified.emit(check.notice)
        self.checked.emit(check)

    def _on_network_changed(self) -> None:
        if self.active and not self.paused:
            self.debounce.changed(self._clock())
            self._publish()

    # ------------------------------------------------------------------- showing
    def status(self) -> WatchStatus:
        now = self._clock()
        next_at = None
        if self.active and not self.paused:
            next_at = next_check_at(self._last_started, self.interval_s, now)
            network_at = self.debounce.due_at()
            if network_at is not None:
                next_at = min(next_at, network_at)
        return WatchStatus(
            active=self.active,
            paused=self.paused,
            checking=self._own_run is not None and self.window_busy(),
            waiting=self._waiting,
            last_check=self._last_check,
            last_status=self._last_status,
            next_check=next_at,
            last_changes=self._last_changes,
            problem=self._problem,
            now=now,
        )

    def _publish(self) -> None:
        status = self.status()
        if self.presenter is not None:
            self.presenter.update_status(status)
        self.status_changed.emit(status)

    def _on_language_changed(self, _language: str) -> None:
        if self.presenter is not None:
            self.presenter.set_texts(self.window.texts)
        self._publish()

    # ------------------------------------------------------------ the main window
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # While watching, closing the window hides it: watching goes on in the tray (or
        # the small window). Quit (tray) or Stop watching ends it.
        if watched is self.window and event.type() == QEvent.Type.Close and self.active:
            self.window.settings.geometry = self.window.saveGeometry()
            self.window.hide()
            event.ignore()
            return True
        return False


def install_watch(window: MainWindow) -> WatchController:
    """Watch mode for the app's window: the controller and its place in the Check menu."""
    from clearsight.gui.watch_menu import WatchMenu

    controller = WatchController(window)
    controller.menu = WatchMenu(controller)
    return controller


__all__ = [
    "WatchCheck",
    "WatchController",
    "WatchStatus",
    "install_watch",
    "interface_watch",
    "tray_usable",
]
