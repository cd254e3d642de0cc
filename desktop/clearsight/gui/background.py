"""The one way the GUI runs work off its thread.

``run_in_background(op, on_success, on_failure)`` runs ``op`` on a daemon thread and
calls ``on_success(result)`` or ``on_failure(exception)`` back on the GUI thread. ``op``
must never touch a widget (docs/contributing.md; the same rule as Anki's ``QueryOp``): it gets no
widget and returns plain data.

The result crosses threads as a queued Qt signal of a small relay object that lives in
the GUI thread; the relay is kept alive until its result has been delivered. Given an
``owner`` (the window or session the result is for), the relay is the owner's child: when
the owner is gone, so is the relay, and the result is dropped instead of being delivered
to an object that no longer exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

T = TypeVar("T")

_relays: set[_Relay] = set()
_relays_lock = threading.Lock()


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_success: Callable[[Any], None],
        on_failure: Callable[[BaseException], None] | None,
        owner: QObject | None,
    ) -> None:
        super().__init__(owner)
        self._on_success_callback = on_success
        self._on_failure_callback = on_failure
        # Receiver is this object (GUI thread), so emitting from the worker queues the call.
        self.succeeded.connect(self._on_succeeded)
        self.failed.connect(self._on_failed)

    @Slot(object)
    def _on_succeeded(self, result: Any) -> None:
        try:
            self._on_success_callback(result)
        finally:
            self._release()

    @Slot(object)
    def _on_failed(self, error: BaseException) -> None:
        try:
            if self._on_failure_callback is not None:
                self._on_failure_callback(error)
        finally:
            self._release()

    def _release(self) -> None:
        with _relays_lock:
            _relays.discard(self)
        self.deleteLater()


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
    relay = _Relay(on_success, on_failure, owner)
    with _relays_lock:
        _relays.add(relay)

    def work() -> None:
        try:
            result: Any = op()
            signal = relay.succeeded
        except Exception as exc:  # delivered to the GUI as a value
            result = exc
            signal = relay.failed
        try:
            signal.emit(result)
        except RuntimeError:  # the owner, and with it the relay, was deleted meanwhile
            with _relays_lock:
                _relays.discard(relay)

    threading.Thread(target=work, name=name, daemon=True).start()


def pending_operations() -> int:
    """How many background operations have not delivered their result yet (for tests)."""
    with _relays_lock:
        return len(_relays)
