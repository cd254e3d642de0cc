"""The services every flow of one run shares: where records go, the worker threads, the
lookups, the per-address scheduler, the trust stores."""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.engine.lookups import SystemResolver, is_ip
from clearsight.engine.pairs import PairProbes
from clearsight.engine.pool import WorkerPool
from clearsight.engine.reference import DohReference
from clearsight.engine.routes import EgressRoutes
from clearsight.engine.sink import ObservationSink
from clearsight.probes import tls
from clearsight.probes.context import ProbeContext
from clearsight.probes.records import Observation
from clearsight.profile.model import Profile, Service


@dataclass(frozen=True)
class Shared:
    profile: Profile
    services: tuple[Service, ...]  # the services measured (the user may skip sensitive ones)
    skipped: tuple[str, ...]  # ids of the services left out
    ctx: ProbeContext
    sink: ObservationSink
    pool: WorkerPool
    resolver: SystemResolver  # the system resolver's answers, one query per name
    reference: DohReference  # the DNS-over-HTTPS reference's answers
    pairs: PairProbes  # TCP connect and control handshake, once per (address, port)
    routes: EgressRoutes
    trust: tls.TrustStores  # for the probes' own handshakes
    # For requests: urllib3 adjusts the SSL contexts it is given, so they are not the
    # handshake probes' (building one costs ~10 ms).
    http_trust: tls.TrustStores
    vpn_checks: bool  # False only for benchmarks that measure what those checks cost

    def add(self, record: Observation) -> None:
        self.sink.add(record)

    def service_hosts(self) -> list[str]:
        """The host names (not addresses) of the measured services' URLs, in order."""
        hosts: dict[str, None] = {}
        for service in self.services:
            for host in service.hosts:
                if not is_ip(host):
                    hosts.setdefault(host, None)
        return list(hosts)


__all__ = ["Shared"]
