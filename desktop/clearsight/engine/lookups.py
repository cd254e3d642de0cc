"""Name lookups through the system resolver, each asked once per run.

Every check that needs an address (services, the clock, captive-portal and exit checks,
VPN servers, the PAC file) asks here; the first usable reply is handed out as soon as it
arrives, while the query keeps listening for the forged and genuine replies that race
each other (``probes/dns_udp.py``).
"""

from __future__ import annotations

import ipaddress
import threading

from clearsight.engine.sink import ObservationSink
from clearsight.probes import failures
from clearsight.probes.context import ProbeContext
from clearsight.probes.dns_udp import PendingQuery, UdpDnsClient
from clearsight.probes.records import DnsQuery
from clearsight.probes.tcp import family_of


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class SystemResolver:
    """The system resolver's answers, one query per (name, type) and run."""

    def __init__(
        self,
        ctx: ProbeContext,
        dns: UdpDnsClient,
        nameservers: tuple[str, ...],
        sink: ObservationSink,
    ) -> None:
        self._ctx = ctx
        self.dns = dns
        self.nameservers = nameservers
        self._sink = sink
        self._lock = threading.Lock()
        self._queries: dict[tuple[str, str], PendingQuery] = {}

    def query(self, name: str, qtype: str) -> PendingQuery | None:
        """The query for ``name`` (sent on first use); None when no resolver is set."""
        key = (name, qtype)
        with self._lock:
            query = self._queries.get(key)
            if query is not None:
                return query
            if not self.nameservers:
                self._sink.add(
                    DnsQuery(
                        role="system",
                        resolver="system",
                        server="",
                        name=name,
                        qtype=qtype,
                        failure=failures.NO_RESOLVER,
                        started_s=self._ctx.elapsed_s(),
                    )
                )
                return None
            query = self.dns.submit(
                self.nameservers[0], name, qtype, role="system", resolver="system"
            )
            self._queries[key] = query
            return query

    def resolve(self, name: str, qtype: str = "A") -> tuple[tuple[str, ...], str | None]:
        """The first usable answer, as soon as it is known: (addresses, failure)."""
        if is_ip(name):
            wanted = "ipv6" if qtype == "AAAA" else "ipv4"
            return ((name,) if family_of(name) == wanted else ()), None
        query = self.query(name, qtype)
        if query is None:
            return (), failures.NO_RESOLVER
        return query.wait_first(timeout=max(0.0, self._ctx.remaining()))

    def resolve_both(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """(IPv4 addresses, IPv6 addresses, the failure when neither family resolved)."""
        if not is_ip(name):
            self.query(name, "A")  # both questions go out before either is awaited
            self.query(name, "AAAA")
        v4, fail4 = self.resolve(name, "A")
        v6, fail6 = self.resolve(name, "AAAA")
        return v4, v6, (None if v4 or v6 else (fail4 or fail6))


__all__ = ["SystemResolver", "is_ip"]
