"""VPN and proxy findings, the services' ``path`` and ``via_proxy``, and the VPN servers'
statuses, one row per situation (docs/design.md, "VPN and proxy"; diagnosis/vpn_rules.py and
proxy_rules.py).

Each row builds what a run records (``tests/builders/observations.py``): the interfaces, the
route the OS picks for each target, what answered, the proxy setting and what came back
through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from clearsight.diagnosis import Diagnosis, diagnose, vocabulary
from clearsight.probes.records import (
    ClientSeen,
    InterfaceAddress,
    NetworkInterface,
    Observation,
    ProxySource,
    SystemVpnService,
)
from tests.builders.observations import (
    DOMESTIC_ADDR,
    DOMESTIC_HOST,
    DOMESTIC_URL,
    FOREIGN_ADDR,
    FOREIGN_URL,
    SYSTEM_RESOLVER,
    Scenario,
    baseline,
    manual_proxy,
    tunnel,
)

MAIL_URL = "https://mail.example.test/"
MAIL_HOST = "mail.example.test"
MAIL_V4 = "203.0.113.10"
MAIL_V6 = "2001:db8::10"
PROXY = "127.0.0.1:7890"
VPN_CODES = ("vpn_active", "vpn_not_active", "vpn_not_passing_traffic")

Rows = Callable[[], tuple[Observation, ...]]


@dataclass(frozen=True)
class Expect:
    vpn: dict[str, tuple[str, ...]]  # every vpn_/proxy_/exit_ finding -> its subjects
    state: str | None = None
    paths: dict[str, str] = field(default_factory=dict)
    via_proxy: dict[str, str | None] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    endpoints: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> status, why
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    severities: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    first: str | None = None  # the first finding's code


def mail(s: Scenario) -> Scenario:
    s.service("mail", MAIL_URL, name="Mail")
    return s


def blocked_mail(s: Scenario) -> Scenario:
    """Mail resolves genuinely, and every connection to it times out (IP blocking)."""
    mail(s)
    s.dns(MAIL_HOST, [MAIL_V4])
    s.doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4, 443, "timeout")
    return s


# ------------------------------------------------------------------------------ rows
def no_vpn() -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0").proxy()
    return s.build()


def full_tunnel() -> tuple[Observation, ...]:
    s = baseline().environment(tunnel()).routes("tun0").proxy()
    mail(s).site(MAIL_URL, [MAIL_V4]).route(MAIL_V4, "tun0")
    return s.build()


def domestic_direct() -> tuple[Observation, ...]:
    s = baseline().environment(tunnel()).routes("tun0", domestic="wlan0").proxy()
    return s.build()


def split_tunnel() -> tuple[Observation, ...]:
    s = baseline().environment(tunnel()).routes("tun0").proxy()
    blocked_mail(s).route(MAIL_V4, "wlan0")
    return s.build()


def split_tunnel_harmless() -> tuple[Observation, ...]:
    s = baseline().environment(tunnel()).routes("tun0").proxy()
    mail(s).site(MAIL_URL, [MAIL_V4]).route(MAIL_V4, "wlan0")
    return s.build()


def dns_leak(resolver_interface: str = "wlan0", resolver: str = SYSTEM_RESOLVER) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline().environment(tunnel())
        s.route(resolver, resolver_interface, purpose="resolver")
        s.route(FOREIGN_ADDR, "tun0").route(DOMESTIC_ADDR, "tun0", purpose="domestic")
        return s.proxy().build()

    return build


def ipv6_leak() -> tuple[Observation, ...]:
    s = baseline(egress_ipv6="2001:db8:1::10")
    s.environment(tunnel(), egress_ipv6_interface="wlan0").routes("tun0").proxy()
    mail(s).site(MAIL_URL, [MAIL_V4, MAIL_V6]).route(MAIL_V4, "tun0").route(MAIL_V6, "wlan0")
    return s.build()


def ipv6_through_the_tunnel() -> tuple[Observation, ...]:
    s = baseline(egress_ipv6="fd00:8::2")
    s.environment(tunnel(v6="fd00:8::2"), egress_ipv6_interface="tun0").routes("tun0").proxy()
    mail(s).site(MAIL_URL, [MAIL_V4, MAIL_V6]).route(MAIL_V4, "tun0").route(MAIL_V6, "tun0")
    return s.build()


def not_passing() -> tuple[Observation, ...]:
    """Everything routed into wg0, nothing comes back: the lookups and connects time out."""
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    s.service("foreign", FOREIGN_URL, name="Foreign")
    s.environment(tunnel("wg0", link_type="none", v4="10.66.66.2"))
    s.routes("wg0").proxy()
    s.dns(DOMESTIC_HOST, failure="timeout")
    s.dns("docs.foreign.test", failure="timeout")
    s.doh(DOMESTIC_HOST, failure="timeout")
    s.clock(None, failure="timeout")
    return s.build()


def split_not_passing() -> tuple[Observation, ...]:
    """Only mail goes into the dead tunnel; the rest works directly."""
    s = baseline().environment(tunnel()).routes("wlan0").proxy()
    blocked_mail(s).route(MAIL_V4, "tun0")
    return s.build()


def macos(carrying: bool, connected: bool = False) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        s.platform = "Darwin"
        services = [
            SystemVpnService("Office VPN", "IPSec", "Connected" if connected else "Disconnected")
        ]
        s.environment(
            tunnel("utun0", link_type=None, v4="", v6="fe80::1"),
            tunnel("utun3", link_type=None, v4="100.100.1.2"),
            vpn_services=services,
        )
        s.routes("utun3" if carrying else "wlan0").proxy()
        return s.build()

    return build


def windows_adapters(*extra: NetworkInterface, resolver_via: str = "Ethernet") -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        s.platform = "Windows"
        s.records = [r for r in s.records if type(r).__name__ != "NetworkEnvironment"]
        ethernet = NetworkInterface(
            name="Ethernet",
            is_up=True,
            addresses=(InterfaceAddress("ipv4", "192.168.1.10", "255.255.255.0"),),
            link_type="ethernet",
            if_type=6,
            description="Intel(R) Ethernet Connection I219-V",
            dns_servers=("192.168.1.1",),
        )
        from clearsight.probes.records import NetworkEnvironment

        s.add(
            NetworkEnvironment(
                interfaces=(ethernet, *extra),
                egress_ipv4="192.168.1.10",
                egress_ipv4_interface="Ethernet",
                system_resolvers=("10.8.0.1",),
            )
        )
        carrying = extra[0].name if extra else "Ethernet"
        s.route("10.8.0.1", resolver_via if extra else "Ethernet", purpose="resolver")
        s.route(FOREIGN_ADDR, carrying).route(DOMESTIC_ADDR, carrying, purpose="domestic")
        return s.proxy().build()

    return build


WINTUN = NetworkInterface(
    name="OpenVPN Wintun",
    is_up=True,
    addresses=(InterfaceAddress("ipv4", "10.8.0.2", "255.255.255.0"),),
    link_type="virtual",
    if_type=53,
    description="Wintun Userspace Tunnel",
    dns_servers=("10.8.0.1",),
)
TEREDO = NetworkInterface(
    name="Teredo Tunneling Pseudo-Interface",
    is_up=True,
    addresses=(InterfaceAddress("ipv6", "2001:0:2851:782c::1", None),),
    link_type="tunnel",
    if_type=131,
    description="Microsoft Teredo Tunneling Adapter",
)


def tunnel_carrying_nothing() -> tuple[Observation, ...]:
    """A tunnel up with an address (Tailscale-like) that none of the checks went through."""
    s = baseline().environment(tunnel("tailscale0", link_type="tun", v4="100.101.102.103"))
    return s.routes("wlan0").proxy().build()


def per_app_client() -> tuple[Observation, ...]:
    s = baseline().environment(clients=[ClientSeen("Zscaler", "vpn", "ZSATunnel", per_app=True)])
    return s.routes("wlan0").proxy().build()


def exit_abroad(with_vpn: bool) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        s.records = [r for r in s.records if type(r).__name__ != "ExitCheck"]
        s.exit(country="US")
        if with_vpn:
            s.environment(tunnel()).routes("tun0")
        else:
            s.environment().routes("wlan0")
        return s.proxy().build()

    return build


def expected_missing() -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0").proxy()
    s.vpn_expected = True
    return s.build()


def old_report() -> tuple[Observation, ...]:
    """Observations from before the VPN checks: no routes, no proxy record."""
    return baseline().build()


# ---- proxy
def proxy_works_around_a_block() -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0").proxy(manual_proxy())
    blocked_mail(s).route(MAIL_V4, "wlan0")
    s.proxy_fetch(MAIL_URL).proxy_fetch(FOREIGN_URL).proxy_fetch(DOMESTIC_URL)
    return s.build()


def proxy_way_ends_on_a_failing_host() -> tuple[Observation, ...]:
    """Mail answers through the proxy, but sends you on to a host the proxy cannot reach."""
    s = baseline().environment().routes("wlan0").proxy(manual_proxy())
    blocked_mail(s).route(MAIL_V4, "wlan0")
    s.proxy_fetch(MAIL_URL, redirect_to="https://login.example.test/")
    s.proxy_fetch("https://login.example.test/", failure="proxy_tunnel_failed", proxy_status=502)
    s.proxy_fetch(FOREIGN_URL).proxy_fetch(DOMESTIC_URL)
    return s.build()


def proxy_dead() -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0").proxy(manual_proxy())
    for url in (FOREIGN_URL, DOMESTIC_URL):
        s.proxy_fetch(url, failure="proxy_connection_refused")
    return s.build()


def proxy_login() -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0").proxy(manual_proxy())
    for url in (FOREIGN_URL, DOMESTIC_URL):
        s.proxy_fetch(url, failure="proxy_auth_required", proxy_status=407)
    return s.build()


def proxy_upstream(failure: str, proxy_status: int | None) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline().environment().routes("wlan0").proxy(manual_proxy())
        s.proxy_fetch(FOREIGN_URL, failure=failure, proxy_status=proxy_status)
        s.proxy_fetch(DOMESTIC_URL)
        return s.build()

    return build


def proxy_pac() -> tuple[Observation, ...]:
    pac = ProxySource(source="windows", mode="auto_config", pac_url="http://wpad.corp/p.pac")
    s = baseline().environment().routes("wlan0")
    return s.proxy(pac, pac_url="http://wpad.corp/p.pac", pac_status=200).build()


def fake_ip(client_running: bool) -> Rows:
    def build() -> tuple[Observation, ...]:
        clients = [ClientSeen("Clash Verge", "proxy", "clash-verge")] if client_running else []
        s = baseline().environment(clients=clients).routes("wlan0").proxy()
        mail(s)
        s.dns(MAIL_HOST, ["198.18.0.5"])
        s.doh(MAIL_HOST, [MAIL_V4])
        s.tcp("198.18.0.5", 443, "timeout")
        s.reference_probe(MAIL_URL, MAIL_V4)
        return s.build()

    return build


# ---- VPN servers
def endpoints(*rows: Callable[[Scenario], Scenario], foreign_ok: bool = True) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline(foreign_control=foreign_ok, doh_works=foreign_ok)
        s.environment().routes("wlan0").proxy()
        if not foreign_ok:
            s.service("foreign", FOREIGN_URL, name="Foreign")
            s.dns("docs.foreign.test", [FOREIGN_ADDR]).tcp(FOREIGN_ADDR, 443, "timeout")
        for row in rows:
            row(s)
        return s.build()

    return build


def udp_answers(s: Scenario) -> Scenario:
    return s.endpoint("UDP", "openvpn-udp", replied=True, detail="server_hard_reset")


def udp_silent(s: Scenario) -> Scenario:
    return s.endpoint("UDP", "openvpn-udp", failure="timeout", detail="no_reply")


def wg_silent(s: Scenario) -> Scenario:
    return s.endpoint("WG", "wireguard", port=51820, failure="not_run", detail="silent_by_design")


def ike_silent(s: Scenario) -> Scenario:
    return s.endpoint("IKE", "ikev2", port=500, failure="timeout", detail="no_reply")


def companion(failure: str | None) -> Callable[[Scenario], Scenario]:
    def add(s: Scenario) -> Scenario:
        for _ in range(2 if failure == "timeout" else 1):
            s.endpoint(
                "UDP",
                "tcp",
                port=443,
                companion=True,
                replied=failure is None,
                tcp_connected=failure is None,
                failure=failure,
                detail="tcp_connected" if failure is None else f"tcp_{failure}",
            )
        return s

    return add


def tcp_endpoint(failure: str | None, *, connected: bool = False) -> Callable[[Scenario], Scenario]:
    def add(s: Scenario) -> Scenario:
        if connected:
            return s.endpoint(
                "TCP",
                "openvpn-tcp",
                port=443,
                failure="timeout",
                tcp_connected=True,
                detail="tcp_connected_no_reply",
            )
        return s.endpoint(
            "TCP",
            "openvpn-tcp",
            port=443,
            failure=failure,
            replied=failure is None,
            tcp_connected=failure is None,
            detail="server_hard_reset" if failure is None else f"tcp_{failure}",
        )

    return add


def no_address(s: Scenario) -> Scenario:
    s.records.append(
        __import__("clearsight.probes.records", fromlist=["VpnEndpointProbe"]).VpnEndpointProbe(
            name="Gone",
            host="gone.example",
            port=443,
            protocol="https",
            failure="nxdomain",
            detail="no_address",
        )
    )
    s.endpoint_names.append("Gone")
    return s


NOT_ACTIVE = {"vpn_not_active": ()}
ACTIVE = {"vpn_active": ()}
ROWS = [
    pytest.param(
        no_vpn, Expect(NOT_ACTIVE, "not_active", {"foreign": "direct"}, status="ok"), id="no-vpn"
    ),
    pytest.param(
        full_tunnel,
        Expect(
            ACTIVE,
            "active",
            {"foreign": "vpn", "domestic": "vpn", "mail": "vpn"},
            params={"vpn_active": {"interface": "tun0"}},
            status="ok",
        ),
        id="full-tunnel",
    ),
    pytest.param(
        domestic_direct,
        Expect(
            {**ACTIVE, "vpn_domestic_direct": ()},
            "active",
            {"foreign": "vpn", "domestic": "direct"},
            status="ok",
        ),
        id="split-domestic-direct-is-deliberate",
    ),
    pytest.param(
        split_tunnel,
        Expect(
            {**ACTIVE, "vpn_split_tunnel": ("mail",)},
            "active",
            {"mail": "direct", "foreign": "vpn"},
            verdicts={"mail": "ip_blocked"},
            params={"vpn_split_tunnel": {"services": ["Mail"]}},
            severities={"vpn_split_tunnel": "warning"},
        ),
        id="split-tunnel-leaves-a-blocked-service-outside",
    ),
    pytest.param(
        split_tunnel_harmless,
        Expect(
            {**ACTIVE, "vpn_split_tunnel": ("mail",)},
            "active",
            severities={"vpn_split_tunnel": "info"},
            status="ok",
        ),
        id="split-tunnel-harmless-is-a-note",
    ),
    pytest.param(
        dns_leak(),
        Expect(
            {**ACTIVE, "vpn_dns_leak": ()},
            "active",
            params={"vpn_dns_leak": {"resolvers": [SYSTEM_RESOLVER]}},
            status="degraded",
        ),
        id="dns-leak",
    ),
    pytest.param(
        dns_leak("lo", "127.0.0.53"),
        Expect(ACTIVE, "active", status="ok"),
        id="local-stub-resolver-is-not-a-leak",
    ),
    pytest.param(
        dns_leak("tun0"), Expect(ACTIVE, "active", status="ok"), id="resolver-inside-the-tunnel"
    ),
    pytest.param(ipv6_leak, Expect({**ACTIVE, "vpn_ipv6_leak": ()}, "active"), id="ipv6-leak"),
    pytest.param(
        ipv6_through_the_tunnel,
        Expect(ACTIVE, "active", {"mail": "vpn"}, status="ok"),
        id="ipv6-through-the-tunnel",
    ),
    pytest.param(
        not_passing,
        Expect(
            {"vpn_not_passing_traffic": ("domestic", "foreign")},
            "not_passing",
            {"foreign": "vpn"},
            verdicts={"foreign": "inconclusive"},
            params={"vpn_not_passing_traffic": {"interface": "wg0"}},
            first="vpn_not_passing_traffic",
        ),
        id="tunnel-up-passing-nothing",
    ),
    pytest.param(
        split_not_passing,
        Expect(
            {"vpn_not_passing_traffic": ("mail",)},
            "not_passing",
            {"mail": "vpn", "foreign": "direct"},
            verdicts={"mail": "inconclusive", "foreign": "reachable"},
            first="vpn_not_passing_traffic",
            status="degraded",
        ),
        id="dead-tunnel-for-one-service-is-not-a-block",
    ),
    pytest.param(
        macos(carrying=False),
        Expect(NOT_ACTIVE, "not_active"),
        id="macos-utun-alone-proves-nothing",
    ),
    pytest.param(
        macos(carrying=True),
        Expect(ACTIVE, "active", {"foreign": "vpn"}, params={"vpn_active": {"interface": "utun3"}}),
        id="macos-utun-carrying-traffic",
    ),
    pytest.param(
        macos(carrying=False, connected=True),
        Expect({**ACTIVE, "vpn_split_tunnel": ("foreign",)}, "active"),
        id="macos-connected-vpn-service",
    ),
    pytest.param(
        windows_adapters(WINTUN, resolver_via="OpenVPN Wintun"),
        Expect(
            {**ACTIVE, "vpn_dns_leak": ()},
            "active",
            {"foreign": "vpn"},
            params={
                "vpn_active": {"interface": "OpenVPN Wintun"},
                "vpn_dns_leak": {"resolvers": ["192.168.1.1"]},
            },
        ),
        id="windows-asks-every-adapters-resolvers",
    ),
    pytest.param(
        windows_adapters(TEREDO), Expect(NOT_ACTIVE, "not_active"), id="windows-teredo-is-not-a-vpn"
    ),
    pytest.param(
        tunnel_carrying_nothing,
        Expect(
            {**ACTIVE, "vpn_split_tunnel": ("foreign",)},
            "active",
            {"foreign": "direct"},
            params={"vpn_active": {"interface": "tailscale0"}},
            status="ok",
        ),
        id="a-tunnel-that-carries-none-of-the-checks-is-a-split",
    ),
    pytest.param(
        per_app_client,
        Expect(
            {**NOT_ACTIVE, "vpn_per_app": ()},
            "not_active",
            params={"vpn_per_app": {"client": "Zscaler"}},
        ),
        id="per-app-vpn",
    ),
    pytest.param(
        exit_abroad(False),
        Expect(
            {**NOT_ACTIVE, "exit_abroad": ()},
            "not_active",
            params={"exit_abroad": {"country": "US", "expected_country": "CN"}},
        ),
        id="exit-abroad-without-a-vpn",
    ),
    pytest.param(exit_abroad(True), Expect(ACTIVE, "active"), id="exit-abroad-through-a-vpn"),
    pytest.param(
        expected_missing,
        Expect({**NOT_ACTIVE, "vpn_expected_missing": ()}, "not_active", status="degraded"),
        id="vpn-expected-missing",
    ),
    pytest.param(
        old_report,
        Expect({}, None, {"foreign": "direct"}, status="ok"),
        id="report-from-before-the-vpn-checks",
    ),
    # ---- proxy
    pytest.param(
        proxy_works_around_a_block,
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_unblocks": ("mail",)},
            "not_active",
            via_proxy={"mail": "reachable", "foreign": "reachable", "domestic": "reachable"},
            verdicts={"mail": "ip_blocked"},
            params={
                "proxy_configured": {"proxy": PROXY},
                "proxy_unblocks": {"proxy": PROXY, "services": ["Mail"], "count": 1},
            },
        ),
        id="proxy-gets-around-a-block",
    ),
    pytest.param(
        proxy_way_ends_on_a_failing_host,
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_upstream_failed": ("mail",)},
            "not_active",
            via_proxy={"mail": "inconclusive", "foreign": "reachable"},
            verdicts={"mail": "ip_blocked"},
            params={"proxy_upstream_failed": {"proxy": PROXY, "services": ["Mail"]}},
        ),
        id="proxy-way-ends-on-a-failing-host",
    ),
    pytest.param(
        proxy_dead,
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_unreachable": ()},
            "not_active",
            via_proxy={"foreign": "inconclusive", "domestic": "inconclusive"},
            verdicts={"foreign": "reachable"},
            severities={"proxy_unreachable": "problem"},
            status="degraded",
        ),
        id="proxy-dead",
    ),
    pytest.param(
        proxy_login,
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_auth_required": ()},
            "not_active",
            via_proxy={"foreign": "inconclusive"},
            status="degraded",
        ),
        id="proxy-wants-a-login",
    ),
    pytest.param(
        proxy_upstream("proxy_tunnel_failed", 502),
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_upstream_failed": ("foreign",)},
            "not_active",
            via_proxy={"foreign": "inconclusive", "domestic": "reachable"},
        ),
        id="proxy-upstream-502",
    ),
    pytest.param(
        proxy_upstream("connection_reset", None),
        Expect(
            {**NOT_ACTIVE, "proxy_configured": (), "proxy_upstream_failed": ("foreign",)},
            "not_active",
        ),
        id="proxy-upstream-reset-after-connect",
    ),
    pytest.param(
        proxy_upstream("tls_cert_untrusted", None),
        Expect(
            {**NOT_ACTIVE, "proxy_configured": ()},
            "not_active",
            via_proxy={"foreign": "tls_intercepted"},
        ),
        id="proxy-presents-a-false-certificate",
    ),
    pytest.param(
        proxy_pac,
        Expect(
            {**NOT_ACTIVE, "proxy_pac": ()},
            "not_active",
            via_proxy={"foreign": None},
            params={"proxy_pac": {"url": "http://wpad.corp/p.pac"}},
        ),
        id="proxy-pac-is-not-evaluated",
    ),
    pytest.param(
        fake_ip(True),
        Expect(
            {**NOT_ACTIVE, "proxy_fake_ip": ("mail",)},
            "not_active",
            verdicts={"mail": "inconclusive"},
            params={"proxy_fake_ip": {"client": "Clash Verge"}},
        ),
        id="fake-ip-with-a-proxy-app-is-not-tampering",
    ),
    pytest.param(
        fake_ip(False),
        Expect(NOT_ACTIVE, "not_active", verdicts={"mail": "dns_tampered"}),
        id="the-same-answers-without-a-proxy-app-are-tampering",
    ),
    # ---- VPN servers
    pytest.param(
        endpoints(udp_answers),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_reachable": ()},
            "not_active",
            endpoints={"UDP": ("reachable", "server_answered")},
        ),
        id="openvpn-udp-answers",
    ),
    pytest.param(
        endpoints(udp_silent, companion("connection_refused")),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_unclear": ()},
            "not_active",
            endpoints={"UDP": ("inconclusive", "host_reachable_no_reply")},
        ),
        id="openvpn-udp-silent-host-answers",
    ),
    pytest.param(
        endpoints(udp_silent, companion("timeout")),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_blocked": ()},
            "not_active",
            endpoints={"UDP": ("blocked", "every_port_times_out")},
            severities={"vpn_endpoint_blocked": "problem"},
        ),
        id="openvpn-udp-silent-every-port-times-out",
    ),
    pytest.param(
        endpoints(udp_silent, companion("timeout"), foreign_ok=False),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_unclear": ()},
            "not_active",
            endpoints={"UDP": ("inconclusive", "may_stay_silent")},
        ),
        id="nothing-abroad-answers-proves-nothing",
    ),
    pytest.param(
        endpoints(wg_silent),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_unclear": ()},
            "not_active",
            endpoints={"WG": ("inconclusive", "silent_by_design")},
        ),
        id="wireguard-is-silent-by-design",
    ),
    pytest.param(
        endpoints(ike_silent),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_blocked": ()},
            "not_active",
            endpoints={"IKE": ("blocked", "no_answer")},
        ),
        id="ikev2-servers-always-answer",
    ),
    pytest.param(
        endpoints(udp_silent, tcp_endpoint(None)),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_unclear": (), "vpn_endpoint_reachable": ()},
            "not_active",
            endpoints={
                "UDP": ("inconclusive", "host_reachable_no_reply"),
                "TCP": ("reachable", "server_answered"),
            },
        ),
        id="udp-port-dropped-tcp-endpoint-reachable",
    ),
    pytest.param(
        endpoints(tcp_endpoint(None, connected=True)),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_reachable": ()},
            "not_active",
            endpoints={"TCP": ("reachable", "connection_accepted")},
        ),
        id="openvpn-tcp-connects-then-silence-tls-auth",
    ),
    pytest.param(
        endpoints(tcp_endpoint("timeout")),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_blocked": ()},
            "not_active",
            endpoints={"TCP": ("blocked", "connection_times_out")},
        ),
        id="tcp-endpoint-times-out",
    ),
    pytest.param(
        endpoints(tcp_endpoint("connection_refused")),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_blocked": ()},
            "not_active",
            endpoints={"TCP": ("blocked", "connection_refused")},
        ),
        id="tcp-endpoint-refused",
    ),
    pytest.param(
        endpoints(no_address),
        Expect(
            NOT_ACTIVE | {"vpn_endpoint_unclear": ()},
            "not_active",
            endpoints={"Gone": ("inconclusive", "no_address")},
        ),
        id="vpn-server-name-without-address",
    ),
]


def _prefixed(code: str) -> bool:
    return code.startswith(("vpn_", "proxy_", "exit_"))


@pytest.mark.parametrize(("build", "expect"), ROWS)
def test_vpn_and_proxy_rows(build: Rows, expect: Expect) -> None:
    diagnosis = diagnose(build())
    got = {f.code: f.subjects for f in diagnosis.findings if _prefixed(f.code)}
    assert got == expect.vpn, _explain(diagnosis)
    state = diagnosis.vpn.state if diagnosis.vpn else None
    assert state == expect.state, _explain(diagnosis)
    for service_id, path in expect.paths.items():
        verdict = diagnosis.service(service_id)
        assert verdict is not None and verdict.path == path, (service_id, _explain(diagnosis))
    for service_id, via in expect.via_proxy.items():
        verdict = diagnosis.service(service_id)
        assert verdict is not None and verdict.via_proxy == via, (service_id, _explain(diagnosis))
    for service_id, wanted in expect.verdicts.items():
        verdict = diagnosis.service(service_id)
        assert verdict is not None and verdict.verdict == wanted, (service_id, _explain(diagnosis))
    endpoints = diagnosis.vpn.endpoints if diagnosis.vpn else ()
    statuses = {e.name: (e.status, e.reason) for e in endpoints}
    for name, wanted_status in expect.endpoints.items():
        assert statuses.get(name) == wanted_status, (name, statuses)
    for code, params in expect.params.items():
        finding = diagnosis.finding(code)
        assert finding is not None, _explain(diagnosis)
        for key, value in params.items():
            assert finding.params.get(key) == value, (code, key, finding.params)
    for code, severity in expect.severities.items():
        finding = diagnosis.finding(code)
        assert finding is not None and finding.severity == severity, _explain(diagnosis)
    if expect.status is not None:
        assert diagnosis.status == expect.status, _explain(diagnosis)
    if expect.first is not None:
        assert diagnosis.findings[0].code == expect.first, _explain(diagnosis)


@pytest.mark.parametrize(("build", "expect"), ROWS)
def test_exactly_one_vpn_state_and_declared_params(build: Rows, expect: Expect) -> None:
    diagnosis = diagnose(build())
    states = [f.code for f in diagnosis.findings if f.code in VPN_CODES]
    assert len(states) == (0 if expect.state is None else 1), states
    for finding in diagnosis.findings:
        assert set(finding.params) == set(vocabulary.FINDINGS[finding.code]), finding
        assert finding.severity in vocabulary.SEVERITIES
    for verdict in diagnosis.services:
        assert verdict.path in ("direct", "vpn", "proxy")
        assert verdict.via_proxy is None or verdict.via_proxy in vocabulary.VERDICTS


def _explain(diagnosis: Diagnosis) -> str:
    lines = [f"status={diagnosis.status} vpn={diagnosis.vpn}"]
    for v in diagnosis.services:
        lines.append(f"  {v.id}: {v.verdict} path={v.path} via_proxy={v.via_proxy} ({v.reason})")
    for f in diagnosis.findings:
        lines.append(f"  finding {f.code} {f.severity} {f.subjects} {f.params}")
    return "\n".join(lines)
