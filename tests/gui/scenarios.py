"""Synthetic runs for the GUI: the observations a run of the built-in profile would record
on a few kinds of network, shaped the way ``engine/run.py`` records them, so the real
diagnosis turns them into the report the window shows.

Nothing here touches the network. Addresses are documentation ranges (198.51.100.0/24 for
domestic sites, 203.0.113.0/24 and 2001:db8::/32 for foreign ones, 192.168.1.0/24 for the
home network) or, where a service lists ``known_networks``, an address inside them; the
forged answers are real addresses of the published forged pool (Facebook's own).

Scenarios: ``all_fine``, ``blocked`` (a mainland-China network without a VPN), ``captive``
(a hotel login page), ``vpn_leak`` (a VPN is on, DNS still asks the local router) and
``small`` (five services, for fast tests).
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from clearsight.probes.records import (
    CaptiveCheck,
    Certificate,
    ClockCheck,
    DnsQuery,
    DnsReply,
    DohQuery,
    ExitCheck,
    HttpFetch,
    InterfaceAddress,
    NetworkEnvironment,
    NetworkInterface,
    Observation,
    PlannedService,
    RunPlan,
    TcpConnect,
    TlsHandshake,
)
from clearsight.profile.model import Profile, Service

ROUTER = "192.168.1.1"
LOCAL_V4 = "192.168.1.23"
LOCAL_MAC = "3c:22:fb:41:9a:07"
PUBLIC_IP = "198.51.100.77"
VPN_LOCAL = "10.8.0.6"
INJECTION_PROBE = "208.80.154.224"
CONTROL_NAME = "example.com"
# Real addresses of the Great Firewall's forged pool (resources/forged_pools).
FORGED = ("157.240.10.32", "173.252.88.133", "108.160.170.45", "31.13.94.37")

TIMEOUT_MS = 5000.0


def _cert(host: str, issuer: str = "R11", org: str = "Let's Encrypt") -> Certificate:
    return Certificate(
        subject=f"CN={host}",
        common_name=host,
        sans=(host,),
        issuer=f"CN={issuer},O={org},C=US",
        issuer_common_name=issuer,
        not_before="2025-09-01T00:00:00Z",
        not_after="2026-11-30T23:59:59Z",
        sha256=hashlib.sha256(f"{host}|{issuer}".encode()).hexdigest(),
        self_signed=False,
    )


@dataclass
class _Clock:
    """``started_s`` values that grow through the run, as the engine records them."""

    now: float = 0.05

    def tick(self, step: float = 0.01) -> float:
        self.now = round(self.now + step, 3)
        return self.now


@dataclass
class NetworkRun:
    """The observations of one run over a profile's services."""

    profile: Profile
    country: str = "CN"
    records: list[Observation] = field(default_factory=list)
    clock: _Clock = field(default_factory=_Clock)
    doh_works: bool = True
    _addresses: dict[str, str] = field(default_factory=dict)
    _connected: set[str] = field(default_factory=set)
    _controlled: set[str] = field(default_factory=set)
    _foreign: itertools.count[int] = field(default_factory=lambda: itertools.count(10))
    _domestic: itertools.count[int] = field(default_factory=lambda: itertools.count(10))

    # ------------------------------------------------------------------ addresses
    def address(self, service: Service, host: str) -> str:
        if host not in self._addresses:
            index = next(self._domestic if service.domestic else self._foreign)
            v4 = [n for n in service.known_networks if ":" not in n]
            if v4:
                net = ipaddress.ip_network(v4[-1], strict=False)
                self._addresses[host] = str(net[(index * 37 + 5) % net.num_addresses])
            elif service.domestic:
                self._addresses[host] = f"198.51.100.{index}"
            else:
                self._addresses[host] = f"203.0.113.{index}"
        return self._addresses[host]

    # ------------------------------------------------------------------ records
    def add(self, *records: Observation) -> None:
        self.records.extend(records)

    def plan(self, skipped: Iterable[str] = ()) -> RunPlan:
        skipped = tuple(skipped)
        p = self.profile
        return RunPlan(
            profile_name=p.name,
            country=p.country,
            timeout_s=p.settings.timeout_s,
            deadline_s=p.settings.deadline_s,
            services=tuple(
                PlannedService(
                    id=s.id,
                    name=s.name,
                    group=s.group,
                    urls=s.urls,
                    domestic=s.domestic,
                    sensitive=s.sensitive,
                    known_networks=s.known_networks,
                )
                for s in p.services
                if s.id not in skipped
            ),
            skipped_services=skipped,
            resolvers=tuple(f"{r.name}={r.address}" for r in p.resolvers),
            doh=tuple(d.url for d in p.doh),
            injection_probe_addresses=(INJECTION_PROBE,),
            vpn_expected=p.vpn.expected,
            platform="Linux",
        )

    def network(self, *, vpn: bool = False) -> None:
        interfaces = [
            NetworkInterface("lo", True, (InterfaceAddress("ipv4", "127.0.0.1", "255.0.0.0"),)),
            NetworkInterface(
                "wlan0",
                True,
                (
                    InterfaceAddress("ipv4", LOCAL_V4, "255.255.255.0"),
                    InterfaceAddress("mac", LOCAL_MAC),
                ),
                mtu=1500,
                flags=("up", "broadcast", "running", "multicast"),
            ),
        ]
        if vpn:
            interfaces.append(
                NetworkInterface(
                    "tun0",
                    True,
                    (InterfaceAddress("ipv4", VPN_LOCAL, "255.255.255.0"),),
                    mtu=1420,
                    flags=("up", "pointopoint", "running"),
                )
            )
        self.add(
            NetworkEnvironment(
                interfaces=tuple(interfaces),
                egress_ipv4=VPN_LOCAL if vpn else LOCAL_V4,
                egress_ipv4_interface="tun0" if vpn else "wlan0",
                system_resolvers=(ROUTER,),
            )
        )

    def system_dns(self, host: str, addresses: tuple[str, ...], *, ms: float = 14.0) -> None:
        reply = DnsReply(source=ROUTER, elapsed_ms=ms, rcode="NOERROR", addresses=addresses)
        self.add(
            DnsQuery(
                role="system",
                resolver="system",
                server=ROUTER,
                name=host,
                qtype="A",
                addresses=addresses,
                replies=(reply,),
                elapsed_ms=ms,
                listened_ms=500.0,
                started_s=self.clock.tick(),
            ),
            DnsQuery(
                role="system",
                resolver="system",
                server=ROUTER,
                name=host,
                qtype="AAAA",
                failure="no_answer",
                replies=(DnsReply(source=ROUTER, elapsed_ms=ms, rcode="NOERROR"),),
                elapsed_ms=ms,
                listened_ms=500.0,
                started_s=self.clock.tick(),
            ),
        )

    def doh(self, host: str, addresses: tuple[str, ...]) -> None:
        if self.doh_works:
            self.add(
                DohQuery(
                    resolver="Quad9",
                    url="https://dns.quad9.net/dns-query",
                    bootstrap="9.9.9.9",
                    name=host,
                    qtype="A",
                    addresses=addresses,
                    rcode="NOERROR",
                    http_status=200,
                    elapsed_ms=180.0,
                    started_s=self.clock.tick(),
                )
            )
        else:
            self.add(
                DohQuery(
                    resolver="Cloudflare",
                    url="https://cloudflare-dns.com/dns-query",
                    bootstrap="1.1.1.1",
                    name=host,
                    qtype="A",
                    failure="timeout",
                    elapsed_ms=TIMEOUT_MS,
                    started_s=self.clock.tick(),
                )
            )

    def injection(self, host: str, forged: str | None = None) -> None:
        replies = (
            (
                DnsReply(
                    source=INJECTION_PROBE, elapsed_ms=38.0, rcode="NOERROR", addresses=(forged,)
                ),
            )
            if forged
            else ()
        )
        self.add(
            DnsQuery(
                role="injection_probe",
                resolver=f"probe {INJECTION_PROBE}",
                server=INJECTION_PROBE,
                name=host,
                qtype="A",
                addresses=(forged,) if forged else (),
                failure=None if forged else "timeout",
                replies=replies,
                elapsed_ms=38.0 if forged else None,
                listened_ms=1000.0,
                started_s=self.clock.tick(),
            )
        )

    def tcp(self, address: str, *, failure: str | None = None, ms: float = 42.0) -> None:
        if address in self._connected:
            return  # the engine connects once per (address, port), for every service
        self._connected.add(address)
        attempts = 2 if failure == "timeout" else 1
        for attempt in range(1, attempts + 1):
            self.add(
                TcpConnect(
                    address=address,
                    port=443,
                    family="ipv6" if ":" in address else "ipv4",
                    failure=failure,
                    elapsed_ms=TIMEOUT_MS if failure == "timeout" else ms,
                    attempt=attempt,
                    started_s=self.clock.tick(),
                )
            )

    def control(self, address: str) -> None:
        if address in self._controlled:
            return
        self._controlled.add(address)
        self.add(
            TlsHandshake(
                address=address,
                port=443,
                server_name=CONTROL_NAME,
                control=True,
                failure="tls_alert",
                server_responded=True,
                alert="unrecognized_name",
                elapsed_ms=51.0,
                started_s=self.clock.tick(),
            )
        )

    def tls(
        self,
        address: str,
        host: str,
        *,
        verify: str = "ok",
        failure: str | None = None,
        certificate: Certificate | None = None,
        ms: float = 88.0,
    ) -> None:
        if failure is None and verify != "ok":
            failure = {
                "untrusted": "tls_cert_untrusted",
                "name_mismatch": "tls_cert_name_mismatch",
            }[verify]
        handshake_done = failure is None or failure.startswith("tls_cert")
        self.add(
            TlsHandshake(
                address=address,
                port=443,
                server_name=host,
                failure=failure,
                server_responded=handshake_done,
                tls_version="TLSv1.3" if handshake_done else None,
                verify=verify if handshake_done else "not_checked",
                os_verify=verify if handshake_done else "not_checked",
                verify_error=None if verify == "ok" else "certificate verify failed",
                certificate=(certificate or _cert(host)) if handshake_done else None,
                elapsed_ms=ms,
                started_s=self.clock.tick(),
            )
        )

    def http(
        self,
        url: str,
        host: str,
        address: str,
        *,
        status: int = 200,
        ms: float = 380.0,
        body: str = "",
        stalled: bool = False,
        body_bytes: int = 48_210,
        control: bool = False,
    ) -> None:
        self.add(
            HttpFetch(
                url=url,
                host=host,
                address=address,
                port=443,
                control=control,
                status=status,
                final_url=url,
                body_bytes=body_bytes,
                body_complete=not stalled,
                stalled=stalled,
                body_prefix=body,
                title=None,
                ttfb_ms=round(ms * 0.6, 1),
                elapsed_ms=ms,
                started_s=self.clock.tick(),
            )
        )

    # ------------------------------------------------------------------ behaviours
    def service(self, service: Service, behaviour: str) -> None:
        """Record every URL of ``service`` behaving as ``behaviour`` (a verdict name, or
        ``captive`` for a login page that answers every connection)."""
        for url in service.urls:
            host = (urlsplit(url).hostname or "").lower()
            genuine = self.address(service, host)
            BEHAVIOURS[behaviour](self, service, url, host, genuine)

    def finish(self, *, captive: bool = False, exit_country: str | None = None) -> None:
        domestic = next((s for s in self.profile.services if s.domestic), None)
        if domestic is not None:
            host = (urlsplit(domestic.urls[0]).hostname or "").lower()
            self.add(
                ClockCheck(
                    url=domestic.urls[0],
                    address=self.address(domestic, host),
                    server_date="2025-11-28T08:00:00Z",
                    local_time="2025-11-28T08:00:01Z",
                    skew_s=0.6,
                    started_s=self.clock.tick(),
                )
            )
        for spec in self.profile.captive_checks:
            if captive:
                self.add(
                    CaptiveCheck(
                        url=spec.url,
                        expect_status=spec.expect_status,
                        expect_body=spec.expect_body,
                        addresses=("198.51.100.204",),
                        status=302,
                        location="http://192.168.1.1:8080/login?redirect=portal",
                        body_prefix="<html><title>Guest Wi-Fi</title>",
                        matched=False,
                        elapsed_ms=35.0,
                        started_s=self.clock.tick(),
                    )
                )
            else:
                self.add(
                    CaptiveCheck(
                        url=spec.url,
                        expect_status=spec.expect_status,
                        expect_body=spec.expect_body,
                        addresses=("198.51.100.204",),
                        status=spec.expect_status,
                        body_prefix=spec.expect_body or "",
                        matched=True,
                        elapsed_ms=61.0,
                        started_s=self.clock.tick(),
                    )
                )
        if self.profile.exit_check is not None:
            self.add(
                ExitCheck(
                    url=self.profile.exit_check.url,
                    address="198.51.100.250",
                    ip=None if captive else PUBLIC_IP,
                    country=None if captive else (exit_country or self.country),
                    failure="tls_cert_untrusted" if captive else None,
                    elapsed_ms=240.0,
                    started_s=self.clock.tick(),
                )
            )


