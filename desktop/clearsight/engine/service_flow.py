"""A service, measured the way a browser would reach it: for each URL, the host's
addresses (the system resolver's, and the reference's where they differ), and at each
address TCP, TLS with the real name, then HTTP on that same verified connection.

``measure_host`` measures one host of one URL. When the answer redirects to another
origin, the way goes on there as a browser's would (docs/design.md: the whole way
decides): the new host is measured like the first (the system resolver and the DoH
reference, the injection probes where the profile probes the services' own hosts, TCP
with its hedged retry, the innocuous control, TLS with the real name, HTTP), in the
thread whose request got the redirect, the moment it got it. A way follows at most
``MAX_CHAIN_REDIRECTS`` redirects in all (same-host ones included) and never visits a
URL twice; every hop's records are ordinary records of its own URL, so the diagnosis
finds the way again from the answers (``diagnosis/redirect_rules.py``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from clearsight.engine.lookups import is_ip
from clearsight.engine.shared import Shared
from clearsight.probes import failures, tcp, tls
from clearsight.probes.dns_udp import PendingQuery
from clearsight.probes.http import MAX_REDIRECTS, fetch
from clearsight.probes.records import HttpFetch
from clearsight.probes.urls import Endpoint, endpoint, redirect_target
from clearsight.profile.model import Service

MAX_ADDRESSES_PER_FAMILY = 8  # CDNs return many; measuring them all adds little time
MAX_REFERENCE_ADDRESSES = 2
SLOW_FETCH_MS = 2000.0
# Redirects one URL's way may take in all, to other hosts or on one host. docs/design.md
# allows at most 10; browsers allow 20, and real sign-in chains take four to six
# (office.com: www.office.com, www.microsoft365.com, login.microsoftonline.com, ...). A
# healthy way costs one host measurement per new host, so the bound matters only for a
# broken site, which the run's deadline bounds anyway.
MAX_CHAIN_REDIRECTS = 10


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


@dataclass
class _Way:
    """The URLs one profile URL's way has reached (a URL is measured once: a loop, or
    both address families sent to the same place, cost nothing more)."""

    purpose: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    visited: set[str] = field(default_factory=set)

    def claim(self, url: str) -> bool:
        with self.lock:
            if url in self.visited:
                return False
            self.visited.add(url)
            return True


class ServiceFlow:
    def __init__(self, shared: Shared) -> None:
        self.s = shared

    def run(self, service: Service) -> None:
        purpose = "domestic" if service.domestic else "foreign"
        self.s.pool.map(lambda url: self.measure_way(url, purpose), list(service.urls))

    def measure_way(self, url: str, purpose: str = "foreign") -> None:
        """``url`` and every host its redirects lead to."""
        way = _Way(purpose)
        way.claim(url)
        self.measure_host(url, purpose, way, 0)

    def measure_host(
        self, url: str, purpose: str = "foreign", way: _Way | None = None, spent: int = 0
    ) -> None:
        """One host of one URL. ``way``: the way this URL is on (redirects are followed
        from here), ``spent`` the redirects it took to get here (0: the profile's URL)."""
        s = self.s
        target = endpoint(url)
        host = target.host
        reference = not is_ip(host) and s.reference.configured
        if reference:
            s.reference.ask([(host, "A"), (host, "AAAA")])
        # A host met on the way: the questions the DNS check asks for the profile's hosts
        # from the start. Their records are awaited below (the run must not end before
        # they are in), while the host is measured.
        questions = self._questions_for_new_host(host, purpose) if spent else []
        v4, v6, _failure = s.resolver.resolve_both(host)
        local = list(v4[:MAX_ADDRESSES_PER_FAMILY]) + list(v6[:MAX_ADDRESSES_PER_FAMILY])
        for address in local:
            s.routes.route(address, purpose)
        requests = _Requests()

        def local_part() -> None:
            s.pool.map(lambda a: self._probe_address(url, target, a, requests, way, spent), local)

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
        for question in questions:
            question.wait_record(timeout=max(0.0, s.ctx.remaining()))

    def _questions_for_new_host(self, host: str, purpose: str) -> list[PendingQuery]:
        """The system resolver's questions for a host met on a redirect (sent now, so
        they are under way when ``resolve_both`` asks), and the injection probes' when the
        profile probes the hosts of its foreign services (the default): the same evidence
        the profile's own hosts get. An injection probe listens a fixed short time from
        sending (``ctx.silence_s()``), so it costs the host's measurement nothing."""
        s = self.s
        if is_ip(host):
            return []
        questions = [q for t in ("A", "AAAA") if (q := s.resolver.query(host, t)) is not None]
        injection = s.profile.dns_injection
        if (
            purpose == "foreign"
            and injection is not None
            and injection.names is None
            and host not in s.profile.injection_names
        ):
            questions += [
                s.resolver.dns.submit(
                    address,
                    host,
                    "A",
                    role="injection_probe",
                    resolver=f"probe {address}",
                    expect_silence=True,
                )
                for address in injection.probe_addresses
            ]
        return questions

    def _follow(self, result: HttpFetch, way: _Way | None, spent: int) -> None:
        """The answer sends the browser to another origin: measure it like the first, in
        this thread, now. Not past ``MAX_CHAIN_REDIRECTS`` (the diagnosis counts the same
        redirects and calls the way too long), never to a URL the way has been to."""
        if way is None or result.control:
            return
        target = redirect_target(result.url, result.status, result.final_url)
        if target is None:
            return
        taken = spent + len(result.redirects)
        if taken > MAX_CHAIN_REDIRECTS or not way.claim(target) or self.s.ctx.cancelled:
            return
        self.measure_host(target, way.purpose, way, taken)

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
        self,
        url: str,
        target: Endpoint,
        address: str,
        requests: _Requests | None,
        way: _Way | None = None,
        spent: int = 0,
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
                plain = fetch(
                    s.ctx, url, address, ssl_context=None, max_redirects=redirect_budget(spent)
                )
                s.add(plain)
                self._follow(plain, way, spent)
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
        result = fetch(
            s.ctx,
            url,
            address,
            ssl_context=context,
            opened=verified.sock,
            max_redirects=redirect_budget(spent),
        )
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
        self._follow(result, way, spent)


def redirect_budget(spent: int) -> int:
    """Same-host redirects one request may still follow on a way that took ``spent``."""
    return max(0, min(MAX_REDIRECTS, MAX_CHAIN_REDIRECTS - spent))


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


__all__ = ["MAX_CHAIN_REDIRECTS", "ServiceFlow", "redirect_budget"]
