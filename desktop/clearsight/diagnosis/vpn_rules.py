"""Is a VPN up, does it carry the traffic, does anything leak, can its servers be reached?

Everything here reads observations only (docs/design.md): the interfaces and the clients seen
running (``network``), which interface the OS picks for each target (``route``), what
answered through it (``tcp``, ``dns``, ``doh``), and the VPN-server probes
(``vpn_endpoint``).

Rules:

* A tunnel is an interface that the OS describes as one (Linux: tun, tap, WireGuard,
  PPP, IPsec; Windows: PPP adapters, Wintun, TAP-Windows, WireGuard and VPN vendors'
  adapters by description; any OS: the usual names). On macOS ``utun`` interfaces exist
  without any VPN, so there a tunnel counts only when it carries a route, or the OS
  reports a connected VPN service.
* The VPN is *on* when a tunnel carries the route to some target of the run, or (outside
  macOS) a tunnel is up with an address. It *passes nothing* when targets are routed
  through it and nothing sent that way came back.
* Split tunnel: foreign services routed outside the tunnel. Foreign traffic through the
  tunnel and domestic controls outside it is the deliberate "domestic direct" rule that
  VPNs for China offer: said, not warned about.
* DNS leak: a system resolver reached outside the tunnel while the VPN carries traffic.
  Windows asks the resolvers of every adapter, so there the resolvers of every other
  adapter leak too.
* IPv6 leak: IPv4 goes through the tunnel, IPv6 to the same kind of targets does not.
* VPN servers: a reply proves reachability. Silence from a protocol whose servers may
  stay silent (WireGuard; OpenVPN with tls-auth/tls-crypt) proves nothing, unless every
  TCP port tried on that host timed out while other foreign hosts answered (docs/censorship.md,
  "VPN protocols").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from clearsight.diagnosis import addresses as addr
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import Finding, ServiceVerdict, VpnEndpointResult, VpnSummary
from clearsight.diagnosis.vocabulary import (
    BLOCKING_VERDICTS,
    EndpointStatus,
    FindingCode,
    Severity,
    VpnState,
)
from clearsight.probes import failures
from clearsight.probes.records import NetworkInterface, VpnEndpointProbe
from clearsight.probes.urls import endpoint

TUNNEL_LINK_TYPES = frozenset({"tun", "tap", "wireguard", "ppp", "xfrm", "vti", "ipsec"})
# Names VPN software gives its interfaces (Linux, macOS, BSD; Windows uses descriptions).
_TUNNEL_NAME = re.compile(
    r"^(tun|tap|utun|wg|ppp|ipsec|gpd|cscotun|tailscale|zt|nordlynx|proton|mullvad|wt"
    r"|vpn|outline|clash|meta|mihomo|sing-?box|xray|v2ray|ztun|sstp|l2tp|pptp|forti)",
    re.IGNORECASE,
)
_WINDOWS_VPN_DESCRIPTION = re.compile(
    r"wintun|tap-windows|tap-win32|tap adapter|wireguard|openvpn|\bvpn\b|anyconnect|cisco"
    r"|fortinet|forticlient|globalprotect|pangp|palo alto|zscaler|nordlynx|juniper|pulse"
    r"|sonicwall|check ?point|tailscale|zerotier|expressvpn|astrill|letsvpn|surfshark"
    r"|proton|mullvad|sstp|l2tp|ikev2|pptp|wan miniport \((ikev2|l2tp|pptp|sstp)\)",
    re.IGNORECASE,
)
# Windows IPv6 transition and virtualisation adapters: tunnels in name only.
_WINDOWS_NOT_VPN = re.compile(
    r"teredo|isatap|6to4|ip-https|hyper-v|vmware|virtualbox|loopback|bluetooth|debug"
    r"|wi-fi direct|network monitor",
    re.IGNORECASE,
)
WINDOWS_PPP = 23
WINDOWS_PROP_VIRTUAL = 53
# Foreign targets whose answer shows the tunnel works.
_ANSWERED_PURPOSES = frozenset({"foreign", "domestic", "reference", "resolver", "vpn_endpoint"})
_NOT_ATTEMPTED = frozenset({failures.CANCELLED, failures.DEADLINE, failures.NOT_RUN})
UDP_SILENT_PROTOCOLS = frozenset({"openvpn-udp", "wireguard", "ikev2"})


def is_tunnel(interface: NetworkInterface, platform: str) -> bool:
    """Whether the OS describes ``interface`` as a VPN tunnel (not whether one is on)."""
    if "loopback" in interface.flags:
        return False
    description = interface.description or ""
    if platform.lower() == "windows":
        # IfType numbers are Windows' own (on Linux the field holds ARPHRD numbers).
        if description and _WINDOWS_NOT_VPN.search(description):
            return False
        if interface.if_type in (WINDOWS_PPP, WINDOWS_PROP_VIRTUAL):
            return True
        if _WINDOWS_VPN_DESCRIPTION.search(description):
            return True
    if interface.link_type in TUNNEL_LINK_TYPES:
        return True
    return bool(_TUNNEL_NAME.match(interface.name))


def _has_routable_address(interface: NetworkInterface) -> bool:
    for entry in interface.addresses:
        if entry.family == "ipv4" and not entry.address.startswith("169.254."):
            return True
        if entry.family == "ipv6" and not entry.address.lower().startswith("fe80"):
            return True
    return False


@dataclass
class VpnView:
    """What the diagnosis concludes about the VPN (the report's ``vpn`` section)."""

    measured: bool = False  # the run looked (routes or proxy settings recorded)
    state: VpnState | None = None  # None: not measured
    interface: str | None = None
    tunnels: list[str] = field(default_factory=list)  # tunnels up (with an address)
    carrying: list[str] = field(default_factory=list)  # tunnels some target is routed through
    paths: dict[str, str] = field(default_factory=dict)  # service id -> "vpn"
    endpoints: list[VpnEndpointResult] = field(default_factory=list)

    def summary(self) -> VpnSummary:
        return VpnSummary(
            state=self.state,
            interface=self.interface,
            tunnels=tuple(self.tunnels),
            carrying=tuple(self.carrying),
            endpoints=tuple(self.endpoints),
        )


@dataclass
class _Routes:
    tunnels: set[str]
    inside: dict[str, str]  # target -> tunnel
    outside: dict[str, str | None]  # target -> interface (None: unknown / no route)


def _service_addresses(ev: Evidence, urls: Iterable[str]) -> list[str]:
    found: list[str] = []
    for url in urls:
        host = endpoint(url).host
        if addr.parse(host) is not None:
            found.append(host)
            continue
        for qtype in ("A", "AAAA"):
            query = ev.system_dns.get((host, qtype))
            if query is not None:
                found.extend(a for a in query.addresses if a not in found)
    return found


def tunnel_interfaces(ev: Evidence) -> tuple[list[NetworkInterface], set[str]]:
    """(tunnels up with an address, names of every interface described as a tunnel)."""
    env = ev.network
    platform = ev.plan.platform if ev.plan else ""
    if env is None:
        return [], set()
    described = [i for i in env.interfaces if is_tunnel(i, platform)]
    names = {i.name for i in described}
    up = [i for i in described if i.is_up and _has_routable_address(i)]
    return up, names


def _routes(ev: Evidence, tunnel_names: set[str]) -> _Routes:
    inside: dict[str, str] = {}
    outside: dict[str, str | None] = {}
    for target, route in ev.routes.items():
        if route.interface is not None and route.interface in tunnel_names:
            inside[target] = route.interface
        else:
            outside[target] = route.interface
    return _Routes(tunnel_names, inside, outside)


def _answers_through(ev: Evidence, targets: set[str]) -> tuple[int, int]:
    """(answers, attempts) from targets routed through the tunnel."""
    answered = attempted = 0
    for (address, _port), attempts in ev.tcp.items():
        if address not in targets:
            continue
        done = [a for a in attempts if a.failure not in _NOT_ATTEMPTED]
        attempted += bool(done)
        answered += any(a.failure is None or a.failure in failures.ACTIVE_REFUSALS for a in done)
    for query in [*ev.system_dns.values(), *ev.resolver_dns]:
        if query.server not in targets or query.failure in _NOT_ATTEMPTED:
            continue
        attempted += 1
        answered += any(r.malformed is None for r in query.replies)
    for records in ev.doh.values():
        for record in records:
            if record.bootstrap in targets and record.failure not in _NOT_ATTEMPTED:
                attempted += 1
                answered += record.http_status is not None
    for probe in ev.vpn_endpoints:
        if probe.address in targets and probe.failure not in _NOT_ATTEMPTED:
            attempted += 1
            answered += probe.replied or probe.failure in failures.ACTIVE_REFUSALS
    return answered, attempted


def vpn_view(ev: Evidence) -> VpnView:
    view = VpnView(measured=bool(ev.routes) or ev.proxy is not None)
    if not view.measured or ev.network is None:
        view.measured = False
        return view
    up, tunnel_names = tunnel_interfaces(ev)
    routes = _routes(ev, tunnel_names)
    platform = (ev.plan.platform if ev.plan else "").lower()
    carrying = sorted(set(routes.inside.values()))
    view.carrying = carrying
    if platform == "darwin":
        # utun interfaces exist without any VPN: only a carried route or a connected
        # VPN service of the OS shows one.
        connected = any(s.status.lower() == "connected" for s in ev.network.vpn_services)
        up = [i for i in up if i.name in carrying or (connected and not i.name.startswith("utun"))]
        if connected and not up and not carrying:
            view.tunnels = []
            view.state = "active"
            return _with_paths(ev, view, routes)
    view.tunnels = sorted({i.name for i in up} | set(carrying))
    if carrying:
        counts: dict[str, int] = {}
        for target, name in routes.inside.items():
            route = ev.routes[target]
            counts[name] = counts.get(name, 0) + (2 if route.purpose == "foreign" else 1)
        view.interface = max(sorted(counts), key=lambda n: counts[n])
        answered, attempted = _answers_through(ev, set(routes.inside))
        view.state = "not_passing" if attempted and not answered else "active"
    elif view.tunnels:
        view.interface = view.tunnels[0]
        view.state = "active"
    else:
        view.state = "not_active"
    return _with_paths(ev, view, routes)


def _with_paths(ev: Evidence, view: VpnView, routes: _Routes) -> VpnView:
    # A service without an address still travelled through the VPN when its lookup did.
    lookups_inside = any(
        r.purpose == "resolver" and target in routes.inside for target, r in ev.routes.items()
    )
    for service in ev.plan.services if ev.plan else ():
        found = _service_addresses(ev, service.urls)
        if any(a in routes.inside for a in found) or (not found and lookups_inside):
            view.paths[service.id] = "vpn"
    return view


# ---------------------------------------------------------------------------- findings
def vpn_findings(
    ev: Evidence, view: VpnView, verdicts: list[ServiceVerdict], foreign_tcp_works: bool
) -> list[Finding]:
    if not view.measured or view.state is None:
        return _endpoint_findings(ev, view, foreign_tcp_works)
    out: list[Finding] = []
    params = {"interface": view.interface or ""}
    if view.state == "not_passing":
        out.append(
            Finding(
                "vpn_not_passing_traffic",
                "problem",
                subjects=tuple(sid for sid, path in view.paths.items() if path == "vpn"),
                params=params,
            )
        )
    elif view.state == "active":
        out.append(Finding("vpn_active", "info", params=params))
    else:
        out.append(Finding("vpn_not_active", "info"))
        if ev.plan is not None and ev.plan.vpn_expected:
            out.append(Finding("vpn_expected_missing", "warning"))
    if view.state == "active":
        # A tunnel that carries none of the run's traffic (a company VPN for its own
        # networks, Tailscale) is a split tunnel too: everything checked went around it.
        out.extend(_split_and_leaks(ev, view, verdicts, leaks=bool(view.carrying)))
    out.extend(_per_app(ev))
    out.extend(_exit_abroad(ev, view))
    out.extend(_endpoint_findings(ev, view, foreign_tcp_works))
    return out


def _split_and_leaks(
    ev: Evidence, view: VpnView, verdicts: list[ServiceVerdict], *, leaks: bool
) -> list[Finding]:
    out: list[Finding] = []
    tunnel_names = set(view.carrying) | set(view.tunnels)
    by_id = {v.id: v for v in verdicts}
    foreign_out: list[str] = []
    domestic_out = 0
    for service in ev.plan.services if ev.plan else ():
        v4 = [a for a in _service_addresses(ev, service.urls) if ":" not in a]
        routed = [ev.routes[a] for a in v4 if a in ev.routes]
        if not routed:
            continue
        outside = [r for r in routed if r.interface not in tunnel_names]
        if not outside:
            continue
        if service.domestic:
            domestic_out += 1
        else:
            foreign_out.append(service.id)
    interface = view.interface or ""
    if foreign_out:
        blocked = any(by_id[s].verdict in BLOCKING_VERDICTS for s in foreign_out if s in by_id)
        out.append(
            Finding(
                "vpn_split_tunnel",
                "warning" if blocked else "info",
                subjects=tuple(foreign_out),
                params={
                    "interface": interface,
                    "services": [by_id[s].name if s in by_id else s for s in foreign_out][:8],
                },
            )
        )
    elif domestic_out:
        out.append(Finding("vpn_domestic_direct", "info", params={"interface": interface}))
    if not leaks:
        return out
    # DNS leak: a resolver the system asks, reached around the tunnel.
    leaking = [
        r.target
        for r in ev.routes.values()
        if r.purpose == "resolver"
        and r.interface not in tunnel_names
        and not _is_loopback(r.target)
        and r.failure is None
    ]
    platform = (ev.plan.platform if ev.plan else "").lower()
    if platform == "windows" and ev.network is not None:
        for interface_record in ev.network.interfaces:
            if interface_record.name in tunnel_names or not interface_record.is_up:
                continue
            leaking.extend(
                a for a in interface_record.dns_servers if not _is_loopback(a) and a not in leaking
            )
    if leaking:
        out.append(
            Finding("vpn_dns_leak", "warning", params={"resolvers": sorted(set(leaking))[:8]})
        )
    # IPv6 leak: IPv4 through the tunnel, IPv6 around it.
    inside_v4 = any(
        r.family == "ipv4" and r.interface in tunnel_names and r.purpose != "vpn_endpoint"
        for r in ev.routes.values()
    )
    v6_outside = any(
        r.family == "ipv6"
        and r.failure is None
        and r.purpose in ("foreign", "reference")
        and r.interface not in tunnel_names
        for r in ev.routes.values()
    )
    env = ev.network
    if env is not None and env.egress_ipv6 is not None:
        v6_outside = v6_outside or env.egress_ipv6_interface not in tunnel_names
    if inside_v4 and v6_outside:
        out.append(Finding("vpn_ipv6_leak", "warning", params={"interface": interface}))
    return out


def _is_loopback(address: str) -> bool:
    ip = addr.parse(address)
    return ip is not None and ip.is_loopback


def _per_app(ev: Evidence) -> list[Finding]:
    clients = [c for c in (ev.network.clients if ev.network else ()) if c.per_app]
    if not clients:
        return []
    return [Finding("vpn_per_app", "info", params={"client": clients[0].name})]


def _exit_abroad(ev: Evidence, view: VpnView) -> list[Finding]:
    if ev.plan is None or not ev.plan.country or view.state != "not_active":
        return []
    exit_ok = next((e for e in ev.exits if e.country), None)
    if exit_ok is None or exit_ok.country is None:
        return []
    if exit_ok.country.upper() == ev.plan.country.upper():
        return []
    return [
        Finding(
            "exit_abroad",
            "info",
            params={"country": exit_ok.country, "expected_country": ev.plan.country},
        )
    ]


# --------------------------------------------------------------------------- endpoints
def _host_evidence(probes: list[VpnEndpointProbe]) -> tuple[bool, bool]:
    """(some TCP port of the host answered, every TCP port tried timed out)."""
    tcp = [p for p in probes if p.protocol in ("tcp", "https", "openvpn-tcp")]
    answered = any(
        p.tcp_connected or p.replied or p.failure in failures.ACTIVE_REFUSALS for p in tcp
    )
    tried = [p for p in tcp if p.failure not in _NOT_ATTEMPTED]
    all_timeouts = bool(tried) and all(
        p.failure == failures.TIMEOUT and not p.tcp_connected for p in tried
    )
    return answered, all_timeouts


def endpoint_statuses(ev: Evidence, foreign_tcp_works: bool) -> list[VpnEndpointResult]:
    """Each VPN server of the profile: reachable | blocked | inconclusive, and why."""
    groups: dict[tuple[str, str, int, str], list[VpnEndpointProbe]] = {}
    by_host: dict[str, list[VpnEndpointProbe]] = {}
    for probe in ev.vpn_endpoints:
        by_host.setdefault(probe.host.lower(), []).append(probe)
        if not probe.companion:
            key = (probe.name, probe.host, probe.port, probe.protocol)
            groups.setdefault(key, []).append(probe)
    order = {n: i for i, n in enumerate(ev.plan.vpn_endpoints if ev.plan else ())}
    out: list[VpnEndpointResult] = []
    for (name, host, port, protocol), probes in sorted(
        groups.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][0])
    ):
        status, reason = _endpoint_status(
            protocol, probes, by_host[host.lower()], foreign_tcp_works
        )
        out.append(
            VpnEndpointResult(
                name=name,
                host=host,
                port=port,
                protocol=protocol,
                status=status,
                reason=reason,
                addresses=tuple(sorted({p.address for p in probes if p.address})),
            )
        )
    return out


