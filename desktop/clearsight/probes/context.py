"""What every probe needs: its time limits, the run's cancel switch and a socket watchdog.

Python sockets have per-call timeouts only, so a server that drips one byte a second
keeps a ``recv`` loop alive for ever. The watchdog closes the gap: every socket a probe
opens is registered with an absolute deadline, and a single thread shuts it down when
the deadline passes or the run is cancelled; the blocked call then returns at once.

The watchdog keeps its own duplicate of each descriptor: wrapping a socket in TLS
detaches the original object (its ``fileno()`` becomes -1) before the handshake starts,
so shutting down the object that was registered would do nothing to a handshake or an
HTTPS body that drips. Shutting down the duplicate ends the connection itself.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

# A retry starts this long after the first attempt, while the first still waits
# (docs/design.md, "Flakiness and speed"): about the time the kernel resends a first SYN.
HEDGE_AFTER_S = 1.0
# Where an honest network answers nothing (an injection probe), listen this long from
# sending (docs/design.md, "Waiting for silence"): longer than any round trip to the
# border, where an injected answer comes from ...
SILENCE_S = 1.0
# ... or, once round trips have been measured, twice the longest, but never less than
# the half second the DNS rules keep listening after any reply.
SILENCE_FLOOR_S = 0.5


class Cancelled(Exception):
    """The run was cancelled, or its deadline passed, while a probe was working."""


class SocketWatchdog:
    """Shuts sockets down at their deadline, or all of them at once on cancel."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        # token -> (the socket to shut down, whether it is the watchdog's own duplicate)
        self._sockets: dict[int, tuple[socket.socket, bool]] = {}
        self._ids = itertools.count()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="clearsight-watchdog", daemon=True
            )
            self._thread.start()

    @contextlib.contextmanager
    def guard(self, sock: socket.socket, deadline: float) -> Iterator[None]:
        """While inside, ``sock`` is shut down when ``deadline`` (monotonic) passes."""
        token = self.register(sock, deadline)
        try:
            yield
        finally:
            self.unregister(token)

    def register(self, sock: socket.socket, deadline: float) -> int:
        watched = _duplicate(sock)
        with self._lock:
            token = next(self._ids)
            if self._stopped:
                _shutdown(watched[0])
            self._sockets[token] = watched
            heapq.heappush(self._heap, (deadline, token))
            self._ensure_thread()
            self._lock.notify()
            return token

    def unregister(self, token: int) -> None:
        with self._lock:
            watched = self._sockets.pop(token, None)
        if watched is not None:
            _release(watched)

    def shutdown_all(self) -> None:
        """Cancel: unblock every registered socket now, and any registered later."""
        with self._lock:
            self._stopped = True
            sockets = list(self._sockets.values())
            self._sockets.clear()
            self._lock.notify()
        for watched in sockets:
            _shutdown(watched[0])
            _release(watched)

    def _loop(self) -> None:
        while True:
            expired: list[tuple[socket.socket, bool]] = []
            with self._lock:
                now = time.monotonic()
                while self._heap and (
                    self._heap[0][0] <= now or self._heap[0][1] not in self._sockets
                ):
                    _, token = heapq.heappop(self._heap)
                    watched = self._sockets.pop(token, None)
                    if watched is not None:
                        expired.append(watched)
                if not expired:
                    wait = self._heap[0][0] - now if self._heap else 1.0
                    self._lock.wait(timeout=min(max(wait, 0.005), 1.0))
            for watched in expired:
                _shutdown(watched[0])
                _release(watched)


def _duplicate(sock: socket.socket) -> tuple[socket.socket, bool]:
    """(a socket object of the watchdog's own on a duplicate of ``sock``'s descriptor, True):
    the same connection; (``sock``, False) when it has no descriptor to duplicate."""
    try:
        fd = os.dup(sock.fileno())
    except (OSError, ValueError):
        return sock, False
    try:
        return socket.socket(sock.family, sock.type, sock.proto, fileno=fd), True
    except OSError:
        os.close(fd)
        return sock, False


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # socket.socket's own method: on an SSLSocket, its override would drop the TLS
        # state under a reader in another thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _release(watched: tuple[socket.socket, bool]) -> None:
    """Close the watchdog's own duplicate (never a socket a probe owns)."""
    sock, own = watched
    if own:
        with contextlib.suppress(OSError):
            sock.close()


@dataclass
class ProbeContext:
    """Time limits and cancellation shared by every probe of one run."""

    timeout_s: float
    deadline: float  # monotonic time at which the whole run stops
    started: float = field(default_factory=time.monotonic)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    watchdog: SocketWatchdog = field(default_factory=SocketWatchdog)
    # The longest TCP connect (one round trip) of the run so far; 0: none yet. Written
    # by many threads without a lock: a lost update only keeps the window longer.
    longest_round_trip_s: float = 0.0

    def elapsed_s(self) -> float:
        """Seconds since the run started (for ``started_s`` fields)."""
        return round(time.monotonic() - self.started, 4)

    def op_deadline(self, timeout_s: float | None = None) -> float:
        """The absolute deadline of one operation starting now."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        return min(time.monotonic() + limit, self.deadline)

    def hedge_after_s(self) -> float:
        """When a second attempt starts while the first still waits: about a second, or
        half the operation timeout when that is shorter, so the hedge always gets its
        chance before the first attempt's time is up."""
        return min(HEDGE_AFTER_S, self.timeout_s / 2)

    def note_round_trip(self, seconds: float) -> None:
        """A connect took ``seconds`` (SYN to SYN-ACK: one round trip to that host)."""
        if seconds > self.longest_round_trip_s:
            self.longest_round_trip_s = seconds

    def silence_s(self) -> float:
        """How long to listen where an honest network answers nothing (module doc)."""
        if self.longest_round_trip_s <= 0:
            return SILENCE_S
        return min(SILENCE_S, max(SILENCE_FLOOR_S, 2 * self.longest_round_trip_s))

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` when the run is cancelled or out of time."""
        if self.cancel_event.is_set() or time.monotonic() >= self.deadline:
            raise Cancelled()

    def cancel(self) -> None:
        self.cancel_event.set()
        self.watchdog.shutdown_all()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when cancelled meanwhile."""
        return self.cancel_event.wait(timeout=max(0.0, min(seconds, self.remaining())))


def elapsed_ms(since: float) -> float:
    return round((time.monotonic() - since) * 1000.0, 2)


def probe_failure(ctx: ProbeContext, exc: BaseException) -> str:
    """The failure name for ``exc``, telling a cancel or the run's deadline apart."""
    from clearsight.probes import failures

    if ctx.cancelled:
        return failures.CANCELLED
    if isinstance(exc, Cancelled):
        return failures.DEADLINE
    name = failures.failure_name(exc)
    if name in (failures.UNKNOWN, failures.EOF, failures.TIMEOUT) and ctx.remaining() <= 0:
        return failures.DEADLINE
    return name
