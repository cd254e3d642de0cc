"""Plain DNS over UDP, hearing every reply.

The Great Firewall races forged replies against the real one, so a query's socket stays
open for ``listen_s`` (at least 500 ms) after the first reply and every reply is kept
(docs/censorship.md, "DNS"). One thread serves all outstanding queries through a selector:
the caller gets the first usable reply as soon as it arrives and moves on, while the
socket keeps listening; the finished record goes to the sink when the listening ends.

A query that gets no reply is sent again about a second later (a hedge: the first copy
still counts, the first answer wins), so one lost packet is not a failure and costs no
second timeout. A query where an honest network answers nothing (``expect_silence``: an
injection probe) is not resent and listens only ``ProbeContext.silence_s()`` from
sending, never the whole operation timeout (docs/design.md, "Waiting for silence").
"""

from __future__ import annotations

import contextlib
import heapq
import ipaddress
import itertools
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.records import DnsQuery, DnsReply

MAX_REPLIES = 16  # a flood of replies is evidence enough; keep the record small
MAX_PACKET = 4096
DEFAULT_LISTEN_S = 0.5
SILENCE_RECHECK_S = 0.1  # how often a silent query's window is looked at again


@dataclass(frozen=True)
class ParsedReply:
    reply: DnsReply
    usable: bool  # a well-formed reply to our question


def parse_reply(
    wire: bytes, query: dns.message.Message, source: str, elapsed: float
) -> ParsedReply:
    """Read one reply packet. Anything hostile becomes ``malformed``, never an exception."""
    elapsed_ms = round(elapsed * 1000.0, 2)
    try:
        message = dns.message.from_wire(wire, ignore_trailing=True)
    except Exception as exc:  # dnspython raises many types on hostile input
        reason = type(exc).__name__
        return ParsedReply(DnsReply(source, elapsed_ms, "", malformed=reason), False)
    rcode = dns.rcode.to_text(message.rcode())
    if message.id != query.id:
        return ParsedReply(DnsReply(source, elapsed_ms, rcode, malformed="wrong_id"), False)
    if not message.flags & dns.flags.QR:
        return ParsedReply(DnsReply(source, elapsed_ms, rcode, malformed="not_a_reply"), False)
    if not _same_question(message, query):
        return ParsedReply(DnsReply(source, elapsed_ms, rcode, malformed="wrong_question"), False)
    addresses: list[str] = []
    cnames: list[str] = []
    ttl: int | None = None
    for rrset in message.answer:
        if rrset.rdclass != dns.rdataclass.IN:
            continue
        if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            for rdata in rrset:
                address = _canonical_address(rdata.to_text())
                if address is not None and address not in addresses:
                    addresses.append(address)
            ttl = rrset.ttl if ttl is None else min(ttl, rrset.ttl)
        elif rrset.rdtype == dns.rdatatype.CNAME:
            cnames.extend(r.to_text().rstrip(".") for r in rrset)
    reply = DnsReply(
        source,
        elapsed_ms,
        rcode,
        tuple(addresses[:64]),
        tuple(cnames[:16]),
        ttl,
    )
    return ParsedReply(reply, True)


def _same_question(message: dns.message.Message, query: dns.message.Message) -> bool:
    if len(message.question) != 1:
        return False
    got, want = message.question[0], query.question[0]
    return bool(got.name == want.name and got.rdtype == want.rdtype and got.rdclass == want.rdclass)


def _canonical_address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def failure_of(reply: DnsReply, qtype: str) -> str | None:
    """The failure a usable reply stands for (None: it carries addresses)."""
    if reply.rcode == "NXDOMAIN":
        return failures.NXDOMAIN
    if reply.rcode == "SERVFAIL":
        return failures.DNS_SERVFAIL
    if reply.rcode == "REFUSED":
        return failures.DNS_REFUSED
    if reply.rcode != "NOERROR":
        return failures.DNS_MALFORMED
    if not reply.addresses:
        return failures.NO_ANSWER
    return None


