"""Synthetic runs for the GUI: what a run of the built-in profile would record on a few
kinds of network, so the real diagnosis turns them into the report the window shows. This
module says where each host lives and how each kind of service behaves; every record is
built by ``tests/builders/observations.py``, shaped the way ``engine/run.py`` records them.

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

from clearsight.probes.records import Certificate, InterfaceAddress, Observation
from clearsight.profile.model import Profile, Service
from tests.builders.observations import (
    ETHERNET_FLAGS,
    DohServer,
    Scenario,
    Ticker,
    cert,
    interface,
    tunnel,
)

ROUTER = "192.168.1.1"
LOCAL_V4 = "192.168.1.23"
LOCAL_MAC = "3c:22:fb:41:9a:07"
PUBLIC_IP = "198.51.100.77"
VPN_LOCAL = "10.8.0.6"
INJECTION_PROBE = "208.80.154.224"
QUAD9 = DohServer("Quad9", "https://dns.quad9.net/dns-query", "9.9.9.9")
# Real addresses of the Great Firewall's forged pool (resources/forged_pools).
FORGED = ("157.240.10.32", "173.252.88.133", "108.160.170.45", "31.13.94.37")

TIMEOUT_MS = 5000.0


def _cert(host: str) -> Certificate:
    return cert(
        host, country="US", not_before="2025-09-01T00:00:00Z", not_after="2026-11-30T23:59:59Z"
    )


@dataclass
class NetworkRun:
    """A run over a profile's services: where each host lives, and what the engine records
    (through the observation builder), connecting and checking each address once."""

    profile: Profile
    scenario: Scenario
    _addresses: dict[str, str] = field(default_factory=dict)
    _connected: set[str] = field(default_factory=set)
    _controlled: set[str] = field(default_factory=set)
    _foreign: itertools.count[int] = field(default_factory=lambda: itertools.count(10))
    _domestic: itertools.count[int] = field(default_factory=lambda: itertools.count(10))

    @classmethod
    def of(cls, profile: Profile, *, skipped: Iterable[str] = ()) -> NetworkRun:
        scenario = Scenario.for_profile(
            profile,
            skipped=skipped,
            injection_probes=(INJECTION_PROBE,),
            redirect_limit=0,
            resolver=ROUTER,
            reference=QUAD9,
            ticker=Ticker(),
        )
        return cls(profile, scenario)

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
    def network(self, *, vpn: bool = False) -> None:
        interfaces = [
            interface("lo", InterfaceAddress("ipv4", "127.0.0.1", "255.0.0.0"), mtu=None),
            interface(
                "wlan0",
                InterfaceAddress("ipv4", LOCAL_V4, "255.255.255.0"),
                InterfaceAddress("mac", LOCAL_MAC),
                flags=ETHERNET_FLAGS,
            ),
        ]
        if vpn:
            flags = ("up", "pointopoint", "running")
            interfaces.append(
                tunnel(v4=VPN_LOCAL, netmask="255.255.255.0", flags=flags, link_type=None)
            )
        self.scenario.environment(
            *interfaces,
            lan=None,
            egress_ipv4=VPN_LOCAL if vpn else LOCAL_V4,
            egress_ipv4_interface="tun0" if vpn else "wlan0",
        )

    def resolves(self, host: str, address: str, *, forged: str | None = None) -> None:
        """The router answers ``forged`` or the genuine ``address``, Quad9 the genuine one."""
        self.scenario.dns(host, [forged or address], elapsed_ms=4.0 if forged else 14.0)
        self.scenario.doh(host, [address], qtype="A", elapsed_ms=180.0)

    def injection(self, host: str, forged: str | None = None) -> None:
        self.scenario.injection(host, [forged] if forged else [], elapsed_ms=38.0)

    def tcp(self, address: str, *, failure: str | None = None, ms: float = 42.0) -> None:
        if address in self._connected:
            return  # the engine connects once per (address, port), for every service
        self._connected.add(address)
        self.scenario.tcp(address, 443, failure, elapsed_ms=ms, timeout_ms=TIMEOUT_MS)

    def control(self, address: str) -> None:
        if address in self._controlled:
            return
        self._controlled.add(address)
        self.scenario.control(
            address, failure="tls_alert", responded=True, alert="unrecognized_name", elapsed_ms=51.0
        )

    def tls(self, address: str, host: str, *, ms: float = 88.0) -> None:
        """The real-name handshake, its certificate trusted."""
        self.scenario.tls(address, host, os_verify="ok", certificate=_cert(host), elapsed_ms=ms)

    def http(
        self,
        url: str,
        address: str,
        *,
        status: int = 200,
        ms: float = 380.0,
        body: str = "",
        stalled: bool = False,
        body_bytes: int = 48_210,
        control: bool = False,
    ) -> None:
        self.scenario.http(
            url,
            address,
            status=status,
            elapsed_ms=ms,
            body_prefix=body,
            title=None,
            stalled=stalled,
            body_bytes=body_bytes,
            control=control,
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
        s = self.scenario
        domestic = next((d for d in self.profile.services if d.domestic), None)
        if domestic is not None:
            host = (urlsplit(domestic.urls[0]).hostname or "").lower()
            s.clock(
                0.6,
                url=domestic.urls[0],
                address=self.address(domestic, host),
                at="2025-11-28T08:00:00Z",
            )
        for spec in self.profile.captive_checks:
            expected = {
                "url": spec.url,
                "expect_status": spec.expect_status,
                "expect_body": spec.expect_body,
                "address": "198.51.100.204",
            }
            if captive:
                s.captive(
                    **expected,
                    status=302,
                    location="http://192.168.1.1:8080/login?redirect=portal",
                    body_prefix="<html><title>Guest Wi-Fi</title>",
                    matched=False,
                    elapsed_ms=35.0,
                )
            else:
                s.captive(**expected, body_prefix=spec.expect_body or "", elapsed_ms=61.0)
        if self.profile.exit_check is not None:
            s.exit(
                url=self.profile.exit_check.url,
                address="198.51.100.250",
                ip=None if captive else PUBLIC_IP,
                country=exit_country or self.scenario.country,
                failure="tls_cert_untrusted" if captive else None,
                elapsed_ms=240.0,
            )


def _reachable(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    if not service.domestic:
        run.injection(host)
    run.tcp(address, ms=31.0 if service.domestic else 58.0)
    run.control(address)
    run.tls(address, host)
    run.http(url, address, ms=210.0 if service.domestic else 640.0)


def _slow(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    run.injection(host)
    run.tcp(address, ms=310.0)
    run.control(address)
    run.tls(address, host, ms=720.0)
    run.http(url, address, ms=6400.0)


def _dns_tampered(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    forged = FORGED[hashlib.sha256(host.encode()).digest()[0] % len(FORGED)]
    run.resolves(host, address, forged=forged)
    run.injection(host, forged)
    run.tcp(forged, failure="timeout")
    run.tcp(address, failure="timeout")  # the reference's address: blocked as well


def _ip_blocked(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    run.injection(host)
    run.tcp(address, failure="timeout")


def _tls_blocked(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.scenario.tls(address, host, failure="connection_reset", elapsed_ms=61.0)


def _geo_restricted(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.tls(address, host)
    run.http(
        url,
        address,
        status=403,
        ms=820.0,
        body="Sorry, this service is not available in your country.",
        body_bytes=1_204,
    )


def _throttled(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    run.injection(host)
    run.tcp(address)
    run.control(address)
    run.tls(address, host)
    run.http(url, address, ms=TIMEOUT_MS, stalled=True, body_bytes=16_384)
    run.http(url, address, ms=900.0, body_bytes=310_000, control=True)


PORTAL = cert(
    "portal.guest-wifi.example",
    issuer="portal.guest-wifi.example",
    org=None,
    not_before="2024-01-01T00:00:00Z",
    not_after="2034-01-01T00:00:00Z",
    self_signed=True,
)


def _captive(run: NetworkRun, service: Service, url: str, host: str, address: str) -> None:
    run.resolves(host, address)
    if not service.domestic:
        run.injection(host)
    run.tcp(address, ms=3.0)
    run.control(address)
    # The login page answers for every name with its own self-signed certificate.
    run.scenario.tls(address, host, verify="untrusted", certificate=PORTAL, elapsed_ms=9.0)


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
    run = NetworkRun.of(profile, skipped=skipped)
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
    return run.scenario.build()


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
