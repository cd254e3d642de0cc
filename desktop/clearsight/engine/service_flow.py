"""A service, measured the way a browser would reach it: for each URL, the host's
addresses (the system resolver's, and the reference's where they differ), and at each
address TCP, TLS with the real name, then HTTP on that same verified connection.

``measure_host`` measures one host of one URL; following a chain of redirects host by
host would call it once per new host.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from clearsight.engine.lookups import is_ip
from clearsight.engine.shared import Shared
from clearsight.probes import failures, tcp, tls
from clearsight.probes.http import fetch
from clearsight.probes.records import HttpFetch
from clearsight.probes.urls import Endpoint, endpoint
from clearsight.profile.model import Service

MAX_ADDRESSES_PER_FAMILY = 8  # CDNs return many; measuring them all adds little time
MAX_REFERENCE_ADDRESSES = 2
SLOW_FETCH_MS = 2000.0


@dataclass
class _Requests:
    """One web request per address family and URL is enough to judge the web layer."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    families: set[str] = field(default_factory=set)

    def claim(self, address: str) -> bool:
        with self.lock:
            if tcp.family_of(address) in self.families:
                return False
            self.families.add(tcp.family_of(address))
            return True


class ServiceFlow:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    def run(self, service: Service) -> None:
        purpose = "domestic" if service.domestic else "foreign"
        self.s.pool.map(lambda url: self.measure_host(url, purpose), list(service.urls))

    def measure_host(self, url: str, purpose: str = "foreign") -> None:
        s = self.s
        target = endpoint(url)
        host = target.host
        reference = not is_ip(host) and s.reference.configured
        if reference:
            s.reference.ask([(host, "A"), (host, "AAAA")])
        v4, v6, _failure = s.resolver.resolve_both(host)
        local = list(v4[:MAX_ADDRESSES_PER_FAMILY]) + list(v6[:MAX_ADDRESSES_PER_FAMILY])
        for address in local:
            s.routes.route(address, purpose)
        requests = _Requests()

        def local_part() -> None:
            s.pool.map(lambda a: self._probe_address(url, target, a, requests), local)

        def reference_part() -> None:
            # The reference's addresses, where they differ from the local answer: do they
            # present a valid certificate for the name? (docs/design.md, the DNS rules.)
            # Probed alongside the local ones, so a blackholed local answer costs no
            # extra time.
            if not reference:
                return
            extra = [a for a in self._reference_addresses(host) if a not in local]
            s.pool.map(lambda a: self._probe_address(url, target, a, None), extra)

        s.pool.map(lambda part: part(), [local_part, reference_part])

    def _reference_addresses(self, host: str) -> list[str]:
        s = self.s
        found: list[str] = []
        for future in s.reference.ask([(host, "A"), (host, "AAAA")]):
            with contextlib.suppress(Exception):
                record = future.result(timeout=max(0.0, s.ctx.remaining()))
                if record is not None and record.failure is None:
                    found.extend(record.addresses[:MAX_REFERENCE_ADDRESSES])
        return found

    def _probe_address(
        self, url: str, target: Endpoint, address: str, requests: _Requests | None
    ) -> None:
        """TCP (shared per address), TLS with the real name, and, for a local address
        whose family has no request yet (``requests``), HTTP on the verified connection.
        A reference address (``requests`` None) needs only the handshake as evidence."""
        s = self.s
        if s.ctx.cancelled:
            return
        host, port = target.host, target.port
        if not target.tls:
            if (
                s.pairs.connect(address, port, False) is None
                and requests
                and requests.claim(address)
            ):
                s.add(fetch(s.ctx, url, address, ssl_context=None))
            return
        # The real-name handshake's connection opens while the innocuous control runs: a
        # round trip saved, and no name is sent before the control is done. (Through
        # ``map``: a busy pool then runs both here, one after the other, and never waits.)
        pair: list[str | None] = []
        early: list[tcp.Connection] = []

        def control() -> None:
            pair.append(s.pairs.connect(address, port, True))

        def connect_early() -> None:
            early.append(tcp.connect(s.ctx, address, port))

        steps: list[Callable[[], None]] = [control, connect_early]
        s.pool.map(lambda step: step(), steps)
        pair_failure, connection = pair[0], early[0]
        if pair_failure is not None:
            if connection.sock is not None:
                connection.sock.close()
            return
        since, previous = s.pairs.note_real_name(address, port, host)
        verified = tls.real_name_connection(
            s.ctx,
            s.trust,
            address,
            port,
            host,
            since_real_name_probe_s=since,
            previous_real_name=previous,
            sock=connection.sock,
        )
        s.add(verified.record)
        if verified.sock is None:
            return
        if requests is None or not requests.claim(address):
            with contextlib.suppress(OSError):
                verified.sock.close()
            return
        context = s.http_trust.system if verified.trusted_by == "system" else s.http_trust.public
        result = fetch(s.ctx, url, address, ssl_context=context, opened=verified.sock)
        s.add(result)
        if _looks_throttled(result) or _unanswered(result):
            # Same address, an innocuous name: a fast transfer (or any answer) here means the
            # service's name is being throttled (or stonewalled), not the server being slow.
            s.add(
                fetch(
                    s.ctx,
                    url,
                    address,
                    ssl_context=s.http_trust.unverified,
                    server_name=tls.CONTROL_SERVER_NAME,
                    control=True,
                )
            )


def _unanswered(result: HttpFetch) -> bool:
    """The request over a good secure connection got no answer at all."""
    return result.status is None and result.failure in failures.UNANSWERED


def _looks_throttled(result: HttpFetch) -> bool:
    if result.stalled:
        return True
    return (
        result.failure is None
        and result.elapsed_ms is not None
        and result.elapsed_ms > SLOW_FETCH_MS
        and result.body_bytes > 0
    )


__all__ = ["ServiceFlow"]
