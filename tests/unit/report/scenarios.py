"""Synthetic runs for the report tests: which services an office profile checks, on which
network, and what each did. Every record is built by ``tests/builders/observations.py``.

Addresses come from the documentation ranges only (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32); nothing here touches a network. The verdicts come from the
real ``diagnose()``.

``SECRETS`` are personal values planted where a real run records them (interfaces, the
public address, a home path in the CA file, a captive-portal style redirect, a block page
that echoes the visitor's address): the redaction tests search every output for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearsight.probes.records import (
    Certificate,
    ClientSeen,
    InterfaceAddress,
    NetworkInterface,
    Observation,
)
from clearsight.report.build import RunMeta
from clearsight.report.redact import Identity
from tests.builders.observations import (
    DohServer,
    Scenario,
    cert,
    interface,
    manual_proxy,
    tunnel,
)


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

DOH = DohServer("Cloudflare", "https://cloudflare-dns.com/dns-query", "198.51.100.53")
SYSTEM_DNS = "192.0.2.1"
INJECTION_PROBE = "198.51.100.250"
CHINESE = "Chinese services (for comparison)"

# The office profile's services: id, name, group, URL, domestic.
SERVICES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("baidu", "Baidu", CHINESE, "https://www.baidu.com/", True),
    ("wechat", "WeChat", CHINESE, "https://weixin.qq.com/", True),
    ("gmail", "Gmail", "Email", "https://mail.google.com/", False),
    ("google", "Google Search", "Search", "https://www.google.com/", False),
    ("wikipedia", "Wikipedia", "Reference", "http://zh.wikipedia.org/", False),
    ("intranet", "Acme intranet", "Work", "https://intranet.acme.example/", False),
    ("github", "GitHub", "Work", "https://github.com/", False),
    ("slack", "Slack", "Work", "https://app.slack.com/", False),
)


def office(
    *service_ids: str,
    secrets: Secrets = SECRETS,
    ca_file: str | None = None,
    online: bool = True,
    tunnels: tuple[NetworkInterface, ...] = (),
) -> Scenario:
    """A run of the office profile over ``service_ids`` (none: every service), on a laptop
    whose Wi-Fi and loopback carry ``secrets`` (and ``tunnels``, a VPN's); ``online``: it
    has a route out."""
    s = Scenario(
        profile_name=META.profile_name,
        resolvers=("Google Public DNS=198.51.100.8",),
        doh_urls=(f"{DOH.name}={DOH.url}",),
        injection_probes=(INJECTION_PROBE,),
        ca_file=ca_file,
        redirect_limit=0,  # a run from before redirect chains
        resolver=SYSTEM_DNS,
        reference=DOH,
    )
    for service_id, name, group, url, domestic in SERVICES:
        if not service_ids or service_id in service_ids:
            s.service(service_id, url, name=name, group=group, domestic=domestic)
    return s.environment(
        *interfaces(secrets),
        *tunnels,
        lan=None,
        egress_ipv4=secrets.local_v4 if online else None,
        egress_ipv4_interface="wlan0" if online else None,
        clients=(ClientSeen(CLIENT, "proxy", CLIENT_PROCESS),),
    )


def interfaces(secrets: Secrets = SECRETS) -> tuple[NetworkInterface, ...]:
    """The laptop's loopback and its Wi-Fi, with its personal addresses."""
    return (
        interface(
            "lo",
            InterfaceAddress("ipv4", "127.0.0.1", "255.0.0.0"),
            InterfaceAddress("mac", "00:00:00:00:00:00"),
            mtu=65536,
            flags=("up", "loopback"),
        ),
        interface(
            "wlan0",
            InterfaceAddress("ipv4", secrets.local_v4, "255.255.255.0"),
            InterfaceAddress("ipv6", secrets.public_v6, "ffff:ffff:ffff:ffff::"),
            InterfaceAddress("ipv6", f"{secrets.link_local_v6}%wlan0", "ffff:ffff:ffff:ffff::"),
            InterfaceAddress("mac", secrets.mac),
            flags=("up", "broadcast", "multicast"),
        ),
    )


def resolves(s: Scenario, host: str, address: str, *, ms: float = 18.0) -> Scenario:
    """The system resolver and the DoH reference both give ``address`` (A only)."""
    return s.dns(host, [address], qtype="A", elapsed_ms=ms).doh(
        host, [address], qtype="A", elapsed_ms=160.0
    )


def working(
    s: Scenario,
    host: str,
    address: str,
    *,
    ms: float = 120.0,
    title: str = "Home",
    url: str | None = None,
    redirect_to: str | None = None,
) -> Scenario:
    """``host`` works over HTTPS (``url``: the page asked for, default its root;
    ``redirect_to``: its answer is a redirect there)."""
    resolves(s, host, address)
    s.tcp(address, 443, elapsed_ms=ms / 4)
    s.control(address, elapsed_ms=ms / 4)
    s.tls(address, host, os_verify="ok", certificate=google_cert(host), elapsed_ms=ms / 3)
    return s.http(
        url or f"https://{host}/",
        address,
        headers=(("server", "nginx"),),
        body_bytes=20000,
        title=title,
        body_prefix="",
        redirect_to=redirect_to,
        elapsed_ms=ms,
    )


def google_cert(host: str) -> Certificate:
    """The certificate a working site of these runs presents."""
    return cert(
        host,
        issuer="GTS CA 1C3",
        org="Google Trust Services",
        country="US",
        not_before="2026-01-05T00:00:00Z",
        not_after="2026-04-05T00:00:00Z",
        sha256="ab" * 32,
    )


def exit_in_china(s: Scenario, secrets: Secrets = SECRETS) -> Scenario:
    """The exit check: the public address ``secrets.public_v4``, in China."""
    return s.exit(ip=secrets.public_v4, country="CN", address="198.51.100.90", elapsed_ms=240.0)


def blocked_run(secrets: Secrets = SECRETS, *, hostile: bool = True) -> tuple[Observation, ...]:
    """A run in China: two domestic controls work; Gmail's DNS answer is injected and its
    genuine address blackholed; Google Search is reset by name; Wikipedia gets a block page;
    the intranet is intercepted; GitHub is slow; Slack works."""
    title = f"{SCRIPT} Access blocked" if hostile else "Access blocked"
    issuer = f"{SCRIPT} Middlebox CA" if hostile else "Middlebox CA"
    s = office(secrets=secrets, ca_file=f"{secrets.home}/certs/acme-root.pem")
    s.clock(0.4, url="https://www.baidu.com/", address="198.51.100.10", at="2026-03-02T08:15:05Z")
    s.captive(
        url="http://connectivitycheck.example/generate_204",
        address="198.51.100.77",
        elapsed_ms=80.0,
    )
    exit_in_china(s, secrets)
    working(s, "www.baidu.com", "198.51.100.10", ms=110.0, title="百度一下，你就知道")
    working(s, "weixin.qq.com", "198.51.100.11", ms=150.0, title="微信")
    working(s, "app.slack.com", "198.51.100.60", ms=420.0, title="Slack")
    working(s, "github.com", "198.51.100.50", ms=6400.0, title="GitHub")
    # Gmail: the injector answers first with a forged address; the genuine one is blackholed.
    forged, genuine = "203.0.113.66", "198.51.100.20"
    s.dns("mail.google.com", [forged], qtype="A", elapsed_ms=9.0)
    s.injection("mail.google.com", [forged], elapsed_ms=11.0)
    s.doh("mail.google.com", [genuine], qtype="A", elapsed_ms=170.0)
    s.tcp(forged, 443, "timeout", retry=False, timeout_ms=5000.0)
    s.tcp(genuine, 443, "timeout", timeout_ms=5000.0)
    # Google Search: connects, the innocuous name gets a ServerHello, the real one a reset.
    resolves(s, "www.google.com", "198.51.100.30")
    s.tcp("198.51.100.30", 443, elapsed_ms=60.0).control("198.51.100.30", elapsed_ms=70.0)
    s.tls("198.51.100.30", "www.google.com", failure="connection_reset", elapsed_ms=65.0)
    # Wikipedia over plain HTTP: a block page that echoes the visitor's address and device.
    resolves(s, "zh.wikipedia.org", "198.51.100.40")
    s.tcp("198.51.100.40", 80, elapsed_ms=40.0)
    s.http(
        "http://zh.wikipedia.org/",
        "198.51.100.40",
        status=403,
        headers=(("server", f"censor/1.0 {IMG}"), ("x-client", secrets.local_v4)),
        redirects=(
            f"http://198.51.100.99/blocked?mac={secrets.mac.upper().replace(':', '-')}"
            f"&ip={secrets.public_v4}&dev={secrets.host}&u={SCRIPT}",
        ),
        final_url="http://198.51.100.99/blocked",
        body_bytes=900,
        body_prefix=(
            f"<html><title>{title}</title>Your address {secrets.public_v4} "
            f"({secrets.mac}) on {secrets.host} was logged. {IMG}"
        ),
        title=title,
        elapsed_ms=95.0,
    )
    # The intranet: the certificate presented is not valid for the name.
    resolves(s, "intranet.acme.example", "198.51.100.70")
    s.tcp("198.51.100.70", 443, elapsed_ms=30.0).control("198.51.100.70", elapsed_ms=40.0)
    s.tls(
        "198.51.100.70",
        "intranet.acme.example",
        verify="untrusted",
        verify_error=f"self-signed certificate in chain {IMG}",
        certificate=cert(
            "intranet.acme.example",
            subject=f"CN={IMG}" if hostile else None,
            common_name=IMG if hostile else None,
            sans=(f"{SCRIPT}.example", "intranet.acme.example"),
            issuer=issuer,
            org=None,
            not_before="2026-01-01T00:00:00Z",
            not_after="2027-01-01T00:00:00Z",
            sha256="cd" * 32,
        ),
        elapsed_ms=45.0,
    )
    return s.build()


def _ok(s: Scenario) -> Scenario:
    working(s, "www.baidu.com", "198.51.100.10", ms=110.0)
    working(s, "weixin.qq.com", "198.51.100.11", ms=150.0)
    return working(s, "app.slack.com", "198.51.100.60", ms=420.0)


def ok_run() -> tuple[Observation, ...]:
    return _ok(exit_in_china(office("baidu", "wechat", "slack"))).build()


def offline_run() -> tuple[Observation, ...]:
    s = office("baidu", "gmail", online=False)
    for name in ("www.baidu.com", "mail.google.com"):
        s.dns(name, qtype="A", failure="timeout")
    return s.build()


def captive_run() -> tuple[Observation, ...]:
    s = _ok(exit_in_china(office("baidu", "wechat", "slack")))
    s.captive(
        url="http://connectivitycheck.example/generate_204",
        address="198.51.100.77",
        status=302,
        location=f"http://192.0.2.1/login?mac={SECRETS.mac}&ip={SECRETS.local_v4}",
        matched=False,
        elapsed_ms=30.0,
    )
    return s.build()


def unfinished_run() -> tuple[Observation, ...]:
    s = _ok(exit_in_china(office("baidu", "wechat", "slack")))
    return s.unfinished(["github"], checks=["tls:github.com"]).build()


def vpn_proxy_run() -> tuple[Observation, ...]:
    """A full-tunnel VPN whose tunnel address is personal, the system resolver reached
    around it (a DNS leak), a proxy that gets Gmail through while the network blocks it,
    and two VPN servers: one answering, one silent by design."""
    s = office("baidu", "gmail", "slack", tunnels=(tunnel(v4=SECRETS.vpn_v4, mtu=1500),))
    s.proxy(manual_proxy("127.0.0.1:7890"))
    working(s, "www.baidu.com", "198.51.100.10", ms=110.0)
    working(s, "app.slack.com", "198.51.100.60", ms=420.0)
    resolves(s, "mail.google.com", "198.51.100.40")
    s.tcp("198.51.100.40", 443, "timeout")
    for target, purpose, interface_name, local in (
        (SYSTEM_DNS, "resolver", "wlan0", SECRETS.local_v4),
        ("198.51.100.10", "domestic", "tun0", SECRETS.vpn_v4),
        ("198.51.100.60", "foreign", "tun0", SECRETS.vpn_v4),
        ("198.51.100.40", "foreign", "tun0", SECRETS.vpn_v4),
        ("203.0.113.70", "vpn_endpoint", "wlan0", SECRETS.local_v4),
    ):
        s.route(target, interface_name, purpose=purpose, local=local)
    for url in ("https://mail.google.com/", "https://app.slack.com/", "https://www.baidu.com/"):
        s.proxy_fetch(url, "127.0.0.1:7890", elapsed_ms=500.0, body_bytes=4000)
    s.endpoint(
        "Office",
        "openvpn-tcp",
        port=443,
        host="vpn.acme.example",
        address="203.0.113.70",
        replied=True,
        detail="server_hard_reset",
        tcp_connected=True,
    )
    s.endpoint(
        "Home WireGuard",
        "wireguard",
        port=51820,
        host="203.0.113.70",
        address="203.0.113.70",
        failure="not_run",
        detail="silent_by_design",
    )
    return s.build()


SCENARIOS = {
    "vpn_proxy": vpn_proxy_run,
    "blocked": blocked_run,
    "ok": ok_run,
    "offline": offline_run,
    "captive_portal": captive_run,
    "unfinished": unfinished_run,
}
