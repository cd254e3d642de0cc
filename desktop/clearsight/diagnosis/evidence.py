"""The observations of one run, indexed the way the rules look them up."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearsight.probes.records import (
    CaptiveCheck,
    ClockCheck,
    DnsQuery,
    DohQuery,
    EgressRoute,
    ExitCheck,
    HttpFetch,
    NetworkChange,
    NetworkEnvironment,
    Observation,
    ProxyConfig,
    RunPlan,
    TcpConnect,
    TlsHandshake,
    Unfinished,
    VpnEndpointProbe,
)
from clearsight.probes.urls import endpoint


@dataclass
class Evidence:
    plan: RunPlan | None = None
    network: NetworkEnvironment | None = None
    system_dns: dict[tuple[str, str], DnsQuery] = field(default_factory=dict)
    resolver_dns: list[DnsQuery] = field(default_factory=list)
    injection: list[DnsQuery] = field(default_factory=list)
    nxdomain_probe: list[DnsQuery] = field(default_factory=list)
    doh: dict[tuple[str, str], list[DohQuery]] = field(default_factory=lambda: defaultdict(list))
    tcp: dict[tuple[str, int], list[TcpConnect]] = field(default_factory=lambda: defaultdict(list))
    control: dict[tuple[str, int], TlsHandshake] = field(default_factory=dict)
    tls: dict[tuple[str, int, str], TlsHandshake] = field(default_factory=dict)
    # Fetches by (URL, address): two URLs of one host can fare differently (another port,
    # another path), so one working URL never vouches for another.
    http: dict[tuple[str, str], list[HttpFetch]] = field(default_factory=lambda: defaultdict(list))
    http_control: dict[tuple[str, str], HttpFetch] = field(default_factory=dict)
    clocks: list[ClockCheck] = field(default_factory=list)
    captive: list[CaptiveCheck] = field(default_factory=list)
    exits: list[ExitCheck] = field(default_factory=list)
    unfinished: list[Unfinished] = field(default_factory=list)
    network_changes: list[NetworkChange] = field(default_factory=list)
    # VPN and proxy: routes per target, the proxy settings, what went through the proxy
    routes: dict[str, EgressRoute] = field(default_factory=dict)
    proxy: ProxyConfig | None = None
    proxy_http: dict[str, list[HttpFetch]] = field(default_factory=lambda: defaultdict(list))
    proxy_exits: list[ExitCheck] = field(default_factory=list)
    vpn_endpoints: list[VpnEndpointProbe] = field(default_factory=list)

    @classmethod
    def index(cls, observations: Iterable[Observation]) -> Evidence:
        ev = cls()
        for obs in observations:
            if isinstance(obs, RunPlan):
                ev.plan = obs
            elif isinstance(obs, NetworkEnvironment):
                ev.network = obs
            elif isinstance(obs, DnsQuery):
                if obs.role == "system":
                    ev.system_dns.setdefault((obs.name.lower(), obs.qtype), obs)
                elif obs.role == "resolver":
                    ev.resolver_dns.append(obs)
                elif obs.role == "injection_probe":
                    ev.injection.append(obs)
                elif obs.role == "nxdomain_probe":
                    ev.nxdomain_probe.append(obs)
            elif isinstance(obs, DohQuery):
                ev.doh[(obs.name.lower(), obs.qtype)].append(obs)
            elif isinstance(obs, TcpConnect):
                ev.tcp[(obs.address, obs.port)].append(obs)
            elif isinstance(obs, TlsHandshake):
                if obs.control:
                    ev.control.setdefault((obs.address, obs.port), obs)
                else:
                    ev.tls.setdefault((obs.address, obs.port, obs.server_name.lower()), obs)
            elif isinstance(obs, HttpFetch):
                if obs.via == "proxy":
                    ev.proxy_http[obs.url].append(obs)
                elif obs.control:
                    ev.http_control.setdefault((obs.url, obs.address), obs)
                else:
                    ev.http[(obs.url, obs.address)].append(obs)
            elif isinstance(obs, ClockCheck):
                ev.clocks.append(obs)
            elif isinstance(obs, CaptiveCheck):
                ev.captive.append(obs)
            elif isinstance(obs, ExitCheck):
                if obs.via == "proxy":
                    ev.proxy_exits.append(obs)
                else:
                    ev.exits.append(obs)
            elif isinstance(obs, EgressRoute):
                ev.routes.setdefault(obs.target, obs)
            elif isinstance(obs, ProxyConfig):
                ev.proxy = obs
            elif isinstance(obs, VpnEndpointProbe):
                ev.vpn_endpoints.append(obs)
            elif isinstance(obs, Unfinished):
                ev.unfinished.append(obs)
            elif isinstance(obs, NetworkChange):
                ev.network_changes.append(obs)
        return ev

    # ------------------------------------------------------------------ lookups
    def doh_answer(self, name: str, qtype: str) -> DohQuery | None:
        """The reference's answer: the first DoH query that got a DNS answer."""
        for record in self.doh.get((name, qtype), ()):
            if record.rcode is not None:
                return record
        return None

    def tcp_ok(self, address: str, port: int) -> bool | None:
        """True: connected; False: every attempt failed; None: not tried."""
        attempts = self.tcp.get((address, port))
        if not attempts:
            return None
        return any(a.failure is None for a in attempts)

    def tcp_failure(self, address: str, port: int) -> str | None:
        attempts = self.tcp.get((address, port))
        if not attempts or any(a.failure is None for a in attempts):
            return None
        return attempts[-1].failure

    def valid_certificate(self, address: str, port: int, name: str) -> bool:
        handshake = self.tls.get((address, port, name))
        return handshake is not None and (handshake.verify == "ok" or handshake.os_verify == "ok")

    def domestic_hosts(self) -> set[str]:
        """Host names of the domestic controls (the injection probe's innocuous names)."""
        hosts: set[str] = set()
        for service in self.plan.services if self.plan else ():
            if service.domestic:
                hosts.update(endpoint(u).host for u in service.urls)
        hosts.discard("")
        return hosts

    def intercepting_probes(self) -> set[str]:
        """Probe addresses that answered an innocuous name: a transparent DNS proxy answers
        for them, so what they say about other names is no sign of injection."""
        innocuous = self.domestic_hosts()
        return {
            q.server
            for q in self.injection
            if q.name.lower() in innocuous and any(r.addresses for r in q.replies)
        }

    def _path_probes(self, name: str) -> list[DnsQuery]:
        intercepting = self.intercepting_probes()
        return [
            q for q in self.injection if q.name.lower() == name and q.server not in intercepting
        ]

    def injected_answers(self, name: str) -> set[str]:
        """Addresses injected on the path for ``name`` (heard where no DNS server runs)."""
        found: set[str] = set()
        for query in self._path_probes(name):
            for reply in query.replies:
                found.update(reply.addresses)
        return found

    def injection_probed(self, name: str) -> bool:
        return bool(self._path_probes(name))

    def clock_skew_s(self) -> float | None:
        skews = [c.skew_s for c in self.clocks if c.skew_s is not None]
        return statistics.median(skews) if skews else None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.plan.services) if self.plan else ()

    @property
    def unfinished_services(self) -> set[str]:
        return {sid for u in self.unfinished for sid in u.services}

    def any_response(self) -> bool:
        """Did anything at all answer? (Not: offline.)"""
        if any(a.failure is None for attempts in self.tcp.values() for a in attempts):
            return True
        for query in [*self.system_dns.values(), *self.resolver_dns]:
            if any(r.malformed is None for r in query.replies):
                return True
        if any(d.http_status is not None for ds in self.doh.values() for d in ds):
            return True
        if any(c.status is not None for c in self.captive):
            return True
        return any(e.ip is not None for e in self.exits)
