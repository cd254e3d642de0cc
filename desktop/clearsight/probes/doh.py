"""DNS-over-HTTPS (RFC 8484, wire format, GET) to a reference resolver.

The URL's host is reached at its bootstrap addresses, so no lookup is needed (the local
lookup may be the thing that is forged). Trust: certifi plus the profile's ``ca_file``.

Many questions share one connection: they are sent back to back (HTTP/1.1 pipelining,
``PIPELINE`` at a time) and the answers read in order, which a server must support
(RFC 9112, 9.3.2). A question costs one round trip instead of a connect, a handshake and
a request; a server that closes the connection after an answer gets the questions it
left unanswered again on a new connection (``DohBatch.unanswered``).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import dns.message

from clearsight.probes import failures, tcp
from clearsight.probes.context import ProbeContext, elapsed_ms, probe_failure
from clearsight.probes.dns_udp import failure_of, parse_reply
from clearsight.probes.http import USER_AGENT
from clearsight.probes.records import DohQuery

MAX_DOH_BYTES = 65535  # the largest DNS message
PIPELINE = 16  # requests in flight on one connection
Question = tuple[str, str]  # (name, "A" | "AAAA")

# A read the watchdog cut at the window's deadline looks like one of these.
_CUT_AT_DEADLINE = frozenset(
    {failures.EOF, failures.CONNECTION_RESET, failures.TLS_HANDSHAKE_FAILED, failures.UNKNOWN}
)


@dataclass(frozen=True)
class DohBatch:
    """What one connection to one DoH server gave.

    ``records``: an answer (or the server's refusal of one question) per question it
    answered, and a failure record per question the connection's failure left without
    one. ``unanswered``: the questions to ask again, elsewhere when ``server_failed``
    (the server could not be reached, or the connection broke), on a new connection to
    the same server otherwise (it closed the connection after an answer)."""

    records: tuple[DohQuery, ...]
    unanswered: tuple[Question, ...] = ()
    server_failed: bool = False
    failure: str | None = None  # the connection's own failure, if any


def request_target(url: str, name: str, qtype: str) -> tuple[str, dns.message.Message]:
    """The GET request target (path and query) asking ``name``, and the query itself."""
    message = dns.message.make_query(name, qtype)
    message.id = 0  # RFC 8484 4.1: cache friendly
    encoded = base64.urlsafe_b64encode(message.to_wire()).rstrip(b"=").decode("ascii")
    parts = urlsplit(url)
    query = f"{parts.query}&dns={encoded}" if parts.query else f"dns={encoded}"
    return f"{parts.path or '/'}?{query}", message


def answer_record(
    *,
    resolver: str,
    url: str,
    bootstrap: str,
    question: Question,
    message: dns.message.Message,
    status: int | None,
    body: bytes,
    elapsed: float,
    started_s: float,
) -> DohQuery:
    """The record of one answer the server sent: what its status and body say."""
    name, qtype = question
    base = DohQuery(
        resolver=resolver,
        url=url,
        bootstrap=bootstrap,
        name=name,
        qtype=qtype,
        http_status=status,
        elapsed_ms=elapsed,
        started_s=started_s,
    )
    if status != 200:
        return dataclasses.replace(base, failure=failures.DOH_HTTP_ERROR)
    parsed = parse_reply(body, message, bootstrap, 0.0)
    if not parsed.usable:
        return dataclasses.replace(base, failure=failures.DNS_MALFORMED)
    reply = parsed.reply
    # The same reading of the rcode as for plain DNS: FORMERR or NOTIMP from a reference
    # is a broken answer, not a refusal.
    failure = failure_of(reply, qtype)
    addresses = reply.addresses if failure is None else ()  # no answer beside an error rcode
    return dataclasses.replace(base, addresses=addresses, rcode=reply.rcode, failure=failure)


def doh_queries(
    ctx: ProbeContext,
    ssl_context: ssl.SSLContext,
    resolver: str,
    url: str,
    bootstrap: str,
    questions: Sequence[Question],
    *,
    sock: socket.socket | None = None,
) -> DohBatch:
    """Ask ``questions`` over one connection to ``bootstrap`` (made here, hedged, unless
    ``sock`` is one already connected there)."""
    started_s = ctx.elapsed_s()
    start = time.monotonic()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if sock is None:
        connection = tcp.connect(ctx, bootstrap, parts.port or 443)
        if connection.sock is None:
            failure = connection.failure or failures.NOT_RUN
            return _failed(
                resolver, url, bootstrap, questions[:1], questions, failure, started_s, start
            )
        sock = connection.sock
    deadline = ctx.op_deadline()
    try:
        ctx.check()
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        with ctx.watchdog.guard(sock, deadline):
            tls_sock = ssl_context.wrap_socket(sock, server_hostname=host)
    except Exception as exc:
        with contextlib.suppress(OSError):
            sock.close()
        failure = _failure(ctx, exc, deadline)
        return _failed(
            resolver, url, bootstrap, questions[:1], questions, failure, started_s, start
        )
    # The buffered reader holds the connection open until it is closed too.
    with tls_sock, tls_sock.makefile("rb") as reader:
        return _ask(
            ctx, tls_sock, reader, resolver, url, bootstrap, list(questions), started_s, start
        )


def _ask(
    ctx: ProbeContext,
    sock: ssl.SSLSocket,
    reader: IO[bytes],
    resolver: str,
    url: str,
    bootstrap: str,
    questions: list[Question],
    started_s: float,
    start: float,
) -> DohBatch:
    host = urlsplit(url).netloc.rsplit("@", 1)[-1]
    records: list[DohQuery] = []
    while questions:
        window = questions[:PIPELINE]
        messages = []
        wire = b""
        for name, qtype in window:
            target, message = request_target(url, name, qtype)
            messages.append(message)
            wire += (
                f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\n"
                "Accept: application/dns-message\r\n\r\n"
            ).encode("ascii")
        deadline = ctx.op_deadline()
        answered = 0
        closing = False
        try:
            ctx.check()
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            with ctx.watchdog.guard(sock, deadline):
                sock.sendall(wire)
                for question, message in zip(window, messages, strict=True):
                    status, body, closing = _read_response(reader)
                    records.append(
                        answer_record(
                            resolver=resolver,
                            url=url,
                            bootstrap=bootstrap,
                            question=question,
                            message=message,
                            status=status,
                            body=body,
                            elapsed=elapsed_ms(start),
                            started_s=started_s,
                        )
                    )
                    answered += 1
                    if closing:
                        break
        except Exception as exc:
            failure = _failure(ctx, exc, deadline)
            sent = window[answered:]
            rest = questions[answered:]
            failed = _failed(resolver, url, bootstrap, sent, rest, failure, started_s, start)
            return DohBatch((*records, *failed.records), failed.unanswered, True, failure)
        questions = questions[answered:]
        started_s = ctx.elapsed_s()
        start = time.monotonic()
        if closing and questions:
            return DohBatch(tuple(records), tuple(questions))
    return DohBatch(tuple(records))


class _Lent:
    """The connection's one buffered reader, lent to one response at a time: a response
    closes its reader when it has read its body, which must not close the connection."""

    def __init__(self, reader: IO[bytes]) -> None:
        self._reader = reader

    def makefile(self, *_args: Any, **_kwargs: Any) -> _Lent:
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)

    def close(self) -> None:
        """Left open for the next response."""


def _read_response(reader: IO[bytes]) -> tuple[int, bytes, bool]:
    """(status, body, whether the server closes the connection after it)."""
    response = http.client.HTTPResponse(_Lent(reader), method="GET")  # type: ignore[arg-type]
    response.begin()
    body = response.read(MAX_DOH_BYTES + 1)
    # A body past the limit is no DNS message, and the rest of it would be read as the
    # next answer: this connection ends here.
    too_long = len(body) > MAX_DOH_BYTES or not response.isclosed()
    return response.status, body, bool(response.will_close or too_long)


def _failure(ctx: ProbeContext, exc: BaseException, deadline: float) -> str:
    if isinstance(exc, http.client.HTTPException) and not isinstance(
        exc, http.client.RemoteDisconnected
    ):
        # No status line, a header past the limits, a broken chunk: not HTTP.
        return failures.CANCELLED if ctx.cancelled else failures.HTTP_PROTOCOL_ERROR
    name = probe_failure(ctx, exc)
    if name in _CUT_AT_DEADLINE and time.monotonic() >= deadline - 0.01 and not ctx.cancelled:
        # The watchdog shut a server still dripping its answer at the deadline.
        return failures.DEADLINE if ctx.remaining() <= 0 else failures.TIMEOUT
    if name == failures.UNKNOWN:
        return failures.HTTP_PROTOCOL_ERROR
    return name


def _failed(
    resolver: str,
    url: str,
    bootstrap: str,
    recorded: Sequence[Question],
    unanswered: Sequence[Question],
    failure: str,
    started_s: float,
    start: float,
) -> DohBatch:
    """The server failed: a failure record for each question it was asked (or, when it
    could not be reached at all, for the first, the one the connection was made for)."""
    records = tuple(
        DohQuery(
            resolver=resolver,
            url=url,
            bootstrap=bootstrap,
            name=name,
            qtype=qtype,
            failure=failure,
            elapsed_ms=elapsed_ms(start),
            started_s=started_s,
        )
        for name, qtype in recorded
    )
    return DohBatch(records, tuple(unanswered), True, failure)