def _reachable(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    if not service.domestic:
        run.injection(host)
    run.tcp(address, ms=31.0 if service.domestic else 58.0)
    run.control(address)
    run.tls(address, host)
    run.http(url, host, address, ms=210.0 if service.domestic else 640.0)


def _slow(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    run.injection(host)
    run.tcp(address, ms=310.0)
    run.control(address)
    run.tls(address, host, ms=720.0)
    run.http(url, host, address, ms=6400.0)


def _dns_tampered(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    forged = FORGED[hashlib.sha256(host.encode()).digest()[0] % len(FORGED)]
    run.system_dns(host, (forged,), ms=4.0)
    run.doh(host, (address,))
    run.injection(host, forged)
    run.tcp(forged, failure="timeout")
    run.tcp(address, failure="timeout")  # the reference's address: blocked as well


def _ip_blocked(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    run.injection(host)
    run.tcp(address, failure="timeout")


def _tls_blocked(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.tls(address, host, failure="connection_reset", ms=61.0)


def _geo_restricted(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.tls(address, host)
    run.http(
        url,
        host,
        address,
        status=403,
        ms=820.0,
        body="Sorry, this service is not available in your country.",
        body_bytes=1_204,
    )


def _throttled(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.tls(address, host)
    run.http(url, host, address, ms=TIMEOUT_MS, stalled=True, body_bytes=16_384)
    run.http(url, host, address, ms=900.0, body_bytes=310_000, control=True)


def _captive(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.system_dns(host, (address,))
    run.doh(host, (address,))
    if not service.domestic:
        run.injection(host)
    run.tcp(address, ms=3.0)
    run.control(address)
    portal = Certificate(
        subject="CN=portal.guest-wifi.example",
        common_name="portal.guest-wifi.example",
        sans=("portal.guest-wifi.example",),
        issuer="CN=portal.guest-wifi.example",
        issuer_common_name="portal.guest-wifi.example",
        not_before="2024-01-01T00:00:00Z",
        not_after="2034-01-01T00:00:00Z",
        sha256=hashlib.sha256(b"portal").hexdigest(),
        self_signed=True,
    )
    run.tls(address, host, verify="untrusted", certificate=portal, ms=9.0)


BEHAVIOURS: dict[str, Callable[[NetworkRun, Service, str, str, str], None]] = {
    "reachable": _reachable,
    "slow": _slow,
    "dns_tampered": _dns_tampered,
    "ip_blocked": _ip_blocked,
    "tls_blocked": _tls_blocked,
    "geo_restricted": _geo_restricted,
    "throttled": _throttled,
    "captive": _captive,
}

# A mainland-China network without a VPN, as docs/censorship.md describes it: Google, Meta,
# Twitter and most news sites get forged DNS answers (and their real addresses are blocked
# too), some sites are reset by name, a few foreign services work, AI services refuse
# the region themselves.
CHINA: dict[str, str] = {
    "google-search": "dns_tampered",
    "google-maps": "dns_tampered",
    "duckduckgo": "dns_tampered",
    "gmail": "dns_tampered",
    "google-docs": "dns_tampered",
    "yahoo-mail": "ip_blocked",
    "proton-mail": "tls_blocked",
    "whatsapp": "dns_tampered",
    "telegram": "ip_blocked",
    "signal": "ip_blocked",
    "messenger": "dns_tampered",
    "line": "dns_tampered",
    "discord": "dns_tampered",
    "facebook": "dns_tampered",
    "instagram": "dns_tampered",
    "x": "dns_tampered",
    "reddit": "tls_blocked",
    "youtube": "dns_tampered",
    "netflix": "geo_restricted",
    "spotify": "slow",
    "slack": "throttled",
    "notion": "slow",
    "google-play": "dns_tampered",
    "wikipedia": "tls_blocked",
    "bbc-news": "dns_tampered",
    "nytimes": "dns_tampered",
    "reuters": "tls_blocked",
    "guardian": "ip_blocked",
    "bloomberg": "dns_tampered",
    "chatgpt": "geo_restricted",
    "claude": "geo_restricted",
    "gemini": "dns_tampered",
    "google-translate": "dns_tampered",
    "google-drive": "dns_tampered",
    "dropbox": "dns_tampered",
    "onedrive": "ip_blocked",
}


def build_run(
    profile: Profile,
    behaviours: dict[str, str] | None = None,
    *,
    default: str = "reachable",
    captive: bool = False,
    vpn: bool = False,
    exit_country: str | None = None,
    skipped: Iterable[str] = (),
) -> tuple[Observation, ...]:
    """The observations of a run of ``profile``; services take ``behaviours[id]`` or
    ``default`` (domestic services always work, behind a login page they see it too)."""
    behaviours = behaviours or {}
    skipped = tuple(skipped)
    run = NetworkRun(profile)
    run.add(run.plan(skipped))
    run.network(vpn=vpn)
    for service in profile.services:
        if service.id in skipped:
            continue
        if captive:
            behaviour = "captive"
        elif service.domestic:
            behaviour = "reachable"
        else:
            behaviour = behaviours.get(service.id, default)
        run.service(service, behaviour)
    run.finish(captive=captive, exit_country=exit_country)
    return tuple(run.records)


def default_profile() -> Profile:
    from clearsight.profile.loader import load_default_profile

    return load_default_profile()


def small_profile() -> Profile:
    """Five services of the built-in profile (two domestic), for fast tests."""
    from dataclasses import replace

    full = default_profile()
    keep = ("gmail", "whatsapp", "github", "baidu", "qq")
    return replace(full, services=tuple(s for s in full.services if s.id in keep))


def all_fine(profile: Profile | None = None) -> tuple[Observation, ...]:
    return build_run(profile or default_profile(), exit_country="HK")


def blocked(
    profile: Profile | None = None, *, skipped: Iterable[str] = ()
) -> tuple[Observation, ...]:
    return build_run(profile or default_profile(), CHINA, skipped=skipped)


def captive_portal(profile: Profile | None = None) -> tuple[Observation, ...]:
    return build_run(profile or default_profile(), captive=True)


def vpn_leak(profile: Profile | None = None) -> tuple[Observation, ...]:
    """A VPN (tun0) carries the traffic, everything works, but the system resolver is
    still the local router: address lookups bypass the VPN."""
    return build_run(profile or default_profile(), vpn=True, exit_country="JP")


SCENARIOS: dict[str, Callable[[], tuple[Observation, ...]]] = {
    "all_fine": all_fine,
    "blocked": blocked,
    "captive": captive_portal,
    "vpn_leak": vpn_leak,
}