@dataclass
class PendingQuery:
    """One query in flight. ``wait_first()`` returns as soon as the answer is known."""

    role: str
    resolver: str
    server: str
    name: str
    qtype: str
    listen_s: float
    started_s: float
    message: dns.message.Message
    sock: socket.socket | None
    sent_at: float
    deadline: float
    resend_at: float | None
    expect_silence: bool = False
    replies: list[DnsReply] = field(default_factory=list)
    first_usable: DnsReply | None = None
    first_at: float | None = None
    failure: str | None = None
    answered: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    record: DnsQuery | None = None

    def wait_first(self, timeout: float | None = None) -> tuple[tuple[str, ...], str | None]:
        """(addresses, failure) of the first usable reply, or the failure once known."""
        self.answered.wait(timeout)
        if not self.answered.is_set():
            return (), failures.TIMEOUT
        if self.first_usable is not None:
            failure = failure_of(self.first_usable, self.qtype)
            # Addresses beside an error rcode are no answer: a resolver library drops them.
            return (self.first_usable.addresses if failure is None else ()), failure
        return (), self.failure or failures.TIMEOUT

    def wait_record(self, timeout: float | None = None) -> DnsQuery | None:
        self.finished.wait(timeout)
        return self.record


class UdpDnsClient:
    """Sends queries and listens for every reply, for all queries, in one thread."""

    def __init__(self, ctx: ProbeContext, sink: Callable[[DnsQuery], None]) -> None:
        self._ctx = ctx
        self._sink = sink
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._pending: dict[int, PendingQuery] = {}  # by socket fd
        # (when, tie-breaker, query): when each query is next due for a look
        self._events: list[tuple[float, int, PendingQuery]] = []
        self._seq = itertools.count()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._loop, name="clearsight-dns", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(
        self,
        server: str,
        name: str,
        qtype: str,
        *,
        role: str,
        resolver: str,
        listen_s: float = DEFAULT_LISTEN_S,
        timeout_s: float | None = None,
        port: int = 53,
        expect_silence: bool = False,
    ) -> PendingQuery:
        """Send a query now. A failure to send is recorded, not raised. ``expect_silence``:
        an honest network sends no reply (see the module doc)."""
        message = dns.message.make_query(name, qtype)
        message.flags |= dns.flags.RD
        now = time.monotonic()
        deadline = self._ctx.op_deadline(timeout_s)
        started_s = self._ctx.elapsed_s()
        try:
            family = socket.AF_INET6 if ":" in server else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            return self._failed_at_once(server, name, qtype, role, resolver, started_s, exc)
        pending = PendingQuery(
            role=role,
            resolver=resolver,
            server=server,
            name=name,
            qtype=qtype,
            listen_s=max(listen_s, DEFAULT_LISTEN_S),
            started_s=started_s,
            message=message,
            sock=sock,
            sent_at=now,
            deadline=deadline,
            resend_at=None if expect_silence else now + self._ctx.hedge_after_s(),
            expect_silence=expect_silence,
        )
        try:
            sock.setblocking(False)
            # A connected socket: the kernel drops packets from other sources, and an
            # ICMP port-unreachable becomes ECONNREFUSED instead of a long silence.
            sock.connect((server, port))
            sock.send(message.to_wire())
        except OSError as exc:
            sock.close()
            return self._failed_at_once(server, name, qtype, role, resolver, started_s, exc)
        with self._lock:
            if self._closed:
                sock.close()
                return self._failed_at_once(
                    server, name, qtype, role, resolver, started_s, TimeoutError()
                )
            self._pending[sock.fileno()] = pending
            self._selector.register(sock, selectors.EVENT_READ, pending)
            heapq.heappush(self._events, (self._next_event(pending, now), next(self._seq), pending))
        self._wake()
        return pending

    def _failed_at_once(
        self,
        server: str,
        name: str,
        qtype: str,
        role: str,
        resolver: str,
        started_s: float,
        exc: BaseException,
    ) -> PendingQuery:
        failure = failures.failure_name(exc)
        record = DnsQuery(
            role=role,
            resolver=resolver,
            server=server,
            name=name,
            qtype=qtype,
            failure=failure,
            started_s=started_s,
        )
        pending = PendingQuery(
            role=role,
            resolver=resolver,
            server=server,
            name=name,
            qtype=qtype,
            listen_s=0.0,
            started_s=started_s,
            message=dns.message.make_query(name, qtype),
            sock=None,
            sent_at=time.monotonic(),
            deadline=time.monotonic(),
            resend_at=None,
            failure=failure,
            record=record,
        )
        pending.answered.set()
        pending.finished.set()
        self._sink(record)
        return pending

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def close(self) -> None:
        """Finish every query now (cancel or end of run)."""
        with self._lock:
            self._closed = True
        self._wake()

    def outstanding(self) -> int:
        with self._lock:
            return len(self._pending)

    def _loop(self) -> None:
        while True:
            now = time.monotonic()
            with self._lock:
                closed = self._closed
                if closed or self._ctx.cancelled:
                    due = list(self._pending.values())
                else:
                    due = []
                    while self._events and self._events[0][0] <= now:
                        due.append(heapq.heappop(self._events)[2])
            force_end = closed or self._ctx.cancelled
            for query in {id(q): q for q in due}.values():  # a query may be due twice
                if query.finished.is_set():
                    continue
                self._tick(query, now, force_end=force_end)
                if not query.finished.is_set():
                    self._schedule(query, now)
            with self._lock:
                if closed and not self._pending:
                    break
                wake_at = self._events[0][0] if self._events else now + 1.0
            wait = max(0.0, wake_at - time.monotonic())
            for key, _ in self._selector.select(timeout=min(wait, 0.25)):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                    continue
                self._receive(key.data)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _schedule(self, query: PendingQuery, now: float) -> None:
        """Look at ``query`` again at its next event (the loop then ticks only the queries
        that are due, not every one of hundreds at every reply)."""
        with self._lock:
            heapq.heappush(self._events, (self._next_event(query, now), next(self._seq), query))

    def _silence_over(self, query: PendingQuery) -> float:
        """When a query that nothing answered stops listening."""
        if not query.expect_silence:
            return query.deadline
        return min(query.deadline, query.sent_at + self._ctx.silence_s())

    def _next_event(self, query: PendingQuery, now: float) -> float:
        events = [self._silence_over(query)]
        if query.expect_silence and query.first_at is None:
            # The window follows the round trips measured meanwhile: look again soon.
            events.append(now + SILENCE_RECHECK_S)
        if query.first_at is not None:
            events.append(query.first_at + query.listen_s)
        if query.resend_at is not None and query.first_usable is None:
            events.append(query.resend_at)
        return min(events)

    def _receive(self, query: PendingQuery) -> None:
        sock = query.sock
        assert sock is not None
        while len(query.replies) < MAX_REPLIES:
            try:
                wire = sock.recv(MAX_PACKET)
            except BlockingIOError:
                return
            except OSError as exc:
                if query.first_usable is None and query.failure is None:
                    query.failure = failures.failure_name(exc)
                    query.answered.set()
                return
            now = time.monotonic()
            parsed = parse_reply(wire, query.message, query.server, now - query.sent_at)
            query.replies.append(parsed.reply)
            if parsed.usable and query.first_usable is None:
                query.first_usable = parsed.reply
                query.first_at = now
                query.answered.set()
                self._schedule(query, now)
        # The record is full, and nothing read later could change it (replies past the cap
        # are not kept), so the socket is no longer read until the query ends. Reading and
        # dropping a flood cost this one thread a system call per datagram, and every
        # other query's end waited behind it.
        with self._lock, contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def _tick(self, query: PendingQuery, now: float, *, force_end: bool) -> None:
        if query.first_usable is None and query.resend_at is not None and now >= query.resend_at:
            query.resend_at = None
            with contextlib.suppress(OSError, AttributeError):
                query.sock.send(query.message.to_wire())  # type: ignore[union-attr]
        listening_over = query.first_at is not None and now >= query.first_at + query.listen_s
        timed_out = query.first_at is None and now >= self._silence_over(query)
        if not (force_end or listening_over or timed_out):
            return
        self._finish(query, now)

    def _finish(self, query: PendingQuery, now: float) -> None:
        sock = query.sock
        assert sock is not None
        with self._lock:
            self._pending.pop(sock.fileno(), None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
        sock.close()
        first = query.first_usable
        if first is not None:
            failure = failure_of(first, query.qtype)
            # The reply itself (in ``replies``) keeps what it said.
            addresses = first.addresses if failure is None else ()
            elapsed = first.elapsed_ms
        else:
            failure = query.failure or (
                failures.DNS_MALFORMED if query.replies else failures.TIMEOUT
            )
            addresses = ()
            elapsed = None
        if first is None and self._ctx.cancelled and failure == failures.TIMEOUT:
            failure = failures.CANCELLED
        query.record = DnsQuery(
            role=query.role,
            resolver=query.resolver,
            server=query.server,
            name=query.name,
            qtype=query.qtype,
            addresses=addresses,
            failure=failure,
            replies=tuple(query.replies),
            elapsed_ms=elapsed,
            listened_ms=round((now - query.sent_at) * 1000.0, 2),
            started_s=query.started_s,
        )
        if first is None:
            query.failure = failure
        query.answered.set()
        query.finished.set()
        self._sink(query.record)
