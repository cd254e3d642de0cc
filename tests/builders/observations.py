"""The one builder of synthetic observations for the tests: the records of a run, shaped the
way ``engine/run.py`` records them, so the real ``diagnose()`` turns them into verdicts.

The diagnosis tables (``tests/unit/diagnosis``), the report scenarios
(``tests/unit/report/scenarios.py``) and the window's runs of the built-in profile
(``tests/gui/scenarios.py``) all build their records here; those modules only say what
their runs hold (which services, which network, which secrets).

A ``Scenario`` collects records; ``build()`` returns them with the ``RunPlan`` first. The
low-level methods add one record each (``dns``, ``doh``, ``tcp``, ``control``, ``tls``,
``http``, ...); ``site`` adds a whole working chain for a service the way a real run does:
system A/AAAA, DoH A/AAAA, then per address the TCP connect, the innocuous-name control
handshake, the real-name handshake and one web request per family. A scenario's network
(its system resolver, DoH reference, injection probe) and its plan (profile name,
resolvers, ...) are fields; ``Scenario.for_profile`` plans a run of a ``Profile``, and a
``Ticker`` stamps each record's ``started_s`` as the run goes on.

Addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
2001:db8::/32) and names are ``.test`` / ``.example``; a few rows use real addresses of
the published forged pool (``POOL_*``), which are Facebook's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
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
from clearsight.profile.model import Profile

SYSTEM_RESOLVER = "192.168.1.1"
LAN_V4 = "192.168.1.10"
DOH_NAME = "Reference DoH"
DOH_URL = "https://doh.example/dns-query"
DOH_BOOTSTRAP = "198.51.100.1"
INJECTION_PROBE = "198.51.100.99"
CONTROL_NAME = "example.com"  # the engine's innocuous control name
TRACE_URL = "https://trace.example/cdn-cgi/trace"

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


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def cert(
    name: str,
    *,
    issuer: str = "R11",
    org: str | None = "Let's Encrypt",
    country: str | None = None,
    not_before: str = "2025-01-01T00:00:00+00:00",
    not_after: str = "2026-12-31T00:00:00+00:00",
    sans: Sequence[str] | None = None,
    self_signed: bool = False,
    subject: str | None = None,
    common_name: str | None = None,
    sha256: str | None = None,
) -> Certificate:
    """A certificate for ``name``; the issuer's name is ``CN=issuer,O=org,C=country``
    (without the parts given as None)."""
    issuer_dn = ",".join(
        f"{key}={value}"
        for key, value in (("CN", issuer), ("O", org), ("C", country))
        if value is not None
    )
    return Certificate(
        subject=subject or f"CN={name}",
        common_name=common_name or name,
        sans=tuple(sans if sans is not None else (name,)),
        issuer=issuer_dn,
        issuer_common_name=issuer,
        not_before=not_before,
        not_after=not_after,
        sha256=sha256 or hashlib.sha256(f"{name}|{issuer}|{not_after}".encode()).hexdigest(),
        self_signed=self_signed,
    )


CDN_CERT = cert("default.cdn.example")  # what an address answers the control name with


# ------------------------------------------------------------------ interfaces and proxies
ETHERNET_FLAGS = ("up", "broadcast", "running", "multicast")
TUNNEL_FLAGS = ("up", "pointopoint", "running", "noarp")


def interface(
    name: str,
    *addresses: InterfaceAddress,
    mtu: int | None = 1500,
    flags: Sequence[str] = (),
    link_type: str | None = None,
    **extra: Any,
) -> NetworkInterface:
    """An interface that is up, with ``addresses`` (``InterfaceAddress``)."""
    return NetworkInterface(
        name=name,
        is_up=True,
        addresses=addresses,
        mtu=mtu,
        flags=tuple(flags),
        link_type=link_type,
        **extra,
    )


LAN = interface(
    "wlan0",
    InterfaceAddress("ipv4", LAN_V4, "255.255.255.0"),
    flags=ETHERNET_FLAGS,
    link_type="ether",
)


def tunnel(
    name: str = "tun0",
    *,
    link_type: str | None = "tun",
    v4: str = "10.8.0.2",
    v6: str | None = None,
    netmask: str = "255.255.255.255",
    mtu: int = 1420,
    flags: Sequence[str] = TUNNEL_FLAGS,
    **extra: Any,
) -> NetworkInterface:
    """A VPN's tunnel interface (point-to-point, its own addresses)."""
    addresses = [InterfaceAddress("ipv4", v4, netmask)] if v4 else []
    if v6:
        addresses.append(InterfaceAddress("ipv6", v6, "ffff:ffff:ffff:ffff::"))
    return interface(name, *addresses, mtu=mtu, flags=flags, link_type=link_type, **extra)


