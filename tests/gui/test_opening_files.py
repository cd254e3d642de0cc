"""Files reaching the window from outside: the desktop's file-open events (macOS sends a
double-clicked file this way, not on the command line), odd files, and files opened while a
check runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from tests.gui.test_main_window import _profile_file, _saved_report


def test_a_file_open_event_opens_a_report(make_window: Any, qtbot: Any, tmp_path: Path):
    from clearsight.gui.app import FileOpenHandler

    path = _saved_report(tmp_path, "json")
    window = make_window()
    FileOpenHandler(QApplication.instance(), window)
    QCoreApplication.postEvent(QApplication.instance(), QFileOpenEvent(str(path)))
    qtbot.waitUntil(lambda: window.state is not None, timeout=10000)
    assert window.state.opened_from == path


def test_a_file_open_event_opens_a_profile(
    make_window: Any, qtbot: Any, tmp_path: Path, dialogs: Any
):
    from clearsight.gui.app import FileOpenHandler

    dialogs.answers["ProfileTargetsDialog"] = False  # look, but do not run yet
    path = _profile_file(tmp_path)
    window = make_window(load_profile=False)
    FileOpenHandler(QApplication.instance(), window)
    QCoreApplication.postEvent(QApplication.instance(), QFileOpenEvent(str(path)))
    qtbot.waitUntil(lambda: window.profile_path == path, timeout=5000)
    assert window.profile is not None and window.profile.name == "Acme office"
    assert dialogs.seen == ["ProfileTargetsDialog"]
    assert window.session is None  # declined: nothing ran
