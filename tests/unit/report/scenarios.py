"""Synthetic runs for the report tests: observation records as the probes would write them.

Addresses come from the documentation ranges only (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32); nothing here touches a network. The verdicts come from the
real ``diagnose()``.

``SECRETS`` are personal values planted where a real run records them (interfaces, the
public address, a home path in the CA file, a captive-portal style redirect, a block page
that echoes the visitor's address): the redaction tests search every output for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    NetworkEnvironment,
    NetworkInterface,
    Observation,
    PlannedService,
    ProxyConfig,
    ProxySource,
    Redirect,
    RunPlan,
    TcpConnect,
    TlsHandshake,
    Unfinished,
    VpnEndpointProbe,
)
from clearsight.report.build import RunMeta
from clearsight.report.redact import Identity


@dataclass(frozen=True)
class Secrets:
    public_v4: str = "203.0.113.45"
    public_v6: str = "2001:db8:4a::45"
    local_v4: str = "192.0.2.23"
    link_local_v6: str = "fe80::1c2b:3cff:fe4d:5e6f"
    mac: str = "1e:2b:3c:4d:5e:6f"
    vpn_v4: str = "192.0.2.201"
    user: str = "alicewang"
    host: str = "ALICE-THINKPAD"
    home: str = "/home/alicewang"

    def identity(self) -> Identity:
        return Identity(users=(self.user,), hosts=(self.host,), homes=(self.home,))

    def all(self) -> dict[str, str]:
        return {
            "public_v4": self.public_v4,
            "public_v6": self.public_v6,
            "local_v4": self.local_v4,
            "link_local_v6": self.link_local_v6,
            "mac": self.mac,
            "mac_upper_dashes": self.mac.upper().replace(":", "-"),
            "vpn_v4": self.vpn_v4,
            "user": self.user,
            "host": self.host,
            "home": self.home,
        }


SECRETS = Secrets()
# A proxy client seen running: kept by default, replaced when client names are redacted.
CLIENT = "Clash Verge"
CLIENT_PROCESS = "clash-verge.exe"

# Hostile strings a censor's block page, a middlebox certificate or a proxy could carry.
SCRIPT = "<script>alert('x')</script>"
IMG = '"><img src=x onerror=alert(1)>'
HOSTILE = (SCRIPT, IMG)

META = RunMeta(
    profile_name="Acme Shanghai office",
    support_contact="it-help@acme.example",
    started_at="2026-03-02T08:15:04Z",
    finished_at="2026-03-02T08:15:19Z",
    duration_s=15.2,
    platform={"os": "Linux", "release": "6.1.0-18-amd64", "python": "3.11.2"},
)

DOH = "Cloudflare"
SYSTEM_DNS = "192.0.2.1"


def _svc(sid: str, name: str, group: str, url: str, *, domestic: bool = False) -> PlannedService:
    return PlannedService(id=sid, name=name, group=group, urls=(url,), domestic=domestic)


def _cert(name: str, *, issuer: str = "GTS CA 1C3", subject: str | None = None) -> Certificate:
    return Certificate(
        subject=subject or f"CN={name}",
        common_name=name,
        sans=(name,),
        issuer=f"CN={issuer},O=Google Trust Services,C=US",
        issuer_common_name=issuer,
        not_before="2026-01-05T00:00:00Z",
        not_after="2026-04-05T00:00:00Z",
        sha256="ab" * 32,
        self_signed=False,
    )


def _dns(name: str, addresses: tuple[str, ...], ms: float = 18.0) -> list[Observation]:
    return [
        DnsQuery(
            role="system",
            resolver="system",
            server=SYSTEM_DNS,
            name=name,
            qtype="A",
            addresses=addresses,
            replies=(
                DnsReply(source=SYSTEM_DNS, elapsed_ms=ms, rcode="NOERROR", addresses=addresses),
            ),
            elapsed_ms=ms,
            listened_ms=500.0,
        ),
        DohQuery(
            resolver=DOH,
            url="https://cloudflare-dns.com/dns-query",
            bootstrap="198.51.100.53",
            name=name,
            qtype="A",
            addresses=addresses,
            rcode="NOERROR",
            http_status=200,
            elapsed_ms=160.0,
        ),
    ]


def _working(
    name: str, address: str, *, ms: float = 120.0, https: bool = True, title: str = "Home"
) -> list[Observation]:
    port = 443 if https else 80
    records: list[Observation] = [
        *_dns(name, (address,)),
        TcpConnect(address=address, port=port, family="ipv4", elapsed_ms=ms / 4),
    ]
    if https:
        records += [
            TlsHandshake(
                address=address,
                port=443,
                server_name="example.com",
                control=True,
                server_responded=True,
                tls_version="TLSv1.3",
                elapsed_ms=ms / 4,
            ),
            TlsHandshake(
                address=address,
                port=443,
                server_name=name,
                server_responded=True,
                tls_version="TLSv1.3",
                verify="ok",
                os_verify="ok",
                certificate=_cert(name),
                elapsed_ms=ms / 3,
            ),
        ]
    records.append(
        HttpFetch(
            url=f"{'https' if https else 'http'}://{name}/",
            host=name,
            address=address,
            port=port,
            status=200,
            headers=(("server", "nginx"),),
            body_bytes=20000,
            body_complete=True,
            title=title,
            ttfb_ms=ms * 0.8,
            elapsed_ms=ms,
        )
    )
    return records


def plan(services: tuple[PlannedService, ...], *, ca_file: str | None = None) -> RunPlan:
    return RunPlan(
        profile_name=META.profile_name,
        country="CN",
        timeout_s=5.0,
        deadline_s=20.0,
        services=services,
        resolvers=("Google Public DNS=198.51.100.8",),
        doh=(f"{DOH}=https://cloudflare-dns.com/dns-query",),
        injection_probe_addresses=("198.51.100.250",),
        ca_file=ca_file,
        platform="Linux",
    )


def environment(secrets: Secrets = SECRETS) -> NetworkEnvironment:
    return NetworkEnvironment(
        interfaces=(
            NetworkInterface(
                name="lo",
                is_up=True,
                addresses=(
                    InterfaceAddress("ipv4", "127.0.0.1", "255.0.0.0"),
                    InterfaceAddress("mac", "00:00:00:00:00:00"),
                ),
                mtu=65536,
                flags=("up", "loopback"),
            ),
            NetworkInterface(
                name="wlan0",
                is_up=True,
                addresses=(
                    InterfaceAddress("ipv4", secrets.local_v4, "255.255.255.0"),
                    InterfaceAddress("ipv6", secrets.public_v6, "ffff:ffff:ffff:ffff::"),
                    InterfaceAddress(
                        "ipv6", f"{secrets.link_local_v6}%wlan0", "ffff:ffff:ffff:ffff::"
                    ),
                    InterfaceAddress("mac", secrets.mac),
                ),
                mtu=1500,
                flags=("up", "broadcast", "multicast"),
            ),
        ),
        egress_ipv4=secrets.local_v4,
        egress_ipv4_interface="wlan0",
        egress_ipv6=None,
        system_resolvers=(SYSTEM_DNS,),
        clients=(ClientSeen(CLIENT, "proxy", CLIENT_PROCESS),),
    )


SERVICES = (
    _svc(
        "baidu",
        "Baidu",
        "Chinese services (for comparison)",
        "https://www.baidu.com/",
        domestic=True,
    ),
    _svc(
        "wechat",
        "WeChat",
        "Chinese services (for comparison)",
        "https://weixin.qq.com/",
        domestic=True,
    ),
    _svc("gmail", "Gmail", "Email", "https://mail.google.com/"),
    _svc("google", "Google Search", "Search", "https://www.google.com/"),
    _svc("wikipedia", "Wikipedia", "Reference", "http://zh.wikipedia.org/"),
    _svc("intranet", "Acme intranet", "Work", "https://intranet.acme.example/"),
    _svc("github", "GitHub", "Work", "https://github.com/"),
    _svc("slack", "Slack", "Work", "https://app.slack.com/"),
)


def blocked_run(secrets: Secrets = SECRETS, *, hostile: bool = True) -> tuple[Observation, ...]:
    """A run in China: two domestic controls work; Gmail's DNS answer is injected and its
    genuine address blackholed; Google Search is reset by name; Wikipedia gets a block page;
    the intranet is intercepted; GitHub is slow; Slack works."""
    title = f"{SCRIPT} Access blocked" if hostile else "Access blocked"
    issuer = f"{SCRIPT} Middlebox CA" if hostile else "Middlebox CA"
    subject = f"CN={IMG}" if hostile else "CN=intranet.acme.example"
    records: list[Observation] = [
        plan(SERVICES, ca_file=f"{secrets.home}/certs/acme-root.pem"),
        environment(secrets),
        ClockCheck(
            url="https://www.baidu.com/",
            address="198.51.100.10",
            server_date="2026-03-02T08:15:05Z",
            local_time="2026-03-02T08:15:05Z",
            skew_s=0.4,
        ),
        CaptiveCheck(
            url="http://connectivitycheck.example/generate_204",
            expect_status=204,
            addresses=("198.51.100.77",),
            status=204,
            matched=True,
            elapsed_ms=80.0,
        ),
        ExitCheck(
            url="https://trace.example/cdn-cgi/trace",
            address="198.51.100.90",
            ip=secrets.public_v4,
            country="CN",
            elapsed_ms=240.0,
        ),
        *_working("www.baidu.com", "198.51.100.10", ms=110.0, title="百度一下，你就知道"),
        *_working("weixin.qq.com", "198.51.100.11", ms=150.0, title="微信"),
        *_working("app.slack.com", "198.51.100.60", ms=420.0, title="Slack"),
        *_working("github.com", "198.51.100.50", ms=6400.0, title="GitHub"),
    ]
    # Gmail: the injector answers first with a forged address; the genuine one is blackholed.
    forged, genuine = "203.0.113.66", "198.51.100.20"
    records += [
        DnsQuery(
            role="system",
            resolver="system",
            server=SYSTEM_DNS,
            name="mail.google.com",
            qtype="A",
            addresses=(forged,),
            replies=(DnsReply(SYSTEM_DNS, 9.0, "NOERROR", (forged,)),),
            elapsed_ms=9.0,
            listened_ms=500.0,
        ),
        DnsQuery(
            role="injection_probe",
            resolver="injection probe",
            server="198.51.100.250",
            name="mail.google.com",
            qtype="A",
            addresses=(forged,),
            replies=(DnsReply("198.51.100.250", 11.0, "NOERROR", (forged,)),),
            elapsed_ms=11.0,
            listened_ms=1000.0,
        ),
        DohQuery(
            resolver=DOH,
            url="https://cloudflare-dns.com/dns-query",
            bootstrap="198.51.100.53",
            name="mail.google.com",
            qtype="A",
            addresses=(genuine,),
            rcode="NOERROR",
            http_status=200,
            elapsed_ms=170.0,
        ),
        TcpConnect(address=forged, port=443, family="ipv4", failure="timeout", elapsed_ms=5000.0),
        TcpConnect(address=genuine, port=443, family="ipv4", failure="timeout", elapsed_ms=5000.0),
        TcpConnect(
            address=genuine,
            port=443,
            family="ipv4",
            failure="timeout",
            elapsed_ms=5000.0,
            attempt=2,
        ),
    ]
    # Google Search: connects, the innocuous name gets a ServerHello, the real one a reset.
    records += [
        *_dns("www.google.com", ("198.51.100.30",)),
        TcpConnect(address="198.51.100.30", port=443, family="ipv4", elapsed_ms=60.0),
        TlsHandshake(
            address="198.51.100.30",
            port=443,
            server_name="example.com",
            control=True,
            server_responded=True,
            elapsed_ms=70.0,
        ),
        TlsHandshake(
            address="198.51.100.30",
            port=443,
            server_name="www.google.com",
            failure="connection_reset",
            elapsed_ms=65.0,
            since_real_name_probe_s=None,
        ),
    ]
    # Wikipedia over plain HTTP: a block page that echoes the visitor's address and device.
    records += [
        *_dns("zh.wikipedia.org", ("198.51.100.40",)),
        TcpConnect(address="198.51.100.40", port=80, family="ipv4", elapsed_ms=40.0),
        HttpFetch(
            url="http://zh.wikipedia.org/",
            host="zh.wikipedia.org",
            address="198.51.100.40",
            port=80,
            status=403,
            headers=(("server", f"censor/1.0 {IMG}"), ("x-client", secrets.local_v4)),
            redirects=(
                Redirect(
                    302,
                    f"http://198.51.100.99/blocked?mac={secrets.mac.upper().replace(':', '-')}"
                    f"&ip={secrets.public_v4}&dev={secrets.host}&u={SCRIPT}",
                ),
            ),
            final_url="http://198.51.100.99/blocked",
            body_bytes=900,
            body_complete=True,
            body_prefix=(
                f"<html><title>{title}</title>Your address {secrets.public_v4} "
                f"({secrets.mac}) on {secrets.host} was logged. {IMG}"
            ),
            title=title,
            elapsed_ms=95.0,
        ),
    ]
    # The intranet: the certificate presented is not valid for the name.
    records += [
        *_dns("intranet.acme.example", ("198.51.100.70",)),
        TcpConnect(address="198.51.100.70", port=443, family="ipv4", elapsed_ms=30.0),
        TlsHandshake(
            address="198.51.100.70",
            port=443,
            server_name="example.com",
            control=True,
            server_responded=True,
            elapsed_ms=40.0,
        ),
        TlsHandshake(
            address="198.51.100.70",
            port=443,
            server_name="intranet.acme.example",
            server_responded=True,
            failure="tls_cert_untrusted",
            verify="untrusted",
            os_verify="untrusted",
            verify_error=f"self-signed certificate in chain {IMG}",
            certificate=Certificate(
                subject=subject,
                common_name=IMG if hostile else "intranet.acme.example",
                sans=(f"{SCRIPT}.example", "intranet.acme.example"),
                issuer=f"CN={issuer}",
                issuer_common_name=issuer,
                not_before="2026-01-01T00:00:00Z",
                not_after="2027-01-01T00:00:00Z",
                sha256="cd" * 32,
                self_signed=False,
            ),
            elapsed_ms=45.0,
        ),
    ]
    return tuple(records)


def ok_run() -> tuple[Observation, ...]:
    services = tuple(s for s in SERVICES if s.id in ("baidu", "wechat", "slack"))
    return (
        plan(services),
        environment(),
        ExitCheck(
            url="https://trace.example/cdn-cgi/trace",
            address="198.51.100.90",
            ip=SECRETS.public_v4,
            country="CN",
        ),
        *_working("www.baidu.com", "198.51.100.10", ms=110.0),
        *_working("weixin.qq.com", "198.51.100.11", ms=150.0),
        *_working("app.slack.com", "198.51.100.60", ms=420.0),
    )


def offline_run() -> tuple[Observation, ...]:
    services = tuple(s for s in SERVICES if s.id in ("baidu", "gmail"))
    records: list[Observation] = [
        plan(services),
        replace(environment(), egress_ipv4=None, egress_ipv4_interface=None),
    ]
    for name in ("www.baidu.com", "mail.google.com"):
        records.append(
            DnsQuery(
                role="system",
                resolver="system",
                server=SYSTEM_DNS,
                name=name,
                qtype="A",
                failure="timeout",
                listened_ms=5000.0,
            )
        )
    return tuple(records)


def captive_run() -> tuple[Observation, ...]:
    records = list(ok_run())
    records.append(
        CaptiveCheck(
            url="http://connectivitycheck.example/generate_204",
            expect_status=204,
            addresses=("198.51.100.77",),
            status=302,
            location=f"http://192.0.2.1/login?mac={SECRETS.mac}&ip={SECRETS.local_v4}",
            matched=False,
            elapsed_ms=30.0,
        )
    )
    return tuple(records)


def unfinished_run() -> tuple[Observation, ...]:
    records = list(ok_run())
    records.append(Unfinished(reason="deadline", checks=("tls:github.com",), services=("github",)))
    return tuple(records)


def vpn_proxy_run() -> tuple[Observation, ...]:
    """A full-tunnel VPN whose tunnel address is personal, the system resolver reached
    around it (a DNS leak), a proxy that gets Gmail through while the network blocks it,
    and two VPN servers: one answering, one silent by design."""
    services = tuple(s for s in SERVICES if s.id in ("baidu", "gmail", "slack"))
    tunnel = NetworkInterface(
        name="tun0",
        is_up=True,
        addresses=(InterfaceAddress("ipv4", SECRETS.vpn_v4, "255.255.255.255"),),
        mtu=1500,
        flags=("up", "pointopoint", "running", "noarp"),
        link_type="tun",
    )
    env = replace(environment(), interfaces=(*environment().interfaces, tunnel))
    records: list[Observation] = [
        replace(plan(services), vpn_endpoints=("Office", "Home WireGuard")),
        env,
        ProxyConfig(
            sources=(ProxySource("environment", "manual", "127.0.0.1:7890", "127.0.0.1:7890"),)
        ),
        *_working("www.baidu.com", "198.51.100.10", ms=110.0),
        *_working("app.slack.com", "198.51.100.60", ms=420.0),
        *_dns("mail.google.com", ("198.51.100.40",)),
        TcpConnect("198.51.100.40", 443, "ipv4", "timeout", None, 1),
        TcpConnect("198.51.100.40", 443, "ipv4", "timeout", None, 2),
    ]
    for target, purpose, interface, local in (
        (SYSTEM_DNS, "resolver", "wlan0", SECRETS.local_v4),
        ("198.51.100.10", "domestic", "tun0", SECRETS.vpn_v4),
        ("198.51.100.60", "foreign", "tun0", SECRETS.vpn_v4),
        ("198.51.100.40", "foreign", "tun0", SECRETS.vpn_v4),
        ("203.0.113.70", "vpn_endpoint", "wlan0", SECRETS.local_v4),
    ):
        records.append(EgressRoute(target, purpose, "ipv4", local, interface))
    for url in ("https://mail.google.com/", "https://app.slack.com/", "https://www.baidu.com/"):
        records.append(
            HttpFetch(
                url=url,
                host=url.split("/")[2],
                address="127.0.0.1",
                port=7890,
                via="proxy",
                status=200,
                body_bytes=4000,
                body_complete=True,
                elapsed_ms=500.0,
                proxy="127.0.0.1:7890",
            )
        )
    records.append(
        VpnEndpointProbe(
            "Office",
            "vpn.acme.example",
            443,
            "openvpn-tcp",
            "203.0.113.70",
            replied=True,
            detail="server_hard_reset",
            tcp_connected=True,
        )
    )
    records.append(
        VpnEndpointProbe(
            "Home WireGuard",
            "203.0.113.70",
            51820,
            "wireguard",
            "203.0.113.70",
            failure="not_run",
            detail="silent_by_design",
        )
    )
    return tuple(records)


SCENARIOS = {
    "vpn_proxy": vpn_proxy_run,
    "blocked": blocked_run,
    "ok": ok_run,
    "offline": offline_run,
    "captive_portal": captive_run,
    "unfinished": unfinished_run,
}
