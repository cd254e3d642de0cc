"""Noticing that the computer moved to another network while watch mode runs.

The engine's interface watch (``probes.network_watch``) looks during one run and stops
counting after a few changes; watch mode looks for as long as it runs. Same rules (an
interface that starts or stops carrying traffic, or whose IPv4 addresses change), polled
every few seconds on a daemon thread; no packets are sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from clearsight.probes.network_info import interfaces
from clearsight.probes.network_watch import Fingerprint, compare, fingerprint
from clearsight.probes.records import NetworkInterface

POLL_S = 2.0


class InterfaceWatch:
    """Calls ``changed()`` (on its own thread) each time the interfaces change."""

    def __init__(
        self,
        changed: Callable[[], None],
        *,
        read: Callable[[], tuple[NetworkInterface, ...]] = interfaces,
        poll_s: float = POLL_S,
    ) -> None:
        self._changed = changed
        self._read = read
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._baseline = self._look()
        self._thread = threading.Thread(
            target=self._watch, name="clearsight-watch-interfaces", daemon=True
        )

    def start(self) -> InterfaceWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ends the thread without waiting for it (it is a daemon)."""
        self._stop.set()

    def check(self) -> bool:
        """Look once; True (and ``changed()`` called) when the network changed."""
        now = self._look()
        if now is None:
            return False
        if self._baseline is None:
            self._baseline = now
            return False
        lost, gained = compare(self._baseline, now)
        self._baseline = now
        if not lost and not gained:
            return False
        self._changed()
        return True

    def _look(self) -> Fingerprint | None:
        try:
            found = self._read()
        except Exception:  # an OS quirk must not end watching
            return None
        return fingerprint(found) if found else None

    def _watch(self) -> None:
        while not self._stop.wait(self._poll_s):
            self.check()


__all__ = ["POLL_S", "InterfaceWatch"]
