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


def test_a_second_run_or_a_file_while_a_check_runs_is_refused_politely(
    make_window: Any, qtbot: Any, tmp_path: Path, dialogs: Any
):
    from tests.gui.test_main_window import blocked_engine

    window = make_window(blocked_engine(0.05))
    assert window.start_checks()
    session = window.session
    assert not window.start_checks()  # the keyboard shortcut, the menu, a second click
    window.open_path(_saved_report(tmp_path, "json"))
    window.open_path(_profile_file(tmp_path))
    assert window.session is session and session.running  # the run goes on, untouched
    assert (
        window.last_problem
        == "A check is already running. Wait for it to finish, or press Stop first."
    )
    assert window.statusBar().currentMessage() == window.last_problem
    assert dialogs.seen == []  # no dialog in the way of the run
    window.cancel_checks()
    qtbot.waitUntil(lambda: session.has_ended, timeout=3000)


def test_a_path_that_is_no_file_is_explained_and_never_read(make_window: Any, tmp_path: Path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    window = make_window()
    window.open_path(fifo)
    assert window.last_problem is not None and "not a regular file" in window.last_problem
    window.open_path(tmp_path)
    assert "folder" in window.last_problem


def test_a_profile_whose_certificate_file_is_not_one_is_refused_at_once(
    make_window: Any, tmp_path: Path
):
    bad = tmp_path / "company-ca.pem"
    bad.write_text("this is not a certificate\n", encoding="utf-8")
    path = tmp_path / "acme.clearsight"
    path.write_text(
        f'format = 1\nname = "Acme"\n\n[settings]\nca_file = "{bad}"\n', encoding="utf-8"
    )
    window = make_window(load_profile=False)
    assert not window.load_profile(path, consented=True)
    assert window.last_problem is not None
    assert window.last_problem.startswith("This profile can't be used")
    assert "(settings.ca_file): the certificate file" in window.last_problem
    assert window.session is None
