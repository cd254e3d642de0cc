"""Real VPN tunnels and HTTP proxies for the censorship lab.

Everything runs inside a lab's namespaces; the VPN and proxy servers live in the world (the
lab's "abroad"), so traffic inside a tunnel passes the censor as opaque packets to the VPN
server's address, and the censor can block that address or one of its ports::

     client ns                       censor ns                 world ns
     eth0 10.77.1.2  ─────────────── (iptables) ─────────────── eth0 10.77.2.2
     tun/wg 10.77.10x.2 ═══ tunnel ═══════════════════════════ tun/wg 10.77.10x.1
                                                                sites, resolvers on lo
                                                                VPN host, proxy host on lo

* :class:`OpenVpnTunnel`: OpenVPN in TLS mode (a tiny PKI from the lab CA, ``--dh none``,
  point-to-point ``--ifconfig``), over UDP or TCP; up in ~1.5 s.
* :class:`WireGuardTunnel`: ``wireguard-go`` + ``wg set`` (no kernel WireGuard here). Its
  control sockets live in ``/var/run/wireguard/<name>.sock`` for the whole machine, so
  interface names carry a per-lab tag (they must differ across namespaces).
* :class:`TinyProxy`: tinyproxy on a world address, optionally asking for a login.
* :func:`route_through` sets the client's routes: a full tunnel, a split tunnel (some
  prefixes only), a DNS leak (the system resolver outside the tunnel), IPv4 only (IPv6
  then leaks around the tunnel).

Every daemon is started with ``ip netns exec`` and stopped by PID; the lab's teardown kills
whatever is left in its namespaces, and :func:`stop_all` runs from the lab's teardown too.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.lab import netns
from tests.lab.lab import CENSOR_LAN_V4, CENSOR_LAN_V6, SYSTEM_RESOLVER_V4, Host
from tests.lab.netns import LabError

if TYPE_CHECKING:
    from tests.lab.lab import Lab

OPENVPN_NET = ("10.77.100.1", "10.77.100.2", "fd77:0:0:1001::1", "fd77:0:0:1001::2")
WIREGUARD_NET = ("10.77.101.1", "10.77.101.2", "fd77:0:0:1011::1", "fd77:0:0:1011::2")
OPENVPN_PORT = 1194
WIREGUARD_PORT = 51820
PROXY_PORT = 8888
UP_TIMEOUT_S = 15.0
WG_RUN_DIR = Path("/var/run/wireguard")


def tools_missing() -> list[str]:
    """The programs the tunnel lab needs that this machine lacks."""
    return [t for t in ("openvpn", "wireguard-go", "wg", "tinyproxy") if shutil.which(t) is None]


def _tag(lab: Lab) -> str:
    """A short tag unique to this lab (interface names are at most 15 characters)."""
    return hashlib.sha1(lab.prefix.encode()).hexdigest()[:6]


def _ip(ns: str, *commands: str) -> None:
    netns.ip_batch(commands, ns=ns)


def vpn_pki(folder: Path) -> dict[str, Path]:
    """A tiny PKI of the VPN's own (OpenVPN checks key usage: the server's certificate for
    servers, the client's for clients): ca.pem, server.pem/.key, client.pem/.key."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    paths = {n: folder / f"{n}.pem" for n in ("ca", "server", "client")}
    paths |= {f"{n}_key": folder / f"{n}.key" for n in ("server", "client")}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Clearsight Lab VPN CA"))
        .issuer_name(name("Clearsight Lab VPN CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for who, usage in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(f"lab-vpn-{who}"))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, True, False, True, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        paths[who].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        write_key(key, paths[f"{who}_key"])
    return paths


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class _Daemon:
    """A process started in a namespace, stopped by its PID."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        netns.stop_process(self.proc)

    def alive(self) -> bool:
        return self.proc.poll() is None


def _start(lab: Lab, ns: str, name: str, argv: list[str]) -> _Daemon:
    log = lab.workdir / f"{name}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            netns.ns_argv(ns, argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    daemon = _Daemon(name, proc, log)
    _registry(lab).append(daemon)
    return daemon


def _registry(lab: Lab) -> list[_Daemon]:
    found: list[_Daemon] | None = getattr(lab, "_tunnel_daemons", None)
    if found is None:
        found = []
        lab._tunnel_daemons = found  # type: ignore[attr-defined]
        lab.add_teardown(lambda: stop_all(lab))
    return found


def stop_all(lab: Lab) -> None:
    """Stop every tunnel and proxy daemon of this lab (also run by the lab's teardown)."""
    for daemon in reversed(getattr(lab, "_tunnel_daemons", [])):
        with contextlib.suppress(Exception):
            daemon.stop()
    for name in getattr(lab, "_wg_names", []):
        with contextlib.suppress(OSError):
            (WG_RUN_DIR / f"{name}.sock").unlink()
    lab._tunnel_daemons = []  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- routes
def route_through(
    lab: Lab,
    tunnel: Tunnel,
    *,
    prefixes: list[str] | None = None,
    ipv6: bool = True,
    dns_outside: bool = False,
) -> None:
    """Send the client's traffic into ``tunnel``: everything (a full tunnel) or only
    ``prefixes`` (a split tunnel). The VPN server itself stays reachable outside the
    tunnel. ``ipv6=False``: IPv6 keeps going around the tunnel (an IPv6 leak);
    ``dns_outside``: the system resolver is reached outside the tunnel (a DNS leak)."""
    dev = tunnel.client_dev
    commands = [f"route replace {a}/32 via {CENSOR_LAN_V4}" for a in tunnel.server_v4s]
    if prefixes is None:
        commands.append(f"route replace default dev {dev}")
        if ipv6:
            commands.append(f"route replace ::/0 dev {dev}")
    else:
        commands.extend(f"route replace {prefix} dev {dev}" for prefix in prefixes)
    if dns_outside:
        commands.append(f"route replace {SYSTEM_RESOLVER_V4}/32 via {CENSOR_LAN_V4}")
    _ip(lab.client_ns, *commands)


def restore_routes(lab: Lab) -> None:
    """The client's routes as the lab built them (direct, through the censor)."""
    _ip(
        lab.client_ns,
        f"route replace default via {CENSOR_LAN_V4}",
        f"route replace ::/0 via {CENSOR_LAN_V6}",
    )


# ---------------------------------------------------------------------------- tunnels
@dataclass
class Tunnel:
    lab: Lab
    host: Host  # the VPN server's address in the world
    client_dev: str
    server_dev: str
    daemons: list[_Daemon] = field(default_factory=list)

    @property
    def server_v4s(self) -> list[str]:
        return [a for a in self.host.addresses if ":" not in a]

    def stop(self) -> None:
        for daemon in self.daemons:
            daemon.stop()


class OpenVpnTunnel(Tunnel):
    @classmethod
    def start(
        cls,
        lab: Lab,
        host: Host,
        *,
        proto: str = "udp",
        port: int = OPENVPN_PORT,
        tls_auth: bool = False,
    ) -> OpenVpnTunnel:
        """A point-to-point OpenVPN tunnel in TLS mode between the client and ``host``."""
        lab.start()
        tag = _tag(lab)
        server_dev, client_dev = f"tun{tag}s", f"tun{tag}c"
        folder = lab.workdir / f"openvpn-{tag}-{proto}-{port}"
        folder.mkdir(exist_ok=True)
        pki = vpn_pki(lab.workdir / "vpn-pki")
        s4, c4, s6, c6 = OPENVPN_NET
        common = [
            "openvpn",
            "--dev-type",
            "tun",
            "--ca",
            str(pki["ca"]),
            "--verb",
            "3",
            "--ping",
            "2",
            "--data-ciphers",
            "AES-256-GCM:AES-128-GCM",
            "--persist-tun",
        ]
        if tls_auth:
            key = folder / "ta.key"
            if not key.exists():
                netns.run(["openvpn", "--genkey", "tls-auth", str(key)])
            common += ["--tls-auth", str(key)]
        server_proto = "tcp-server" if proto == "tcp" else "udp"
        client_proto = "tcp-client" if proto == "tcp" else "udp"
        address = host.ipv4
        if address is None:
            raise LabError("an OpenVPN host needs an IPv4 address")
        server_argv = [
            *common,
            "--dev",
            server_dev,
            "--proto",
            server_proto,
            "--local",
            address,
            "--lport",
            str(port),
            "--tls-server",
            "--dh",
            "none",
            "--cert",
            str(pki["server"]),
            "--key",
            str(pki["server_key"]),
            "--ifconfig",
            s4,
            c4,
            "--ifconfig-ipv6",
            f"{s6}/64",
            c6,
        ]
        client_argv = [
            *common,
            "--dev",
            client_dev,
            "--proto",
            client_proto,
            "--remote",
            address,
            str(port),
            "--nobind",
            "--tls-client",
            "--cert",
            str(pki["client"]),
            "--key",
            str(pki["client_key"]),
            "--remote-cert-tls",
            "server",
            "--ifconfig",
            c4,
            s4,
            "--ifconfig-ipv6",
            f"{c6}/64",
            s6,
            "--connect-retry",
            "1",
        ]
        tunnel = cls(lab, host, client_dev, server_dev)
        tunnel.daemons.append(_start(lab, lab.world_ns, f"openvpn-server-{tag}", server_argv))
        time.sleep(0.1)
        client_daemon = _start(lab, lab.client_ns, f"openvpn-client-{tag}", client_argv)
        tunnel.daemons.append(client_daemon)
        deadline = time.monotonic() + UP_TIMEOUT_S
        while "Initialization Sequence Completed" not in _tail(client_daemon.log, 200):
            for daemon in tunnel.daemons:
                if not daemon.alive():
                    raise LabError(f"{daemon.name} exited:\n{_tail(daemon.log)}")
            if time.monotonic() > deadline:
                raise LabError(f"OpenVPN did not come up:\n{_tail(client_daemon.log)}")
            time.sleep(0.05)
        return tunnel


def openvpn_server(
    lab: Lab, host: Host, *, proto: str = "udp", port: int = OPENVPN_PORT, tls_auth: bool = False
) -> _Daemon:
    """An OpenVPN server alone (no client): what the VPN-server probes talk to.
    ``tls_auth``: it drops every packet without the shared key (silent to strangers)."""
    lab.start()
    tag = _tag(lab)
    folder = lab.workdir / f"openvpn-{tag}-{proto}-{port}"
    folder.mkdir(exist_ok=True)
    pki = vpn_pki(lab.workdir / "vpn-pki")
    if host.ipv4 is None:
        raise LabError("an OpenVPN host needs an IPv4 address")
    argv = [
        "openvpn",
        "--dev-type",
        "tun",
        "--dev",
        f"tun{tag}{port % 1000}",
        "--ca",
        str(pki["ca"]),
        "--cert",
        str(pki["server"]),
        "--key",
        str(pki["server_key"]),
        "--dh",
        "none",
        "--tls-server",
        "--verb",
        "3",
        "--proto",
        "tcp-server" if proto == "tcp" else "udp",
        "--local",
        host.ipv4,
        "--lport",
        str(port),
        # Server mode answers every new client, as real VPN servers do (a point-to-point
        # server talks to one peer and ignores the next probe until that one times out).
        "--topology",
        "subnet",
        "--server",
        f"10.77.{102 + port % 50}.0",
        "255.255.255.0",
    ]
    if tls_auth:
        key = folder / "ta.key"
        netns.run(["openvpn", "--genkey", "tls-auth", str(key)])
        argv += ["--tls-auth", str(key), "0"]
    daemon = _start(lab, lab.world_ns, f"openvpn-server-{proto}-{port}", argv)
    deadline = time.monotonic() + UP_TIMEOUT_S
    ready = (
        "Listening for incoming TCP connection" if proto == "tcp" else "UDPv4 link local (bound)"
    )
    while ready not in _tail(daemon.log, 200):
        if not daemon.alive():
            raise LabError(f"{daemon.name} exited:\n{_tail(daemon.log)}")
        if time.monotonic() > deadline:
            raise LabError(f"{daemon.name} did not start:\n{_tail(daemon.log)}")
        time.sleep(0.02)
    return daemon


def _wg_keys() -> tuple[str, str]:
    private = netns.run(["wg", "genkey"]).stdout.strip()
    public = netns.run(["wg", "pubkey"], input=private + "\n").stdout.strip()
    return private, public


class WireGuardTunnel(Tunnel):
    @classmethod
    def start(
        cls, lab: Lab, host: Host, *, port: int = WIREGUARD_PORT, server: bool = True
    ) -> WireGuardTunnel:
        """A WireGuard tunnel to ``host``. ``server=False``: the client's interface is up and
        routed, but no server answers: a VPN that is on and passes nothing."""
        lab.start()
        tag = _tag(lab)
        server_dev, client_dev = f"wg{tag}s", f"wg{tag}c"
        names = getattr(lab, "_wg_names", [])
        names.extend([server_dev, client_dev])
        lab._wg_names = names  # type: ignore[attr-defined]
        s4, c4, s6, c6 = WIREGUARD_NET
        folder = lab.workdir / f"wireguard-{tag}"
        folder.mkdir(exist_ok=True)
        server_private, server_public = _wg_keys()
        client_private, client_public = _wg_keys()
        (folder / "server.key").write_text(server_private + "\n")
        (folder / "client.key").write_text(client_private + "\n")
        tunnel = cls(lab, host, client_dev, server_dev)
        address = host.ipv4
        if address is None:
            raise LabError("a WireGuard host needs an IPv4 address")
        ends = [(lab.client_ns, client_dev)] + ([(lab.world_ns, server_dev)] if server else [])
        for ns, dev in ends:
            env_daemon = _start(
                lab,
                ns,
                f"wireguard-go-{dev}",
                ["env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", dev],
            )
            tunnel.daemons.append(env_daemon)
        deadline = time.monotonic() + UP_TIMEOUT_S
        for _ns, dev in ends:
            while not (WG_RUN_DIR / f"{dev}.sock").exists():
                if time.monotonic() > deadline:
                    raise LabError(
                        f"wireguard-go {dev} did not start:\n"
                        f"{_tail(lab.workdir / f'wireguard-go-{dev}.log')}"
                    )
                time.sleep(0.01)
        if server:
            netns.run(
                [
                    "wg",
                    "set",
                    server_dev,
                    "listen-port",
                    str(port),
                    "private-key",
                    str(folder / "server.key"),
                    "peer",
                    client_public,
                    "allowed-ips",
                    f"{c4}/32,{c6}/128",
                ]
            )
            _ip(
                lab.world_ns,
                f"addr add {s4}/24 dev {server_dev}",
                f"addr add {s6}/64 dev {server_dev} nodad",
                f"link set {server_dev} up",
            )
        netns.run(
            [
                "wg",
                "set",
                client_dev,
                "private-key",
                str(folder / "client.key"),
                "peer",
                server_public,
                "endpoint",
                f"{address}:{port}",
                "allowed-ips",
                "0.0.0.0/0,::/0",
                "persistent-keepalive",
                "1",
            ]
        )
        _ip(
            lab.client_ns,
            f"addr add {c4}/24 dev {client_dev}",
            f"addr add {c6}/64 dev {client_dev} nodad",
            f"link set {client_dev} up",
        )
        if server:
            _wait_handshake(lab, client_dev)
        return tunnel


def _wait_handshake(lab: Lab, dev: str) -> None:
    """Until the client's WireGuard has completed a handshake with the server."""
    deadline = time.monotonic() + UP_TIMEOUT_S
    while True:
        out = netns.run(["wg", "show", dev, "latest-handshakes"], check=False).stdout.split()
        if len(out) >= 2 and out[1].isdigit() and int(out[1]) > 0:
            return
        if time.monotonic() > deadline:
            raise LabError(f"WireGuard {dev}: no handshake with the server")
        time.sleep(0.02)


# ------------------------------------------------------------------------------ proxy
@dataclass
class TinyProxy:
    lab: Lab
    host: Host
    port: int
    daemon: _Daemon
    login: tuple[str, str] | None = None

    @property
    def address(self) -> str:
        """ "host:port", as a proxy setting names it."""
        assert self.host.ipv4 is not None
        return f"{self.host.ipv4}:{self.port}"

    @classmethod
    def start(
        cls, lab: Lab, host: Host, *, port: int = PROXY_PORT, login: tuple[str, str] | None = None
    ) -> TinyProxy:
        """tinyproxy on ``host`` (a world address) allowing the client; ``login``: it asks
        for that user name and password (407 without them)."""
        lab.start()
        if host.ipv4 is None:
            raise LabError("the proxy host needs an IPv4 address")
        tag = f"{_tag(lab)}-{port}"
        conf = lab.workdir / f"tinyproxy-{tag}.conf"
        lines = [
            "User root",
            "Group root",
            f"Port {port}",
            f"Listen {host.ipv4}",
            "Timeout 10",
            "MaxClients 50",
            "Allow 10.77.0.0/16",
            "LogLevel Info",
            f'LogFile "{lab.workdir / f"tinyproxy-{tag}.access"}"',
            "DisableViaHeader Yes",
            "ConnectPort 443",
            "ConnectPort 80",
        ]
        if login:
            lines.append(f"BasicAuth {login[0]} {login[1]}")
        conf.write_text("\n".join(lines) + "\n")
        daemon = _start(lab, lab.world_ns, f"tinyproxy-{tag}", ["tinyproxy", "-d", "-c", str(conf)])
        proxy = cls(lab, host, port, daemon, login)
        proxy._wait()
        return proxy

    def _wait(self) -> None:
        import socket

        assert self.host.ipv4 is not None
        deadline = time.monotonic() + UP_TIMEOUT_S

        def ready() -> bool:
            with socket.socket() as sock:
                sock.settimeout(0.2)
                return sock.connect_ex((self.host.ipv4, self.port)) == 0

        while not self.lab.call_in("world", ready):
            if not self.daemon.alive():
                raise LabError(f"tinyproxy exited:\n{_tail(self.daemon.log)}")
            if time.monotonic() > deadline:
                raise LabError(f"tinyproxy did not start:\n{_tail(self.daemon.log)}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.daemon.stop()


def refuse_from_proxy_side(lab: Lab, site: Host) -> None:
    """Connections made inside the world to ``site`` (the proxy's own, upstream) are reset;
    the client's, from outside the world, still get through."""
    for address in site.addresses:
        tool = "ip6tables" if ":" in address else "iptables"
        netns.run(
            netns.ns_argv(
                lab.world_ns,
                [
                    tool,
                    "-I",
                    "OUTPUT",
                    "-s",
                    address,
                    "-d",
                    address,
                    "-p",
                    "tcp",
                    "-j",
                    "REJECT",
                    "--reject-with",
                    "tcp-reset",
                ],
            )
        )


__all__ = [
    "OPENVPN_NET",
    "WIREGUARD_NET",
    "OpenVpnTunnel",
    "TinyProxy",
    "Tunnel",
    "WireGuardTunnel",
    "openvpn_server",
    "refuse_from_proxy_side",
    "restore_routes",
    "route_through",
    "stop_all",
    "tools_missing",
]
