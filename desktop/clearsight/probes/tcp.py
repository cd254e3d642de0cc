"""TCP connect to one address and port."""

from __future__ import annotations

import contextlib
import socket
import time

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext, elapsed_ms, probe_failure
from clearsight.probes.records import TcpConnect


def family_of(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


def connect(
    ctx: ProbeContext, address: str, port: int, *, attempt: int = 1
) -> tuple[TcpConnect, socket.socket | None]:
    """Connect; return the record and, on success, the open socket (the caller owns it)."""
    started_s = ctx.elapsed_s()
    family = socket.AF_INET6 if family_of(address) == "ipv6" else socket.AF_INET
    start = time.monotonic()
    sock: socket.socket | None = None
    deadline = ctx.op_deadline()
    try:
        ctx.check()
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        # The socket's own timeout ends a blackholed connect; the watchdog (a little later)
        # is only there for cancel, so a timeout is never mislabelled a reset.
        with ctx.watchdog.guard(sock, deadline + 0.25):
            sock.connect((address, port))
    except Exception as exc:
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        failure = probe_failure(ctx, exc)
        if failure == failures.CONNECTION_RESET and time.monotonic() >= deadline:
            failure = failures.TIMEOUT
        record = TcpConnect(
            address, port, family_of(address), failure, elapsed_ms(start), attempt, started_s
        )
        return record, None
    return TcpConnect(
        address, port, family_of(address), None, elapsed_ms(start), attempt, started_s
    ), sock
