"""Which way the OS would send each target the run contacts (a VPN that leaves some
traffic outside, a DNS leak): recorded once per address, no packet sent."""

from __future__ import annotations

import threading

from clearsight.engine.lookups import is_ip
from clearsight.engine.sink import ObservationSink
from clearsight.probes.context import ProbeContext
from clearsight.probes.network_info import egress_route, interfaces
from clearsight.probes.records import NetworkInterface


class EgressRoutes:
    def __init__(self, ctx: ProbeContext, sink: ObservationSink, *, enabled: bool) -> None:
        self._ctx = ctx
        self._sink = sink
        self.enabled = enabled  # False only for benchmarks without the VPN/proxy checks
        self._lock = threading.Lock()
        self._routed: set[str] = set()
        self._interfaces: tuple[NetworkInterface, ...] | None = None

    def know_interfaces(self, found: tuple[NetworkInterface, ...]) -> None:
        """The interfaces the network check already read (saves reading them again)."""
        with self._lock:
            self._interfaces = found

    def route(self, address: str, purpose: str) -> None:
        """Record once which interface the OS would use to reach ``address``."""
        if not self.enabled or not is_ip(address):
            return
        with self._lock:
            if address in self._routed:
                return
            self._routed.add(address)
            found = self._interfaces
        if found is None:
            found = interfaces()
            self.know_interfaces(found)
        self._sink.add(egress_route(address, purpose, found, self._ctx.elapsed_s()))


__all__ = ["EgressRoutes"]
