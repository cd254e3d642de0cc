"""Builders for the observations of one run, shaped the way ``engine/run.py`` records them.

A ``Scenario`` collects records; ``build()`` returns them with the ``RunPlan`` first. The
low-level methods add one record each (``dns``, ``doh``, ``tcp``, ``control``, ``tls``,
``http``, ...); ``site`` adds a whole working chain for a service the way a real run does:
system A/AAAA, DoH A/AAAA, then per address the TCP connect, the innocuous-name control
handshake, the real-name handshake and one web request per family.

Addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32) and names are ``.test`` / ``.example``; a few rows use real addresses of
the published forged pool (``POOL_*``), which are Facebook's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from clearsight.probes.records import (
    CaptiveCheck,
    Certificate,
    ClientSeen,
    ClockCheck,
    DnsQuery,
    DnsReply,
    DohQuery,
    EgressRoute,
    ExitCheck,
    HttpFetch,
    InterfaceAddress,
    NetworkChange,
    NetworkEnvironment,
    NetworkInterface,
    Observation,
    PlannedService,
    ProxyConfig,
    ProxySource,
    Redirect,
    RunPlan,
    SystemVpnService,
    TcpConnect,
    TlsHandshake,
    Unfinished,
    VpnEndpointProbe,
)

SYSTEM_RESOLVER = "192.168.1.1"
DOH_NAME = "Reference DoH"
DOH_URL = "https://doh.example/dns-query"
DOH_BOOTSTRAP = "198.51.100.1"
INJECTION_PROBE = "198.51.100.99"
CONTROL_NAME = "example.com"  # the engine's innocuous control name

# Real addresses from resources/forged_pools/gfw-forged-a.txt (Facebook's own).
POOL_A = "31.13.94.37"
POOL_B = "157.240.17.35"
POOL_AAAA = "2a03:2880:f130:83:face:b00c:0:25de"

DOMESTIC_URL = "https://www.domestic.test/"
DOMESTIC_HOST = "www.domestic.test"
DOMESTIC_ADDR = "192.0.2.10"
FOREIGN_URL = "https://docs.foreign.test/"
FOREIGN_HOST = "docs.foreign.test"
FOREIGN_ADDR = "203.0.113.20"

VERIFY_TO_FAILURE = {
    "ok": None,
    "untrusted": "tls_cert_untrusted",
    "name_mismatch": "tls_cert_name_mismatch",
    "expired": "tls_cert_expired",
    "not_yet_valid": "tls_cert_not_yet_valid",
}


def family(address: str) -> str:
    return "ipv6" if ":" in address else "ipv4"


def qtype_of(address: str) -> str:
    return "AAAA" if ":" in address else "A"


def cert(
    name: str,
    *,
    issuer: str = "R11",
    org: str = "Let's Encrypt",
    not_before: str = "2025-01-01T00:00:00+00:00",
    not_after: str = "2026-12-31T00:00:00+00:00",
    sans: Sequence[str] | None = None,
    self_signed: bool = False,
) -> Certificate:
    return Certificate(
        subject=f"CN={name}",
        common_name=name,
        sans=tuple(sans if sans is not None else (name,)),
        issuer=f"CN={issuer},O={org}",
        issuer_common_name=issuer,
        not_before=not_before,
        not_after=not_after,
        sha256=hashlib.sha256(f"{name}|{issuer}|{not_after}".encode()).hexdigest(),
        self_signed=self_signed,
    )


@dataclass
class Scenario:
    """The observations of one run. Methods return ``self`` so rows read as one chain."""

    country: str = "CN"
    timeout_s: float = 5.0
    deadline_s: float = 20.0
    injection_probes: tuple[str, ...] = (INJECTION_PROBE,)
    egress_ipv6: str | None = None
    services: list[PlannedService] = field(default_factory=list)
    records: list[Observation] = field(default_factory=list)
    clock_done: bool = False
    platform: str = "Linux"
    vpn_expected: bool = False
    endpoint_names: list[str] = field(default_factory=list)
    redirect_limit: int = 10  # as the engine records it (0: a report from before chains)

    # ------------------------------------------------------------------ the plan
    def service(
        self,
        service_id: str,
        *urls: str,
        domestic: bool = False,
        known_networks: Iterable[str] = (),
        name: str | None = None,
        group: str = "Test",
    ) -> Scenario:
        self.services.append(
            PlannedService(
                id=service_id,
                name=name or service_id.capitalize(),
                group=group,
                urls=tuple(urls),
                domestic=domestic,
                known_networks=tuple(known_networks),
            )
        )
        return self

    def plan(self) -> RunPlan:
        return RunPlan(
            profile_name="Test profile",
            country=self.country,
            timeout_s=self.timeout_s,
            deadline_s=self.deadline_s,
            services=tuple(self.services),
            resolvers=(),
            doh=(DOH_URL,),
            injection_probe_addresses=self.injection_probes,
            platform=self.platform,
            vpn_expected=self.vpn_expected,
            vpn_endpoints=tuple(self.endpoint_names),
            redirect_limit=self.redirect_limit,
        )

    def add(self, *records: Observation) -> Scenario:
        self.records.extend(records)
        return self

    # ------------------------------------------------------------------ DNS
    def dns(
        self,
        name: str,
        addresses: Sequence[str] = (),
        *,
        qtype: str | None = None,
        failure: str | None = None,
        replies: Sequence[Sequence[str]] | None = None,
        rcode: str | None = None,
        server: str = SYSTEM_RESOLVER,
        role: str = "system",
    ) -> Scenario:
        """The system resolver's A and AAAA queries (or one ``qtype``). ``replies``: every
        reply heard, in order (the first usable one gives ``addresses``)."""
        qtypes = (qtype,) if qtype else ("A", "AAAA")
        for qt in qtypes:
            if replies is not None:
                heard = [[a for a in r if qtype_of(a) == qt] for r in replies]
                heard = [r for r in heard if r] or []
                reply_records = tuple(
                    DnsReply(server, 20.0 + 150.0 * i, "NOERROR", tuple(r))
                    for i, r in enumerate(heard)
                )
                first = heard[0] if heard else []
                if not reply_records:
                    reply_records = (DnsReply(server, 25.0, "NOERROR"),)
                self.records.append(
                    DnsQuery(
                        role=role,
                        resolver="system" if role == "system" else role,
                        server=server,
                        name=name,
                        qtype=qt,
                        addresses=tuple(first),
                        failure=None if first else "no_answer",
                        replies=reply_records,
                        elapsed_ms=20.0,
                        listened_ms=520.0,
                    )
                )
                continue
            mine = tuple(a for a in addresses if qtype_of(a) == qt)
            if failure is not None:
                code = rcode or {"nxdomain": "NXDOMAIN", "dns_servfail": "SERVFAIL"}.get(failure)
                reply = (DnsReply(server, 25.0, code),) if code else ()
                self.records.append(
                    DnsQuery(
                        role=role,
                        resolver="system" if role == "system" else role,
                        server=server,
                        name=name,
                        qtype=qt,
                        failure=failure,
                        replies=reply,
                        listened_ms=5000.0 if failure == "timeout" else 525.0,
                    )
                )
                continue
            self.records.append(
                DnsQuery(
                    role=role,
                    resolver="system" if role == "system" else role,
                    server=server,
                    name=name,
                    qtype=qt,
                    addresses=mine,
                    failure=None if mine else "no_answer",
                    replies=(DnsReply(server, 18.0, "NOERROR", mine, ttl=300),),
                    elapsed_ms=18.0,
                    listened_ms=520.0,
                )
            )
        return self

    def doh(
        self,
        name: str,
        addresses: Sequence[str] = (),
        *,
        failure: str | None = None,
        rcode: str = "NOERROR",
        qtype: str | None = None,
    ) -> Scenario:
        """The DoH reference's A and AAAA answers; ``failure`` (e.g. ``timeout``): no answer."""
        for qt in (qtype,) if qtype else ("A", "AAAA"):
            if failure is not None:
                self.records.append(
                    DohQuery(
                        resolver=DOH_NAME,
                        url=DOH_URL,
                        bootstrap=DOH_BOOTSTRAP,
                        name=name,
                        qtype=qt,
                        failure=failure,
                        elapsed_ms=5000.0 if failure == "timeout" else 80.0,
                    )
                )
                continue
            mine = tuple(a for a in addresses if qtype_of(a) == qt)
            fail = None
            if rcode == "NXDOMAIN":
                fail = "nxdomain"
            elif not mine:
                fail = "no_answer"
            self.records.append(
                DohQuery(
                    resolver=DOH_NAME,
                    url=DOH_URL,
                    bootstrap=DOH_BOOTSTRAP,
                    name=name,
                    qtype=qt,
                    addresses=mine,
                    rcode=rcode,
                    http_status=200,
                    failure=fail,
                    elapsed_ms=120.0,
                )
            )
        return self

    def injection(
        self, name: str, addresses: Sequence[str] = (), *, probe: str = INJECTION_PROBE
    ) -> Scenario:
        """The injection probe's query for ``name``: silence, or the answers injected."""
        replies = tuple(
            DnsReply(probe, 40.0 + 5.0 * i, "NOERROR", (a,)) for i, a in enumerate(addresses)
        )
        self.records.append(
            DnsQuery(
                role="injection_probe",
                resolver=f"probe {probe}",
                server=probe,
                name=name,
                qtype="A",
                addresses=tuple(addresses[:1]),
                failure=None if addresses else "timeout",
                replies=replies,
                elapsed_ms=40.0 if addresses else None,
                listened_ms=1040.0,
            )
        )
        return self

    def nxdomain_probe(
        self, addresses: Sequence[str] = (), *, failure: str | None = None
    ) -> Scenario:
        if failure is not None:
            self.records.append(
                DnsQuery(
                    role="nxdomain_probe",
                    resolver="system",
                    server=SYSTEM_RESOLVER,
                    name="nx-0123456789abcdef.test",
                    qtype="A",
                    failure=failure,
                    listened_ms=5000.0,
                )
            )
            return self
        self.records.append(
            DnsQuery(
                role="nxdomain_probe",
                resolver="system",
                server=SYSTEM_RESOLVER,
                name="nx-0123456789abcdef.test",
                qtype="A",
                addresses=tuple(addresses),
                failure=None if addresses else "nxdomain",
                replies=(
                    DnsReply(
                        SYSTEM_RESOLVER,
                        20.0,
                        "NOERROR" if addresses else "NXDOMAIN",
                        tuple(addresses),
                    ),
                ),
                elapsed_ms=20.0,
                listened_ms=520.0,
            )
        )
        return self

    # ------------------------------------------------------------------ TCP / TLS
    def tcp(
        self,
        address: str,
        port: int = 443,
        failure: str | None = None,
        *,
        retry: str | bool | None = True,
        elapsed_ms: float = 40.0,
    ) -> Scenario:
        """One connect; a timeout is retried once like the engine does (``retry``: the
        second attempt's failure, None for success, False for no second attempt)."""
        self.records.append(
            TcpConnect(
                address=address,
                port=port,
                family=family(address),
                failure=failure,
                elapsed_ms=None if failure == "timeout" else elapsed_ms,
                attempt=1,
            )
        )
        if failure == "timeout" and retry is not False:
            second = "timeout" if retry is True else retry
            self.records.append(
                TcpConnect(
                    address=address,
                    port=port,
                    family=family(address),
                    failure=second,
                    elapsed_ms=None if second == "timeout" else elapsed_ms,
                    attempt=2,
                )
            )
        return self

    def control(
        self,
        address: str,
        port: int = 443,
        failure: str | None = None,
        *,
        responded: bool | None = None,
    ) -> Scenario:
        """The innocuous-name handshake the engine makes right after the TCP connect."""
        self.records.append(
            TlsHandshake(
                address=address,
                port=port,
                server_name=CONTROL_NAME,
                control=True,
                failure=failure,
                server_responded=(failure is None) if responded is None else responded,
                tls_version="TLSv1.3" if failure is None else None,
                certificate=cert("default.cdn.example") if failure is None else None,
                elapsed_ms=60.0,
            )
        )
        return self

    def tls(
        self,
        address: str,
        name: str,
        *,
        port: int = 443,
        verify: str = "ok",
        os_verify: str | None = None,
        failure: str | None = None,
        certificate: Certificate | None = None,
        since_real_name_probe_s: float | None = None,
        previous_real_name: str | None = None,
    ) -> Scenario:
        """The real-name handshake. ``verify``: certifi's view; ``os_verify``: the OS
        store's (asked only when certifi's failed); ``failure``: a connection failure
        (reset, timeout, ...) instead of a certificate."""
        if failure is not None:
            self.records.append(
                TlsHandshake(
                    address=address,
                    port=port,
                    server_name=name,
                    failure=failure,
                    server_responded=failure == "tls_alert",
                    elapsed_ms=5000.0 if failure == "timeout" else 70.0,
                    since_real_name_probe_s=since_real_name_probe_s,
                    previous_real_name=previous_real_name,
                )
            )
            return self
        cert_failure = VERIFY_TO_FAILURE[verify]
        if os_verify is None:
            os_verify = "not_checked" if verify == "ok" else verify
        if certificate is None:
            certificate = cert(name) if verify in ("ok", "expired", "not_yet_valid") else None
        self.records.append(
            TlsHandshake(
                address=address,
                port=port,
                server_name=name,
                failure=cert_failure,
                server_responded=True,
                tls_version="TLSv1.3" if cert_failure is None else None,
                verify=verify,
                os_verify=os_verify,
                verify_error=cert_failure,
                certificate=certificate,
                elapsed_ms=70.0,
                since_real_name_probe_s=since_real_name_probe_s,
                previous_real_name=previous_real_name,
            )
        )
        return self

    # ------------------------------------------------------------------ HTTP
    def http(
        self,
        url: str,
        address: str,
        *,
        status: int | None = 200,
        failure: str | None = None,
        elapsed_ms: float = 400.0,
        body_bytes: int = 30_000,
        stalled: bool = False,
        title: str | None = "Home",
        body_prefix: str = "<!doctype html><html><head><title>Home</title>",
        redirect_to: str | None = None,
        control: bool = False,
    ) -> Scenario:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        redirects: tuple[Redirect, ...] = ()
        final_url: str | None = url if status is not None else None
        if redirect_to is not None:
            redirects = (Redirect(302, redirect_to),)
            final_url = redirect_to
            status = 302
            body_bytes = 0
            title = None
            body_prefix = ""
        self.records.append(
            HttpFetch(
                url=url,
                host=host,
                address=address,
                port=port,
                control=control,
                status=status,
                redirects=redirects,
                final_url=final_url,
                body_bytes=body_bytes if status is not None else 0,
                body_complete=status is not None and not stalled and failure is None,
                stalled=stalled,
                body_prefix=body_prefix if status is not None else "",
                title=title if status is not None else None,
                failure=failure,
                ttfb_ms=min(elapsed_ms, 150.0) if status is not None else None,
                elapsed_ms=elapsed_ms,
            )
        )
        return self

    # ------------------------------------------------------------------ composites
    def chain(
        self,
        url: str,
        address: str,
        *,
        verify: str = "ok",
        os_verify: str | None = None,
        status: int | None = 200,
        elapsed_ms: float = 400.0,
        fetch: bool = True,
    ) -> Scenario:
        """TCP, control handshake, real-name handshake and (when the certificate passed
        and ``fetch``) a web request at one address, as the engine does."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        self.tcp(address, port)
        if https:
            self.control(address, port)
            self.tls(address, host, port=port, verify=verify, os_verify=os_verify)
            trusted = verify == "ok" or os_verify == "ok"
            if not trusted:
                return self
        if fetch:
            self.http(url, address, status=status, elapsed_ms=elapsed_ms)
        return self

    def site(
        self,
        url: str,
        addresses: Sequence[str],
        *,
        doh: Sequence[str] | None = None,
        verify: str = "ok",
        os_verify: str | None = None,
        status: int | None = 200,
        elapsed_ms: float = 400.0,
        doh_failure: str | None = None,
    ) -> Scenario:
        """A name that resolves the same locally and at the reference, and works."""
        host = (urlsplit(url).hostname or "").lower()
        self.dns(host, addresses)
        self.doh(host, addresses if doh is None else doh, failure=doh_failure)
        fetched: set[str] = set()
        for address in addresses:
            fam = family(address)
            self.chain(
                url,
                address,
                verify=verify,
                os_verify=os_verify,
                status=status,
                elapsed_ms=elapsed_ms,
                fetch=fam not in fetched,
            )
            fetched.add(fam)
        return self

    def reference_probe(
        self, url: str, address: str, *, verify: str = "ok", tcp_failure: str | None = None
    ) -> Scenario:
        """The engine's check of a reference (DoH) address that the local answer lacks:
        TCP, control, real-name handshake, no web request."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port or 443
        self.tcp(address, port, tcp_failure)
        if tcp_failure is None:
            self.control(address, port)
            self.tls(address, host, port=port, verify=verify)
        return self

    # ------------------------------------------------------------------ the rest
    def clock(self, skew_s: float | None = 0.4, *, failure: str | None = None) -> Scenario:
        self.clock_done = True
        self.records.append(
            ClockCheck(
                url=DOMESTIC_URL,
                address=DOMESTIC_ADDR if failure is None else None,
                server_date="2025-06-01T08:00:00+00:00" if skew_s is not None else None,
                local_time="2025-06-01T08:00:00+00:00" if skew_s is not None else None,
                skew_s=skew_s,
                failure=failure,
            )
        )
        return self

    def captive(
        self,
        *,
        matched: bool = True,
        status: int | None = 204,
        location: str | None = None,
        failure: str | None = None,
        url: str = "http://captive.domestic.test/generate_204",
    ) -> Scenario:
        self.records.append(
            CaptiveCheck(
                url=url,
                expect_status=204,
                addresses=("192.0.2.204",) if failure is None else (),
                status=status if failure is None else None,
                location=location,
                matched=matched and failure is None,
                failure=failure,
                elapsed_ms=50.0,
            )
        )
        return self

    def exit(self, *, ip: str | None = "198.51.100.200", country: str | None = "CN") -> Scenario:
        self.records.append(
            ExitCheck(
                url="https://trace.example/cdn-cgi/trace",
                address="198.51.100.2",
                ip=ip,
                country=country if ip else None,
                failure=None if ip else "timeout",
                elapsed_ms=300.0,
            )
        )
        return self

    def network(self, *, limited: Sequence[str] = ()) -> Scenario:
        self.records = [r for r in self.records if not isinstance(r, NetworkEnvironment)]
        self.records.append(
            NetworkEnvironment(
                interfaces=(
                    NetworkInterface(
                        name="wlan0",
                        is_up=True,
                        addresses=(InterfaceAddress("ipv4", "192.168.1.10", "255.255.255.0"),),
                        mtu=1500,
                    ),
                ),
                egress_ipv4="192.168.1.10",
                egress_ipv4_interface="wlan0",
                egress_ipv6=self.egress_ipv6,
                egress_ipv6_interface="wlan0" if self.egress_ipv6 else None,
                system_resolvers=(SYSTEM_RESOLVER,),
                limited=tuple(limited),
            )
        )
        return self

    # ------------------------------------------------------------------ VPN and proxy
    def environment(
        self,
        *interfaces: NetworkInterface,
        clients: Sequence[ClientSeen] = (),
        vpn_services: Sequence[SystemVpnService] = (),
        egress_ipv6_interface: str | None = None,
    ) -> Scenario:
        """Replace the network record: the LAN interface ``wlan0`` plus ``interfaces``."""
        self.records = [r for r in self.records if not isinstance(r, NetworkEnvironment)]
        lan = NetworkInterface(
            name="wlan0",
            is_up=True,
            addresses=(InterfaceAddress("ipv4", "192.168.1.10", "255.255.255.0"),),
            mtu=1500,
            flags=("up", "broadcast", "running", "multicast"),
            link_type="ether",
        )
        self.records.append(
            NetworkEnvironment(
                interfaces=(lan, *interfaces),
                egress_ipv4="192.168.1.10",
                egress_ipv4_interface="wlan0",
                egress_ipv6=self.egress_ipv6,
                egress_ipv6_interface=egress_ipv6_interface,
                system_resolvers=(SYSTEM_RESOLVER,),
                clients=tuple(clients),
                vpn_services=tuple(vpn_services),
            )
        )
        return self

    def route(self, target: str, interface: str | None, *, purpose: str = "foreign") -> Scenario:
        local = {"wlan0": "192.168.1.10"}.get(interface or "", "10.8.0.2")
        if ":" in target:
            local = "2001:db8:1::10" if interface == "wlan0" else "fd00:8::2"
        self.records.append(
            EgressRoute(
                target=target,
                purpose=purpose,
                family=family(target),
                local_address=local if interface else None,
                interface=interface,
                failure=None if interface else "network_unreachable",
            )
        )
        return self

    def routes(self, interface: str, *, domestic: str | None = None) -> Scenario:
        """Routes for the baseline's targets: the system resolver, the DoH reference, the
        foreign and domestic services (``domestic``: their own interface)."""
        self.route(SYSTEM_RESOLVER, interface, purpose="resolver")
        self.route(DOH_BOOTSTRAP, interface, purpose="reference")
        self.route(FOREIGN_ADDR, interface, purpose="foreign")
        self.route(DOMESTIC_ADDR, domestic or interface, purpose="domestic")
        return self

    def proxy(
        self, *sources: ProxySource, pac_status: int | None = None, pac_url: str | None = None
    ) -> Scenario:
        self.records.append(
            ProxyConfig(sources=tuple(sources), pac_url=pac_url, pac_status=pac_status)
        )
        return self

    def proxy_fetch(
        self,
        url: str,
        proxy: str = "127.0.0.1:7890",
        *,
        status: int | None = 200,
        failure: str | None = None,
        proxy_status: int | None = None,
        elapsed_ms: float = 600.0,
    ) -> Scenario:
        host, _, port = proxy.rpartition(":")
        self.records.append(
            HttpFetch(
                url=url,
                host=(urlsplit(url).hostname or "").lower(),
                address=host,
                port=int(port),
                via="proxy",
                status=status if failure is None else None,
                body_bytes=20_000 if failure is None and status else 0,
                body_complete=failure is None and status is not None,
                failure=failure,
                elapsed_ms=elapsed_ms,
                proxy=proxy,
                proxy_status=proxy_status,
            )
        )
        return self

    def endpoint(
        self,
        name: str,
        protocol: str,
        *,
        port: int = 1194,
        host: str = "vpn.example",
        address: str = "198.51.100.50",
        replied: bool = False,
        failure: str | None = None,
        detail: str = "",
        tcp_connected: bool | None = None,
        companion: bool = False,
    ) -> Scenario:
        if not companion and name not in self.endpoint_names:
            self.endpoint_names.append(name)
        self.records.append(
            VpnEndpointProbe(
                name=name,
                host=host,
                port=port,
                protocol=protocol,
                address=address,
                replied=replied,
                failure=failure,
                detail=detail,
                elapsed_ms=40.0,
                tcp_connected=tcp_connected,
                companion=companion,
            )
        )
        return self

    def unfinished(
        self, services: Sequence[str], *, reason: str = "deadline", checks: Sequence[str] = ()
    ) -> Scenario:
        self.records.append(
            Unfinished(
                reason=reason,
                checks=tuple(checks) or tuple(s.capitalize() for s in services),
                services=tuple(services),
            )
        )
        return self

    def network_change(
        self, *, lost: Sequence[str] = ("wlan0",), gained: Sequence[str] = (), at_s: float = 1.2
    ) -> Scenario:
        self.records.append(NetworkChange(started_s=at_s, lost=tuple(lost), gained=tuple(gained)))
        return self

    def build(self) -> tuple[Observation, ...]:
        return (self.plan(), *self.records)


def baseline(
    *, foreign_control: bool = True, doh_works: bool = True, egress_ipv6: str | None = None
) -> Scenario:
    """A working network: a domestic control, optionally a working foreign service, the
    clock, a captive check, the exit check, the environment, the NXDOMAIN probe. Rows add
    the service under test (and its injection-probe query) on top."""
    s = Scenario(egress_ipv6=egress_ipv6)
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    s.network()
    s.site(
        DOMESTIC_URL,
        [DOMESTIC_ADDR],
        elapsed_ms=300.0,
        doh_failure=None if doh_works else "timeout",
    )
    s.injection(DOMESTIC_HOST)  # the innocuous name: silence means no transparent DNS proxy
    if foreign_control:
        s.service("foreign", FOREIGN_URL, name="Foreign")
        s.site(
            FOREIGN_URL,
            [FOREIGN_ADDR],
            elapsed_ms=500.0,
            doh_failure=None if doh_works else "timeout",
        )
        s.injection(FOREIGN_HOST)
    s.nxdomain_probe()
    s.clock()
    s.captive()
    s.exit()
    return s