def _endpoint_status(
    protocol: str,
    probes: list[VpnEndpointProbe],
    host_probes: list[VpnEndpointProbe],
    foreign_tcp_works: bool,
) -> tuple[EndpointStatus, str]:
    if all(p.detail == "no_address" for p in probes):
        return "inconclusive", "no_address"
    if any(p.replied for p in probes):
        if any(p.detail in ("server_hard_reset", "ike_reply") for p in probes):
            return "reachable", "server_answered"
        if protocol == "https" and any(p.detail == "tls_answered" for p in probes):
            return "reachable", "secure_connection_answered"
        return "reachable", "connection_accepted"
    if protocol == "openvpn-tcp" and any(p.tcp_connected for p in probes):
        # Connected, then silence: a server with tls-auth/tls-crypt does exactly that.
        return "reachable", "connection_accepted"
    tried = [p for p in probes if p.failure not in _NOT_ATTEMPTED or p.detail == "silent_by_design"]
    if not tried:
        return "inconclusive", "not_finished"
    others = [p for p in host_probes if p not in probes]
    host_answers, host_all_timeouts = _host_evidence(others + probes)
    if protocol in UDP_SILENT_PROTOCOLS:
        if host_answers:
            return "inconclusive", "host_reachable_no_reply"
        if host_all_timeouts and foreign_tcp_works:
            return "blocked", "every_port_times_out"
        if (
            protocol == "ikev2"
            and foreign_tcp_works
            and any(p.failure == failures.TIMEOUT for p in probes)
        ):
            # IKEv2 servers answer any IKE_SA_INIT, if only to refuse it.
            return "blocked", "no_answer"
        if protocol == "wireguard":
            return "inconclusive", "silent_by_design"
        return "inconclusive", "may_stay_silent"
    failure = next((p.failure for p in probes if p.failure), None)
    if failure == failures.TIMEOUT:
        if not foreign_tcp_works:
            return "inconclusive", "nothing_abroad_answers"
        return "blocked", "connection_times_out"
    if failure in (failures.CONNECTION_REFUSED, failures.CONNECTION_RESET, failures.EOF):
        return "blocked", "connection_refused"
    if failure in (failures.HOST_UNREACHABLE, failures.NETWORK_UNREACHABLE):
        return "blocked", "unreachable"
    return "inconclusive", "unclear"


