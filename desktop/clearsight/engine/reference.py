"""The DNS-over-HTTPS reference: what a name really resolves to, where it can be reached.

Every question waits for a server that has answered, instead of each one holding a
thread for a whole timeout against a server that is dropped (foreign DoH usually is,
from China):

* Finding a server is one race (``tcp.connect_first``): the profile's servers and
  bootstrap addresses, one resolver after another, start about a second apart, and the
  first to connect serves. An address that failed is recorded (``DohQuery`` with the
  failure, for the question that was waiting first) and not tried again. When nothing
  connects before the first attempt's time is up, the reference is unavailable for the
  rest of the run: one timeout, however many questions.
* The server that connected gets the questions on a few connections (``LANES``), each
  carrying many questions (``probes/doh.py``: pipelined, one round trip each).
* A server that breaks off (reset, timeout, a bad certificate) is given up and the
  unanswered questions go to the next race; one that merely closes after an answer gets
  them again on a new connection.
"""

from __future__ import annotations

import itertools
import socket
import ssl
import threading
from concurrent.futures import Future
from urllib.parse import urlsplit

from clearsight.engine.pool import WorkerPool
from clearsight.engine.sink import ObservationSink
from clearsight.probes import failures, tcp
from clearsight.probes.context import ProbeContext
from clearsight.probes.doh import Question, doh_queries
from clearsight.probes.records import DohQuery
from clearsight.profile.model import DohResolver

LANES = 4  # connections to the serving DoH server, each pipelining its questions
# A failure that ends the whole run's measuring: nothing is asked again after it.
_RUN_OVER = frozenset({failures.CANCELLED, failures.DEADLINE})

Server = tuple[DohResolver, str]  # (resolver, bootstrap address)


class DohReference:
    def __init__(
        self,
        ctx: ProbeContext,
        sink: ObservationSink,
        ssl_context: ssl.SSLContext,
        resolvers: tuple[DohResolver, ...],
    ) -> None:
        self._ctx = ctx
        self._sink = sink
        # Threads of its own (a race and the lanes): services wait for the reference, so
        # it must never queue behind them in a busy shared pool.
        self._pool = WorkerPool(LANES + 1, name="clearsight-doh")
        self._ssl = ssl_context
        # One resolver after another: every resolver gets its first address tried early.
        bootstraps = [[(r, b) for b in r.bootstrap] for r in resolvers]
        self._candidates: list[Server] = [
            s for row in itertools.zip_longest(*bootstraps) for s in row if s is not None
        ]
        self._lock = threading.Lock()
        self._futures: dict[Question, Future[DohQuery | None]] = {}
        self._last: dict[Question, DohQuery] = {}
        self._queue: list[Question] = []
        self._server: Server | None = None
        self._racing = False
        self._unavailable = False
        self._lanes = 0

    def close(self) -> None:
        """The run is over: no new connections (those under way end with the run)."""
        self._pool.close()

    @property
    def configured(self) -> bool:
        return bool(self._candidates)

    def lookup(self, name: str, qtype: str) -> Future[DohQuery | None]:
        """The reference's record for ``name`` (asked once per run): its answer, its last
        failure, or None when no server could be asked."""
        return self.ask([(name, qtype)])[0]

    def ask(self, questions: list[Question]) -> list[Future[DohQuery | None]]:
        """Ask several questions at once (they share connections)."""
        out: list[Future[DohQuery | None]] = []
        with self._lock:
            for question in questions:
                future = self._futures.get(question)
                if future is None:
                    future = self._futures[question] = Future()
                    if self._unavailable or not self._candidates:
                        future.set_result(None)
                    else:
                        self._queue.append(question)
                out.append(future)
        self._dispatch()
        return out

    # ------------------------------------------------------------------ internals
    def _dispatch(self) -> None:
        """Start a race when no server serves, or lanes for the questions queued; with no
        server left to ask, the queued questions are settled."""
        unasked: list[Question] = []
        batches: list[list[Question]] = []
        race = False
        with self._lock:
            server = self._server
            if not self._queue or self._racing:
                return
            if self._unavailable or (server is None and not self._candidates):
                self._unavailable = True
                unasked, self._queue = self._queue, []
            elif server is None:
                self._racing = race = True
            else:
                while self._queue and self._lanes < LANES:
                    share = -(-len(self._queue) // (LANES - self._lanes))  # ceiling division
                    batches.append(self._queue[:share])
                    del self._queue[:share]
                    self._lanes += 1
        self._settle(unasked)
        if race:
            self._pool.submit(self._race)
        for batch in batches:
            assert server is not None
            self._pool.submit(lambda b=batch: self._lane(server, b))  # type: ignore[misc]

    def _race(self) -> None:
        """Find a server that connects; its connection carries the first lane."""
        with self._lock:
            candidates = list(self._candidates)
            # The failure of a server that could not be reached is recorded once, for the
            # question that waited first (a race starts only when one waits).
            waiting = self._queue[0]
        by_target = {
            (bootstrap, _port(resolver)): (resolver, bootstrap)
            for resolver, bootstrap in candidates
        }
        connection = tcp.connect_first(self._ctx, list(by_target))
        dead: list[Server] = []
        winner: Server | None = None
        for attempt in connection.attempts:
            server = by_target[(attempt.address, attempt.port)]
            if attempt.failure is None:
                winner = server
                continue
            dead.append(server)
            self._keep(
                DohQuery(
                    resolver=server[0].name,
                    url=server[0].url,
                    bootstrap=attempt.address,
                    name=waiting[0],
                    qtype=waiting[1],
                    failure=attempt.failure,
                    elapsed_ms=attempt.elapsed_ms,
                    started_s=attempt.started_s,
                )
            )
        with self._lock:
            self._candidates = [s for s in self._candidates if s not in dead]
            self._racing = False
            first: list[Question] = []
            if winner is None or connection.sock is None:
                # Nothing connected in one timeout: no reference for this run.
                self._unavailable = True
            else:
                self._server = winner
                share = -(-len(self._queue) // LANES)  # ceiling division
                first, self._queue = self._queue[:share], self._queue[share:]
                self._lanes += 1
        self._dispatch()  # the other lanes start beside this one (or the queue is settled)
        if winner is not None and connection.sock is not None:
            self._lane(winner, first, connection.sock)

    def _lane(
        self, server: Server, batch: list[Question], sock: socket.socket | None = None
    ) -> None:
        resolver, bootstrap = server
        result = doh_queries(
            self._ctx, self._ssl, resolver.name, resolver.url, bootstrap, batch, sock=sock
        )
        for record in result.records:
            self._keep(record)
        answered = {(r.name, r.qtype) for r in result.records if r.http_status is not None}
        self._settle([q for q in batch if q in answered])
        with self._lock:
            self._lanes -= 1
            if result.server_failed and self._server == server:
                self._server = None
                self._candidates = [s for s in self._candidates if s != server]
            if result.failure in _RUN_OVER or self._ctx.cancelled:
                self._unavailable = True
            self._queue[:0] = list(result.unanswered)
        self._dispatch()

    def _keep(self, record: DohQuery) -> None:
        self._sink.add(record)
        with self._lock:
            self._last[(record.name, record.qtype)] = record

    def _settle(self, questions: list[Question]) -> None:
        """These questions are done: their futures get their last record (or None)."""
        for question in questions:
            with self._lock:
                future = self._futures[question]
                record = self._last.get(question)
            if not future.done():
                future.set_result(record)


def _port(resolver: DohResolver) -> int:
    return urlsplit(resolver.url).port or 443


__all__ = ["LANES", "DohReference"]
