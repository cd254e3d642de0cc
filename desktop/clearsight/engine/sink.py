"""Where every probe's records go while a run goes on."""

from __future__ import annotations

import threading

from clearsight.probes.records import Observation


class ObservationSink:
    """Collects records from every worker; closed at the end so stragglers are dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Observation] = []
        self._closed = False

    def add(self, record: Observation) -> None:
        with self._lock:
            if not self._closed:
                self._items.append(record)

    def close(self) -> tuple[Observation, ...]:
        with self._lock:
            self._closed = True
            return tuple(self._items)

    def snapshot(self) -> tuple[Observation, ...]:
        """The records collected so far (a copy; the run goes on adding)."""
        with self._lock:
            return tuple(self._items)


__all__ = ["ObservationSink"]