def _endpoint_findings(ev: Evidence, view: VpnView, foreign_tcp_works: bool) -> list[Finding]:
    view.endpoints = endpoint_statuses(ev, foreign_tcp_works)
    codes: dict[EndpointStatus, tuple[FindingCode, Severity]] = {
        "reachable": ("vpn_endpoint_reachable", "info"),
        "blocked": ("vpn_endpoint_blocked", "problem"),
        "inconclusive": ("vpn_endpoint_unclear", "info"),
    }
    out: list[Finding] = []
    for server in view.endpoints:
        code, severity = codes[server.status]
        out.append(
            Finding(
                code,
                severity,
                params={
                    "name": server.name,
                    "host": server.host,
                    "port": server.port,
                    "protocol": server.protocol,
                    "proof": server.reason,
                },
            )
        )
    return out


def apply_paths(verdicts: list[ServiceVerdict], view: VpnView) -> list[ServiceVerdict]:
    """Mark services measured through the VPN; a dead tunnel, not the network, is why
    services routed through it failed."""
    from dataclasses import replace

    out: list[ServiceVerdict] = []
    for verdict in verdicts:
        if view.paths.get(verdict.id) == "vpn":
            verdict = replace(verdict, path="vpn")
            if view.state == "not_passing" and verdict.verdict != "reachable":
                verdict = replace(
                    verdict,
                    verdict="inconclusive",
                    advice_verdict="inconclusive",
                    reason="vpn_not_passing_traffic",
                )
        out.append(verdict)
    return out


__all__ = [
    "VpnView",
    "apply_paths",
    "endpoint_statuses",
    "is_tunnel",
    "tunnel_interfaces",
    "vpn_findings",
    "vpn_view",
]
