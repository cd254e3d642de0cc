"""The one way the GUI runs work off its thread.

``run_in_background(op, on_success, on_failure)`` runs ``op`` on a daemon thread and
calls ``on_success(result)`` or ``on_failure(exception)`` back on the GUI thread. ``op``
must never touch a widget (docs/contributing.md; the same rule as Anki's ``QueryOp``): it gets no
widget and returns plain data.

The worker thread touches no Qt object that could be deleted while it runs. Its result
crosses threads as a queued signal of one dispatcher that lives in the GUI thread as long as
the application does, carrying a number that names the operation; the callbacks stay in a
table the GUI thread alone reads. Given an ``owner`` (the window or session the result is
for), a result that arrives after the owner was deleted is dropped instead of being
delivered to an object that no longer exists.

The worker also lets go of ``op`` (whose closure often holds a window or a session) only
through that signal, so the last reference to a Qt object is never dropped on a worker
thread: deleting a Qt object there, or while the GUI thread's garbage collector runs, can
crash the process.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

T = TypeVar("T")


@dataclass(frozen=True)
class _Pending:
    on_success: Callable[[Any], None]
    on_failure: Callable[[BaseException], None] | None
    owner: QObject | None


class _Dispatcher(QObject):
    """Lives in the GUI thread; receives every result and calls its callbacks there."""

    # token, succeeded, the box: [work, its result or error], emptied on the GUI thread
    arrived = Signal(int, bool, object)

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self.pending: dict[int, _Pending] = {}
        self.lock = threading.Lock()
        self.tokens = itertools.count(1)
        self.arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(int, bool, object)
    def _deliver(self, token: int, succeeded: bool, box: list[Any]) -> None:
        value = box[-1]
        box.clear()  # the work and its result are let go of here, on the GUI thread
        del box
        with self.lock:
            pending = self.pending.pop(token, None)
        if pending is None:
            return
        if pending.owner is not None and not shiboken6.isValid(pending.owner):
            return  # the window or session it was for is gone
        on_success, on_failure = pending.on_success, pending.on_failure
        del pending  # a callback's error, printed by Qt, must not keep the owner alive
        if succeeded:
            on_success(value)
        elif on_failure is not None:
            on_failure(value)


_dispatcher: _Dispatcher | None = None


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        # A child of the application: it goes when the application goes, never before.
        _dispatcher = _Dispatcher(QCoreApplication.instance())
    return _dispatcher


def run_in_background(
    op: Callable[[], T],
    on_success: Callable[[T], None],
    on_failure: Callable[[BaseException], None] | None = None,
    *,
    owner: QObject | None = None,
    name: str = "clearsight-gui-op",
) -> None:
    """Run ``op`` off the GUI thread; deliver its result (or exception) on the GUI thread.

    Call from the GUI thread only.
    """
    dispatcher = _the_dispatcher()
    with dispatcher.lock:
        token = next(dispatcher.tokens)
        dispatcher.pending[token] = _Pending(on_success, on_failure, owner)
    arrived = dispatcher.arrived  # the bound signal, taken on the GUI thread
    # The worker holds the work and its result only in this box, which the GUI thread
    # empties: no local of the worker can be the last reference once the result is sent.
    box: list[Any] = [op]
    del op

    def work() -> None:
        succeeded = True
        try:
            box.append(box[0]())
        except BaseException as exc:  # delivered to the GUI as a value (a test's too)
            succeeded = False
            box.append(exc)
            del exc
        with contextlib.suppress(RuntimeError):  # the application, and its dispatcher, went
            arrived.emit(token, succeeded, box)

    threading.Thread(target=work, name=name, daemon=True).start()


def pending_operations() -> int:
    """How many background operations have not delivered their result yet (for tests)."""
    if _dispatcher is None or not shiboken6.isValid(_dispatcher):
        return 0
    with _dispatcher.lock:
        return len(_dispatcher.pending)
