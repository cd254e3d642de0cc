"""Starting the desktop app: ``clearsight``, ``clearsight PATH``, ``clearsight gui [--profile
FILE] [--run] [--watch]`` (docs/design.md, "Command line"; ``--watch``: watch mode, in the
tray without the window).

The window is shown first; the profile, a file to open and the engine are loaded after it
is on screen (the engine's imports are the heaviest part of the app), so the window
appears within a second of a start from a source install.

A profile and ``--run`` given on the command line count as the user's consent: no notice
or profile question stands in the way of that run.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFileOpenEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from clearsight import __version__
from clearsight.gui.main_window import MainWindow
from clearsight.gui.settings import APPLICATION, ORGANISATION, AppSettings
from clearsight.gui.theme import app_icon

# When set, the path of a file to which the app writes the moment its window was first
# painted (benchmarks/gui_benchmarks.py measures the start-up time with it), the Qt platform
# plugin and style that drew it, and then the window's title whenever it changes (the
# installers' smoke tests see a file opened through Explorer or Finder reach the window).
STARTUP_PROBE_ENV = "CLEARSIGHT_STARTUP_PROBE"


def create_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("clearsight")
    app.setWindowIcon(app_icon())
    return app


class _FirstPaintProbe(QObject):
    """Writes the time of the window's first paint to a file (start-up measurement), with the
    platform plugin and style in use, and rewrites it when the window's title changes."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self._window = window
        self._path = path
        self._painted_at: float | None = None
        window.installEventFilter(self)
        window.windowTitleChanged.connect(self._on_window_title_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self._painted_at = time.time()
            self._write()
        return False

    def _on_window_title_changed(self, _title: str) -> None:
        if self._painted_at is not None:
            self._write()

    def _write(self) -> None:
        app = QApplication.instance()
        record = {
            "painted_at": self._painted_at,
            "pid": os.getpid(),
            "title": self._window.windowTitle(),
            "platform": QGuiApplication.platformName(),
            "style": app.style().name() if isinstance(app, QApplication) else None,
        }
        # Whole or not at all: a reader polls the file while the title changes.
        partial = self._path.with_name(self._path.name + ".partial")
        partial.write_text(json.dumps(record), encoding="utf-8")
        os.replace(partial, self._path)


class FileOpenHandler(QObject):
    """Files opened through the desktop: on macOS a double-clicked ``.clearsight`` or
    ``.clearsight-report`` arrives as a FileOpen event, not on the command line (at launch
    and while the app runs). Each opens in the window, as ``clearsight PATH`` would."""

    def __init__(self, app: QApplication, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            name = event.file()
            if name:
                path = Path(name)
                QTimer.singleShot(0, lambda: self._window.open_path(path))
                return True
        return False


def warm_up_imports() -> None:
    """Import the engine and the report code on a background thread once the window is
    up, so the first "Check" click does not wait for them."""

    def load() -> None:
        import clearsight.engine.run
        import clearsight.report.build
        import clearsight.report.html
        import clearsight.report.text  # noqa: F401

    threading.Thread(target=load, name="clearsight-warm-up", daemon=True).start()


def start_window(
    window: MainWindow,
    *,
    path: Path | None,
    profile: Path | None,
    run_now: bool,
    notice: bool = True,
) -> None:
    """What happens once the window is on screen: the profile, a file to open, the first
    start notice, and the run asked for on the command line."""
    if profile is not None:
        if not window.load_profile(profile, consented=True):
            return  # the message says what is wrong with the file; no run with another one
    else:
        remembered = window.settings.last_profile
        if remembered is None or not remembered.is_file() or not _quiet_load(window, remembered):
            window.load_profile(None)
    if path is not None:
        window.open_path(path)
        return
    if run_now:
        window.start_checks(consented=True)
    elif notice and window.first_start_notice_needed():
        window.show_first_start_notice()


def _quiet_load(window: MainWindow, path: Path) -> bool:
    """The profile used last time, if it still loads (no message if it does not)."""
    from clearsight.profile.loader import ProfileError, load_profile

    try:
        load_profile(path)
    except ProfileError:
        return False
    return window.load_profile(path)


def run_app(
    path: Path | None = None,
    profile: Path | None = None,
    run_now: bool = False,
    watch: bool = False,
) -> int:
    """Open the window (``watch``: only the tray icon of watch mode); return the exit status
    when the app ends."""
    from clearsight.gui.watch_controller import install_watch

    app = create_application()
    window = MainWindow(AppSettings())
    FileOpenHandler(app, window)
    watcher = install_watch(window)
    probe = os.environ.get(STARTUP_PROBE_ENV)
    if probe:
        _FirstPaintProbe(window, Path(probe))
    if not watch:
        window.show()
    QTimer.singleShot(
        0,
        lambda: start_window(
            window, path=path, profile=profile, run_now=run_now and not watch, notice=not watch
        ),
    )
    if watch or window.settings.watch_enabled:
        QTimer.singleShot(0, watcher.start)
    QTimer.singleShot(300, warm_up_imports)
    status = app.exec()
    return int(status)


__all__ = ["FileOpenHandler", "create_application", "run_app", "start_window", "warm_up_imports"]
