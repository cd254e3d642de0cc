"""Each (address, port) is connected once, and its innocuous control handshake runs
before any real name reaches it.

The Great Firewall blocks a client/server/port for minutes after it sees a forbidden
name, and Gmail, Drive and YouTube share addresses (docs/censorship.md, "TLS and TCP"):
a control made after a real name would only see the residual block. Later callers for
the same pair wait for the first one's result, so an address that does not answer is
asked once, not once per service, and costs one timeout.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future

from clearsight.engine.sink import ObservationSink
from clearsight.probes import tcp, tls
from clearsight.probes.context import ProbeContext


class PairProbes:
    """The TCP connect (hedged) plus the control handshake, once per (address, port), and
    the time of the last real-name handshake at each pair."""

    def __init__(self, ctx: ProbeContext, trust: tls.TrustStores, sink: ObservationSink) -> None:
        self._ctx = ctx
        self._trust = trust
        self._sink = sink
        self._lock = threading.Lock()
        self._pairs: dict[tuple[str, int, bool], Future[str | None]] = {}
        self._real_names: dict[tuple[str, int], tuple[float, str]] = {}

    def connect(self, address: str, port: int, with_tls: bool) -> str | None:
        """The pair's TCP failure (None: it connected), after the control handshake when
        ``with_tls``."""
        key = (address, port, with_tls)
        with self._lock:
            future = self._pairs.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._pairs[key] = future
        if not owner:
            return future.result()
        try:
            failure = self._probe(address, port, with_tls)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        future.set_result(failure)
        return failure

    def _probe(self, address: str, port: int, with_tls: bool) -> str | None:
        connection = tcp.connect(self._ctx, address, port)
        for attempt in connection.attempts:
            self._sink.add(attempt)
        sock = connection.sock
        if sock is None:
            return connection.failure
        if with_tls:
            self._sink.add(tls.control_handshake(self._ctx, self._trust, address, port, sock))
        else:
            with contextlib.suppress(OSError):
                sock.close()
        return None

    def note_real_name(self, address: str, port: int, name: str) -> tuple[float | None, str | None]:
        """Record a real-name probe now; return the age and name of the previous one."""
        now = time.monotonic()
        with self._lock:
            previous = self._real_names.get((address, port))
            self._real_names[(address, port)] = (now, name)
        if previous is None:
            return None, None
        return round(now - previous[0], 3), previous[1]


__all__ = ["PairProbes"]
