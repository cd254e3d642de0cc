"""TCP connects, hedged: the one place where a connection attempt is retried.

One lost packet must not look like a blackhole, and a retry must not cost a second
timeout (docs/design.md, "Flakiness and speed"). So a second attempt starts about a
second after the first while the first still waits (``ProbeContext.hedge_after_s``);
the first to connect wins; both end when the first attempt's time is up, so a
blackholed address costs one timeout. A refusal or an unreachable is an answer: the
address is not tried again. (The kernel also resends a SYN within one attempt; the
second attempt adds a fresh source port, which a per-flow drop does not follow.)

The attempts are non-blocking sockets on one selector in the calling thread: no
thread waits per attempt, and an attempt that lost the race is simply closed.
``connect_first`` races several addresses the same way (the DNS-over-HTTPS reference's
bootstrap addresses), starting the next one early when one fails.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext, elapsed_ms
from clearsight.probes.records import TcpConnect

# The watchdog shuts a pending attempt on cancel; at its own deadline the selector ends
# it first, so a timeout is never mislabelled a reset.
_WATCHDOG_GRACE_S = 0.25


def family_of(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


@dataclass(frozen=True)
class Connection:
    """What connecting gave: every attempt that ended by itself (in the order they
    started; an attempt closed because another one connected first is not among them),
    and the open socket of the one that connected (the caller owns it)."""

    attempts: tuple[TcpConnect, ...]
    sock: socket.socket | None = None
    address: str | None = None  # where ``sock`` is connected

    @property
    def failure(self) -> str | None:
        """None when connected; else the last attempt's failure."""
        if self.sock is not None:
            return None
        return self.attempts[-1].failure if self.attempts else failures.NOT_RUN


@dataclass
class _Attempt:
    sock: socket.socket
    address: str
    port: int
    number: int  # 1 for the first attempt at this address, 2 for the hedge
    start: float
    started_s: float
    token: int

    def record(self, failure: str | None) -> TcpConnect:
        return TcpConnect(
            self.address,
            self.port,
            family_of(self.address),
            failure,
            elapsed_ms(self.start),
            self.number,
            self.started_s,
        )


def connect(ctx: ProbeContext, address: str, port: int) -> Connection:
    """Connect to one address, hedged (see the module doc)."""
    return connect_first(ctx, [(address, port), (address, port)])


def connect_first(ctx: ProbeContext, targets: Sequence[tuple[str, int]]) -> Connection:
    """Connect to the first of ``targets`` (address, port) that answers. Attempts start
    ``ctx.hedge_after_s()`` apart, in order, or at once when the one before failed; a
    target that failed (refused, unreachable) is not tried again. Every attempt ends at
    the first one's deadline; the first to connect wins and the others are closed."""
    if not targets:
        return Connection(())
    deadline = ctx.op_deadline()
    stagger = ctx.hedge_after_s()
    selector = selectors.DefaultSelector()
    pending: dict[int, _Attempt] = {}
    records: list[TcpConnect] = []  # attempts that ended by themselves
    tried: dict[tuple[str, int], int] = {}  # attempts started per target
    answered: set[tuple[str, int]] = set()  # targets that said no: not tried again
    queue = list(targets)
    next_at = time.monotonic()
    winner: _Attempt | None = None

    def end(attempt: _Attempt, failure: str | None) -> None:
        records.append(attempt.record(failure))
        if failure is not None:
            answered.add((attempt.address, attempt.port))
            _release(ctx, attempt)

    try:
        while winner is None:
            now = time.monotonic()
            queue = [a for a in queue if a not in answered]
            if queue and now >= next_at and now < deadline and not ctx.cancelled:
                target = queue.pop(0)
                address, port = target
                tried[target] = tried.get(target, 0) + 1
                try:
                    attempt, failure = _start(ctx, address, port, tried[target], deadline)
                except OSError as exc:  # no socket at all (no IPv6 here, no descriptors)
                    failed = failures.failure_name(exc)
                    records.append(
                        TcpConnect(
                            address, port, family_of(address), failed, 0.0, 1, ctx.elapsed_s()
                        )
                    )
                    answered.add(target)
                    continue
                if failure is None:
                    pending[attempt.sock.fileno()] = attempt
                    selector.register(attempt.sock, selectors.EVENT_WRITE)
                    next_at = now + stagger
                else:
                    end(attempt, failure)
                continue
            if not pending and (not queue or now >= deadline or ctx.cancelled):
                break
            wake = min(deadline, next_at) if queue else deadline
            for key, _ in selector.select(max(0.0, wake - time.monotonic())):
                attempt = pending.pop(key.fd)
                selector.unregister(attempt.sock)
                failure = _outcome(ctx, attempt.sock)
                end(attempt, failure)
                if failure is None:
                    winner = attempt
                    break
                next_at = time.monotonic()
            if winner is None and time.monotonic() >= deadline:
                for attempt in pending.values():
                    end(attempt, _timed_out(ctx))
                pending.clear()
                break
    finally:
        selector.close()
        for attempt in pending.values():  # lost the race: closed, not recorded
            _release(ctx, attempt)
    if not records and winner is None:
        # Nothing could start: the run was cancelled or its deadline had passed.
        address, port = targets[0]
        records.append(
            TcpConnect(address, port, family_of(address), _timed_out(ctx), 0.0, 1, ctx.elapsed_s())
        )
    records.sort(key=lambda r: r.started_s)
    if winner is None:
        return Connection(tuple(records))
    ctx.watchdog.unregister(winner.token)
    winner.sock.setblocking(True)
    ctx.note_round_trip(time.monotonic() - winner.start)
    return Connection(tuple(records), winner.sock, winner.address)


def _start(
    ctx: ProbeContext, address: str, port: int, number: int, deadline: float
) -> tuple[_Attempt, str | None]:
    """A non-blocking connect under way, and its failure when it failed at once."""
    family = socket.AF_INET6 if family_of(address) == "ipv6" else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    # Requests follow the handshake at once: Nagle would hold them back until the
    # handshake's last message is acknowledged, a whole round trip (urllib3 does the same).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    token = ctx.watchdog.register(sock, deadline + _WATCHDOG_GRACE_S)
    attempt = _Attempt(sock, address, port, number, time.monotonic(), ctx.elapsed_s(), token)
    try:
        code = sock.connect_ex((address, port))
    except OSError as exc:  # e.g. an address of a family this machine lacks
        code = exc.errno or errno.EADDRNOTAVAIL
    if code in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
        return attempt, None
    return attempt, _failure_of(ctx, code)


def _outcome(ctx: ProbeContext, sock: socket.socket) -> str | None:
    """None when ``sock`` connected, else the failure."""
    if ctx.cancelled:
        return failures.CANCELLED
    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if code:
        return _failure_of(ctx, code)
    try:
        sock.getpeername()
    except OSError as exc:  # shut down before it connected
        return _failure_of(ctx, exc.errno or errno.ECONNABORTED)
    return None


def _failure_of(ctx: ProbeContext, code: int) -> str:
    if ctx.cancelled:
        return failures.CANCELLED
    return failures.failure_name(OSError(code, os.strerror(code)))


def _timed_out(ctx: ProbeContext) -> str:
    if ctx.cancelled:
        return failures.CANCELLED
    return failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT


def _release(ctx: ProbeContext, attempt: _Attempt) -> None:
    ctx.watchdog.unregister(attempt.token)
    with contextlib.suppress(OSError):
        attempt.sock.close()