def manual_proxy(proxy: str = "127.0.0.1:7890", source: str = "environment") -> ProxySource:
    """A proxy set by hand for HTTP and HTTPS."""
    return ProxySource(source=source, mode="manual", http=proxy, https=proxy)


# ------------------------------------------------------------------ the run
@dataclass(frozen=True)
class DohServer:
    """The DoH reference a run asks: its name, URL and the address its host was reached at."""

    name: str = DOH_NAME
    url: str = DOH_URL
    bootstrap: str = DOH_BOOTSTRAP


@dataclass
class Ticker:
    """``started_s`` values that grow through the run, as the engine records them."""

    now: float = 0.05
    step: float = 0.01

    def tick(self) -> float:
        self.now = round(self.now + self.step, 3)
        return self.now


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
    platform: str = "Linux"
    vpn_expected: bool = False
    endpoint_names: list[str] = field(default_factory=list)
    redirect_limit: int = 10  # as the engine records it (0: a report from before chains)
    # The rest of the plan, as a profile gives it.
    profile_name: str = "Test profile"
    resolvers: tuple[str, ...] = ()  # "name=address"
    doh_urls: tuple[str, ...] = (DOH_URL,)
    ca_file: str | None = None
    skipped: tuple[str, ...] = ()
    # The network the records come from: the system resolver's address, the DoH reference.
    resolver: str = SYSTEM_RESOLVER
    reference: DohServer = field(default_factory=DohServer)
    ticker: Ticker | None = None  # stamps ``started_s`` on each record added (None: 0.0)

    @classmethod
    def for_profile(
        cls, profile: Profile, *, skipped: Iterable[str] = (), **fields: Any
    ) -> Scenario:
        """A run of ``profile``: its services (less ``skipped``), resolvers and DoH."""
        skipped = tuple(skipped)
        s = cls(
            country=profile.country,
            timeout_s=profile.settings.timeout_s,
            deadline_s=profile.settings.deadline_s,
            profile_name=profile.name,
            resolvers=tuple(f"{r.name}={r.address}" for r in profile.resolvers),
            doh_urls=tuple(d.url for d in profile.doh),
            vpn_expected=profile.vpn.expected,
            skipped=skipped,
            **fields,
        )
        for service in profile.services:
            if service.id not in skipped:
                s.service(
                    service.id,
                    *service.urls,
                    name=service.name,
                    group=service.group,
                    domestic=service.domestic,
                    sensitive=service.sensitive,
                    known_networks=service.known_networks,
                )
        return s

    # ------------------------------------------------------------------ the plan
    def service(
        self,
        service_id: str,
        *urls: str,
        domestic: bool = False,
        known_networks: Iterable[str] = (),
        name: str | None = None,
        group: str = "Test",
        sensitive: bool = False,
    ) -> Scenario:
        self.services.append(
            PlannedService(
                id=service_id,
                name=name or service_id.capitalize(),
                group=group,
                urls=tuple(urls),
                domestic=domestic,
                sensitive=sensitive,
                known_networks=tuple(known_networks),
            )
        )
        return self

    def plan(self) -> RunPlan:
        return RunPlan(
            profile_name=self.profile_name,
            country=self.country,
            timeout_s=self.timeout_s,
            deadline_s=self.deadline_s,
            services=tuple(self.services),
            skipped_services=self.skipped,
            resolvers=self.resolvers,
            doh=self.doh_urls,
            injection_probe_addresses=self.injection_probes,
            ca_file=self.ca_file,
            platform=self.platform,
            vpn_expected=self.vpn_expected,
            vpn_endpoints=tuple(self.endpoint_names),
            redirect_limit=self.redirect_limit,
        )

    def add(self, *records: Observation) -> Scenario:
        """Add records as they are, except ``started_s`` when the scenario has a ticker."""
        for record in records:
            if (
                self.ticker is not None
                and hasattr(record, "started_s")
                and not isinstance(record, NetworkChange)
            ):
                record = replace(record, started_s=self.ticker.tick())
            self.records.append(record)
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
        server: str | None = None,
        role: str = "system",
        elapsed_ms: float = 18.0,
    ) -> Scenario:
        """The system resolver's A and AAAA queries (or one ``qtype``). ``replies``: every
        reply heard, in order (the first usable one gives ``addresses``)."""
        server = self.resolver if server is None else server
        resolver = "system" if role == "system" else role
        for qt in (qtype,) if qtype else ("A", "AAAA"):
            query = partial(
                DnsQuery, role=role, resolver=resolver, server=server, name=name, qtype=qt
            )
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
                self.add(
                    query(
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
                listened_ms = 5000.0 if failure == "timeout" else 525.0
                self.add(query(failure=failure, replies=reply, listened_ms=listened_ms))
                continue
            self.add(
                query(
                    addresses=mine,
                    failure=None if mine else "no_answer",
                    replies=(DnsReply(server, elapsed_ms, "NOERROR", mine, ttl=300),),
                    elapsed_ms=elapsed_ms,
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
        elapsed_ms: float = 120.0,
    ) -> Scenario:
        """The DoH reference's A and AAAA answers; ``failure`` (e.g. ``timeout``): no answer."""
        ref = self.reference
        for qt in (qtype,) if qtype else ("A", "AAAA"):
            query = partial(
                DohQuery,
                resolver=ref.name,
                url=ref.url,
                bootstrap=ref.bootstrap,
                name=name,
                qtype=qt,
            )
            if failure is not None:
                self.add(
                    query(failure=failure, elapsed_ms=5000.0 if failure == "timeout" else 80.0)
                )
                continue
            mine = tuple(a for a in addresses if qtype_of(a) == qt)
            fail = None
            if rcode == "NXDOMAIN":
                fail = "nxdomain"
            elif not mine:
                fail = "no_answer"
            self.add(
                query(
                    addresses=mine,
                    rcode=rcode,
                    http_status=200,
                    failure=fail,
                    elapsed_ms=elapsed_ms,
                )
            )
        return self

    def injection(
        self,
        name: str,
        addresses: Sequence[str] = (),
        *,
        probe: str | None = None,
        elapsed_ms: float = 40.0,
    ) -> Scenario:
        """The injection probe's query for ``name``: silence, or the answers injected."""
        probe = self.injection_probes[0] if probe is None else probe
        replies = tuple(
            DnsReply(probe, elapsed_ms + 5.0 * i, "NOERROR", (a,)) for i, a in enumerate(addresses)
        )
        self.add(
            DnsQuery(
                role="injection_probe",
                resolver=f"probe {probe}",
                server=probe,
                name=name,
                qtype="A",
                addresses=tuple(addresses[:1]),
                failure=None if addresses else "timeout",
                replies=replies,
                elapsed_ms=elapsed_ms if addresses else None,
                listened_ms=1040.0,
            )
        )
        return self

    def nxdomain_probe(
        self, addresses: Sequence[str] = (), *, failure: str | None = None
    ) -> Scenario:
        """The system resolver's answer for a name that cannot exist."""
        query = partial(
            DnsQuery,
            role="nxdomain_probe",
            resolver="system",
            server=self.resolver,
            name="nx-0123456789abcdef.test",
            qtype="A",
        )
        if failure is not None:
            return self.add(query(failure=failure, listened_ms=5000.0))
        self.add(
            query(
                addresses=tuple(addresses),
                failure=None if addresses else "nxdomain",
                replies=(
                    DnsReply(
                        self.resolver,
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
        timeout_ms: float | None = None,
    ) -> Scenario:
        """One connect; a timeout is retried once like the engine does (``retry``: the
        second attempt's failure, None for success, False for no second attempt).
        ``timeout_ms``: the time a timed-out attempt records (None: none)."""
        attempts: list[str | None] = [failure]
        if failure == "timeout" and retry is not False:
            attempts.append("timeout" if retry is True else retry)
        for attempt, fail in enumerate(attempts, start=1):
            self.add(
                TcpConnect(
                    address=address,
                    port=port,
                    family=family(address),
                    failure=fail,
                    elapsed_ms=timeout_ms if fail == "timeout" else elapsed_ms,
                    attempt=attempt,
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
        alert: str | None = None,
        elapsed_ms: float = 60.0,
    ) -> Scenario:
        """The innocuous-name handshake the engine makes right after the TCP connect."""
        self.add(
            TlsHandshake(
                address=address,
                port=port,
                server_name=CONTROL_NAME,
                control=True,
                failure=failure,
                server_responded=(failure is None) if responded is None else responded,
                alert=alert,
                tls_version="TLSv1.3" if failure is None else None,
                certificate=CDN_CERT if failure is None else None,
                elapsed_ms=elapsed_ms,
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
        verify_error: str | None = None,
        since_real_name_probe_s: float | None = None,
        previous_real_name: str | None = None,
        elapsed_ms: float | None = None,
    ) -> Scenario:
        """The real-name handshake. ``verify``: certifi's view; ``os_verify``: the OS
        store's (asked only when certifi's failed); ``failure``: a connection failure
        (reset, timeout, ...) instead of a certificate; ``verify_error``: the verifier's
        words (default: the failure's code)."""
        if failure is not None:
            self.add(
                TlsHandshake(
                    address=address,
                    port=port,
                    server_name=name,
                    failure=failure,
                    server_responded=failure == "tls_alert",
                    elapsed_ms=elapsed_ms or (5000.0 if failure == "timeout" else 70.0),
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
        self.add(
            TlsHandshake(
                address=address,
                port=port,
                server_name=name,
                failure=cert_failure,
                server_responded=True,
                tls_version="TLSv1.3" if cert_failure is None else None,
                verify=verify,
                os_verify=os_verify,
                verify_error=verify_error or cert_failure,
                certificate=certificate,
                elapsed_ms=elapsed_ms or 70.0,
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
        redirects: Sequence[str] = (),
        final_url: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        control: bool = False,
    ) -> Scenario:
        """One web request. ``redirect_to``: the answer is a 302 there (a chain's hop);
        ``redirects`` (their locations, each a 302) and ``final_url``: redirects the request
        followed itself (a run from before chains)."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        final: str | None = final_url or (url if status is not None else None)
        if redirect_to is not None:
            redirects = (redirect_to,)
            final = redirect_to
            status = 302
            body_bytes = 0
            title = None
            body_prefix = ""
        self.add(
            HttpFetch(
                url=url,
                host=host_of(url),
                address=address,
                port=port,
                control=control,
                status=status,
                headers=tuple(headers),
                redirects=tuple(Redirect(302, location) for location in redirects),
                final_url=final,
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
        host = host_of(url)
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
        host = host_of(url)
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
        host = host_of(url)
        port = parts.port or 443
        self.tcp(address, port, tcp_failure)
        if tcp_failure is None:
            self.control(address, port)
            self.tls(address, host, port=port, verify=verify)
        return self

    # ------------------------------------------------------------------ the rest
    def clock(
        self,
        skew_s: float | None = 0.4,
        *,
        failure: str | None = None,
        url: str = DOMESTIC_URL,
        address: str = DOMESTIC_ADDR,
        at: str = "2025-06-01T08:00:00+00:00",
    ) -> Scenario:
        """The clock check against a domestic site's Date header (``at``)."""
        self.add(
            ClockCheck(
                url=url,
                address=address if failure is None else None,
                server_date=at if skew_s is not None else None,
                local_time=at if skew_s is not None else None,
                skew_s=skew_s,
                failure=failure,
            )
        )
        return self

    def captive(
        self,
        *,
        matched: bool = True,
        status: int | None = None,
        location: str | None = None,
        failure: str | None = None,
        url: str = "http://captive.domestic.test/generate_204",
        expect_status: int = 204,
        expect_body: str | None = None,
        body_prefix: str = "",
        address: str = "192.0.2.204",
        elapsed_ms: float = 50.0,
    ) -> Scenario:
        """The captive-portal check; ``status`` defaults to the one expected."""
        self.add(
            CaptiveCheck(
                url=url,
                expect_status=expect_status,
                expect_body=expect_body,
                addresses=(address,) if failure is None else (),
                status=(expect_status if status is None else status) if failure is None else None,
                location=location,
                body_prefix=body_prefix,
                matched=matched and failure is None,
                failure=failure,
                elapsed_ms=elapsed_ms,
            )
        )
        return self

    def exit(
        self,
        *,
        ip: str | None = "198.51.100.200",
        country: str | None = "CN",
        failure: str | None = None,
        url: str = TRACE_URL,
        address: str = "198.51.100.2",
        elapsed_ms: float = 300.0,
    ) -> Scenario:
        """The exit check: the public address and its country (no ``ip``: a timeout, or
        ``failure``)."""
        self.add(
            ExitCheck(
                url=url,
                address=address,
                ip=ip,
                country=country if ip else None,
                failure=None if ip else (failure or "timeout"),
                elapsed_ms=elapsed_ms,
            )
        )
        return self

    def network(self, *, limited: Sequence[str] = ()) -> Scenario:
        """The network record of a plain home network (``wlan0``, the system resolver)."""
        plain = interface("wlan0", InterfaceAddress("ipv4", LAN_V4, "255.255.255.0"))
        return self.environment(
            lan=plain,
            egress_ipv6_interface="wlan0" if self.egress_ipv6 else None,
            limited=limited,
        )

    # ------------------------------------------------------------------ VPN and proxy
    def environment(
        self,
        *interfaces: NetworkInterface,
        lan: NetworkInterface | None = LAN,
        egress_ipv4: str | None = LAN_V4,
        egress_ipv4_interface: str | None = "wlan0",
        egress_ipv6_interface: str | None = None,
        clients: Sequence[ClientSeen] = (),
        vpn_services: Sequence[SystemVpnService] = (),
        limited: Sequence[str] = (),
    ) -> Scenario:
        """Replace the network record: the LAN interface ``lan`` (None: none) plus
        ``interfaces``, the system resolver."""
        self.records = [r for r in self.records if not isinstance(r, NetworkEnvironment)]
        self.add(
            NetworkEnvironment(
                interfaces=(lan, *interfaces) if lan is not None else interfaces,
                egress_ipv4=egress_ipv4,
                egress_ipv4_interface=egress_ipv4_interface,
                egress_ipv6=self.egress_ipv6,
                egress_ipv6_interface=egress_ipv6_interface,
                system_resolvers=(self.resolver,),
                clients=tuple(clients),
                vpn_services=tuple(vpn_services),
                limited=tuple(limited),
            )
        )
        return self

    def route(
        self,
        target: str,
        interface: str | None,
        *,
        purpose: str = "foreign",
        local: str | None = None,
    ) -> Scenario:
        """The route the OS picks to ``target`` (``local``: its source address, default
        the LAN's or the tunnel's)."""
        if local is None:
            local = {"wlan0": LAN_V4}.get(interface or "", "10.8.0.2")
            if ":" in target:
                local = "2001:db8:1::10" if interface == "wlan0" else "fd00:8::2"
        self.add(
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
        self.route(self.resolver, interface, purpose="resolver")
        self.route(self.reference.bootstrap, interface, purpose="reference")
        self.route(FOREIGN_ADDR, interface, purpose="foreign")
        self.route(DOMESTIC_ADDR, domestic or interface, purpose="domestic")
        return self

    def proxy(
        self, *sources: ProxySource, pac_status: int | None = None, pac_url: str | None = None
    ) -> Scenario:
        self.add(ProxyConfig(sources=tuple(sources), pac_url=pac_url, pac_status=pac_status))
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
        body_bytes: int = 20_000,
        redirect_to: str | None = None,
        same_host: Sequence[str] = (),
    ) -> Scenario:
        """One URL fetched through the proxy. ``redirect_to``: the answer is a 302 there
        (a hop of the way through the proxy), after the redirects the request followed on
        its own origin (``same_host``, each a 301)."""
        host, _, port = proxy.rpartition(":")
        final: str | None = url if failure is None and status is not None else None
        redirects = tuple(Redirect(301, location) for location in same_host)
        if redirect_to is not None:
            status, body_bytes, final = 302, 0, redirect_to
            redirects = (*redirects, Redirect(302, redirect_to))
        self.add(
            HttpFetch(
                url=url,
                host=host_of(url),
                address=host,
                port=int(port),
                via="proxy",
                status=status if failure is None else None,
                redirects=redirects,
                final_url=final,
                body_bytes=body_bytes if failure is None and status else 0,
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
        self.add(
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
        self.add(
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
        self.add(NetworkChange(started_s=at_s, lost=tuple(lost), gained=tuple(gained)))
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
