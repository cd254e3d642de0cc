"""Work off the GUI thread (gui/background.py): results and errors come back on the GUI
thread, a result for a deleted owner is dropped, and what the work held is let go of on the
GUI thread, never on the worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from PySide6.QtCore import QCoreApplication, QObject

from clearsight.gui.background import pending_operations, run_in_background

pytestmark = pytest.mark.gui


class Outcome:
    def __init__(self) -> None:
        self.values: list[tuple[str, object, str]] = []

    def success(self, value: object) -> None:
        self.values.append(("success", value, threading.current_thread().name))

    def failure(self, error: BaseException) -> None:
        self.values.append(("failure", error, threading.current_thread().name))


def _fails() -> int:
    raise ValueError("no answer")


@pytest.mark.parametrize(
    ("op", "kind", "check"),
    [
        (lambda: 42, "success", lambda v: v == 42),
        (lambda: {"report": [1, 2]}, "success", lambda v: v == {"report": [1, 2]}),
        (lambda: None, "success", lambda v: v is None),
        (_fails, "failure", lambda v: isinstance(v, ValueError) and str(v) == "no answer"),
    ],
)
def test_the_result_or_the_error_arrives_on_the_gui_thread(
    qtbot: Any, op: Callable[[], object], kind: str, check: Callable[[object], bool]
) -> None:
    outcome = Outcome()
    run_in_background(op, outcome.success, outcome.failure)
    qtbot.waitUntil(lambda: bool(outcome.values), timeout=5000)
    got_kind, value, thread = outcome.values[0]
    assert got_kind == kind and check(value)
    assert thread == threading.main_thread().name
    assert pending_operations() == 0


def test_an_error_without_a_failure_callback_is_dropped_quietly(qtbot: Any) -> None:
    outcome = Outcome()
    run_in_background(_fails, outcome.success)
    qtbot.waitUntil(lambda: pending_operations() == 0, timeout=5000)
    assert outcome.values == []


def test_a_result_for_an_owner_that_was_deleted_is_dropped(qtbot: Any) -> None:
    owner = QObject()
    outcome = Outcome()
    release = threading.Event()
    run_in_background(lambda: release.wait(5) and "late", outcome.success, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _valid(owner), timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: pending_operations() == 0, timeout=5000)
    qtbot.wait(20)
    assert outcome.values == []


def _valid(obj: QObject) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(obj))


class Marker:
    """Remembers on which thread it was freed."""

    freed_on: ClassVar[list[str]] = []

    def __del__(self) -> None:
        Marker.freed_on.append(threading.current_thread().name)


def _work_holding_a_marker(fails: bool, release: threading.Event) -> Callable[[], str]:
    marker = Marker()

    def work() -> str:
        release.wait(5)  # until the test has let go of it
        if fails:
            raise ValueError("no answer")
        return type(marker).__name__

    return work


@pytest.mark.parametrize("fails", [False, True])
def test_what_the_work_held_is_freed_on_the_gui_thread(qtbot: Any, fails: bool) -> None:
    # The work's closure often holds a window or a session: its last reference must not
    # go on the worker thread (a Qt object freed there can crash the process).
    Marker.freed_on.clear()
    kinds: list[str] = []  # not the error itself: its traceback holds the work's closure
    release = threading.Event()
    work = _work_holding_a_marker(fails, release)
    run_in_background(work, lambda _: kinds.append("success"), lambda _: kinds.append("failure"))
    del work
    release.set()
    qtbot.waitUntil(lambda: bool(kinds), timeout=5000)
    assert kinds == ["failure" if fails else "success"]
    qtbot.waitUntil(lambda: bool(Marker.freed_on), timeout=5000)
    assert Marker.freed_on == [threading.main_thread().name]


def test_many_works_are_all_freed_on_the_gui_thread(qtbot: Any) -> None:
    # The result may be delivered (and its event freed) before the worker thread has
    # ended: whatever the timing, the worker must not hold the last reference then. One
    # at a time, delivered as eagerly as a busy window would: that timing is the race.
    Marker.freed_on.clear()
    kinds: list[str] = []
    count = 300
    release = threading.Event()
    release.set()
    for n in range(count):
        run_in_background(
            _work_holding_a_marker(n % 3 == 0, release),
            lambda _: kinds.append("success"),
            lambda _: kinds.append("failure"),
        )
        deadline = time.monotonic() + 5
        while pending_operations() and time.monotonic() < deadline:
            QCoreApplication.processEvents()
    qtbot.waitUntil(lambda: len(Marker.freed_on) == count, timeout=5000)
    assert len(kinds) == count
    assert set(Marker.freed_on) == {threading.main_thread().name}
