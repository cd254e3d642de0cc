"""GUI tests: offscreen Qt, a settings file per test, windows driven by a recorded engine.

Qt runs offscreen (no display needed). Whether Qt can start at all is probed once in a
subprocess (a missing system library can abort the process, not just raise): where it
cannot, the GUI tests are skipped with the reason, except under ``CI=true`` (or
``CLEARSIGHT_REQUIRE_GUI=1``), where they fail.

No test here starts a check on the machine's network: windows get a recorded engine
(``recorded_engine.py``) or, in ``test_real_engine.py``, a profile whose services are
servers on 127.0.0.1. The egress guard of ``tests/conftest.py`` fails any test that tries.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("PYTEST_QT_API", "pyside6")

HERE = Path(__file__).resolve().parent
_PROBE = (
    "import PySide6.QtWidgets as w; "
    "app = w.QApplication([]); "
    "win = w.QWidget(); win.show(); app.processEvents(); print('ok')"
)


def must_run() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("CLEARSIGHT_REQUIRE_GUI") == "1"
    )


@functools.cache
def qt_problem() -> str | None:
    """Why Qt cannot start here, or None."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Qt could not be started: {exc}"
    if done.returncode != 0 or "ok" not in done.stdout:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return "Qt cannot start here: " + (lines[-1] if lines else f"exit {done.returncode}")
    return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Without Qt the test modules cannot even be imported: leave them out and let
    # test_qt_available.py say why (a skip, or under CI a failure).
    if (
        collection_path.parent == HERE
        and collection_path.name.startswith("test_")
        and collection_path.name != "test_qt_available.py"
        and qt_problem() is not None
    ):
        return True
    return None


# ----------------------------------------------------------------------------- fixtures
BACKGROUND_GRACE_S = 20.0


@pytest.fixture(autouse=True)
def _background_work_done() -> Iterator[None]:
    """A test ends only when the work it started off the GUI thread has ended.

    Otherwise a window's last report build, or its history write (which finds the data
    folder when it runs), goes on into the next test: into that test's data folder, and
    beside the garbage collector freeing the finished test's windows.
    """
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return
    import gc
    import time

    from PySide6.QtCore import QCoreApplication, QEvent

    from clearsight.gui.background import pending_operations

    if QCoreApplication.instance() is None:
        return
    deadline = time.monotonic() + BACKGROUND_GRACE_S
    while pending_operations() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.005)
    left = pending_operations()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()  # the test's windows go now, while no other thread runs
    if left:
        pytest.fail(f"{left} background operation(s) still running {BACKGROUND_GRACE_S:.0f} s on")


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    """Settings in a file of this test's own; the first-start notice already agreed to."""
    from PySide6.QtCore import QSettings

    from clearsight.gui.settings import AppSettings

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    app_settings = AppSettings(store)
    app_settings.consent_acknowledged = True
    app_settings.language = "en"
    app_settings.report_folder = tmp_path
    return app_settings


class DialogAnswers:
    """Stands in for a person in front of modal dialogs: records each one and answers it
    (``accept``/``reject``, or a function given the dialog for a particular type)."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.answers: dict[str, Callable[[Any], int] | bool] = {}

    def __call__(self, dialog: Any) -> int:
        name = type(dialog).__name__
        self.seen.append(name)
        answer = self.answers.get(name, True)
        if callable(answer):
            return answer(dialog)
        if name == "QMessageBox":
            return 0
        if answer:
            dialog.accept()
        else:
            dialog.reject()
        return int(dialog.result())


@pytest.fixture
def dialogs() -> DialogAnswers:
    return DialogAnswers()


@pytest.fixture
def make_window(qtbot: Any, settings: Any, dialogs: DialogAnswers) -> Iterator[Callable[..., Any]]:
    """``make_window(engine=...)``: a shown main window with the built-in profile loaded,
    its dialogs answered by ``dialogs``."""
    from clearsight.gui.main_window import MainWindow

    made: list[Any] = []

    def make(engine: Any = None, *, load_profile: bool = True) -> Any:
        if engine is None:
            from tests.gui.recorded_engine import recorded_engine
            from tests.gui.scenarios import blocked

            engine = recorded_engine(cached("blocked", blocked))
        window = MainWindow(settings, engine=engine)
        window.exec_dialog = dialogs  # type: ignore[method-assign]
        qtbot.addWidget(window)
        if settings.geometry is None:
            window.resize(1000, 800)
        window.show()
        if load_profile:
            window.load_profile(None)
        made.append(window)
        return window

    yield make
    for window in made:
        if window.session is not None and window.session.running:
            window.session.cancel()


_CACHE: dict[str, Any] = {}


def cached(name: str, build: Callable[[], Any]) -> Any:
    """Scenario observations built once per test session (they are immutable)."""
    if name not in _CACHE:
        _CACHE[name] = build()
    return _CACHE[name]


def wait_for_end(qtbot: Any, window: Any, timeout_ms: int = 15000) -> Any:
    """Wait until the window's current run has ended; return the report state shown."""
    qtbot.waitUntil(
        lambda: (
            window.session is not None and window.session.has_ended and window.state is not None
        ),
        timeout=timeout_ms,
    )
    qtbot.waitUntil(lambda: window.results.complete, timeout=timeout_ms)
    return window.state
