"""Observation records: what a probe saw, with no judgement.

Every record is a frozen dataclass with a ``kind`` tag, serialisable to JSON by
construction (str, int, float, bool, None, tuples and nested records only), so a
saved report holds everything the diagnosis needs to run again.

Failures are names, never exceptions (see ``failures.py``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class DnsReply:
    """One DNS reply to one query (several can arrive: injectors race the real server)."""

    source: str  # address the reply came from
    elapsed_ms: float  # since the query was sent
    rcode: str  # "NOERROR", "NXDOMAIN", "SERVFAIL", ... or "" when malformed
    addresses: tuple[str, ...] = ()  # A/AAAA records of the answer section, in order
    cnames: tuple[str, ...] = ()
    ttl: int | None = None
    malformed: str | None = None  # why the packet could not be read as a reply to our query


@dataclass(frozen=True)
class DnsQuery:
    """A plain (UDP) DNS query and every reply heard for it."""

    kind: ClassVar[str] = "dns"
    role: str  # "system" | "resolver" | "injection_probe" | "nxdomain_probe"
    resolver: str  # the resolver's name ("system" for the system resolver)
    server: str  # address queried
    name: str
    qtype: str  # "A" | "AAAA"
    addresses: tuple[str, ...] = ()  # of the first usable reply
    failure: str | None = None  # timeout, nxdomain, no_answer, dns_servfail, dns_refused, ...
    replies: tuple[DnsReply, ...] = ()
    elapsed_ms: float | None = None  # until the first usable reply
    listened_ms: float = 0.0  # how long the socket stayed open for late replies
    started_s: float = 0.0  # since the run started


@dataclass(frozen=True)
class DohQuery:
    """A DNS-over-HTTPS (RFC 8484) query to a reference resolver."""

    kind: ClassVar[str] = "doh"
    resolver: str
    url: str
    bootstrap: str  # the address the URL's host was reached at
    name: str
    qtype: str
    addresses: tuple[str, ...] = ()
    rcode: str | None = None
    http_status: int | None = None
    failure: str | None = None
    elapsed_ms: float | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class TcpConnect:
    """A TCP connection attempt to one address and port."""

    kind: ClassVar[str] = "tcp"
    address: str
    port: int
    family: str  # "ipv4" | "ipv6"
    failure: str | None = None
    elapsed_ms: float | None = None
    attempt: int = 1
    started_s: float = 0.0


@dataclass(frozen=True)
class Certificate:
    """The fields of a leaf certificate that a person or the diagnosis needs."""

    subject: str
    common_name: str | None
    sans: tuple[str, ...]
    issuer: str
    issuer_common_name: str | None
    not_before: str  # ISO 8601, UTC
    not_after: str
    sha256: str
    self_signed: bool


@dataclass(frozen=True)
class TlsHandshake:
    """A TLS handshake to one address with one server name (SNI).

    ``control`` handshakes use an innocuous name and are made before any real-name
    handshake to the same (address, port): the Great Firewall blocks a client/server/port
    for minutes after it sees a forbidden name ("residual blocking").
    """

    kind: ClassVar[str] = "tls"
    address: str
    port: int
    server_name: str
    control: bool = False
    failure: str | None = None  # connection_reset, timeout, eof, tls_alert, tls_cert_*, ...
    server_responded: bool = False  # a ServerHello or a TLS alert came back
    alert: str | None = None
    tls_version: str | None = None
    # Trust as judged against certifi plus the profile's ca_file, then the OS store:
    # "ok" | "untrusted" | "name_mismatch" | "expired" | "not_yet_valid" | "not_checked"
    verify: str = "not_checked"
    os_verify: str = "not_checked"
    verify_error: str | None = None
    certificate: Certificate | None = None
    elapsed_ms: float | None = None
    since_real_name_probe_s: float | None = None  # last real-name probe at this pair
    previous_real_name: str | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class Redirect:
    status: int
    location: str


@dataclass(frozen=True)
class HttpFetch:
    """An HTTP(S) request pinned to one address, without environment proxies.

    A ``control`` fetch uses an innocuous TLS server name to the same address, to
    tell name-based throttling from a slow server.
    """

    kind: ClassVar[str] = "http"
    url: str
    host: str
    address: str
    port: int
    control: bool = False
    via: str = "direct"  # "direct" | "proxy"
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # a few headers worth showing
    redirects: tuple[Redirect, ...] = ()
    final_url: str | None = None
    body_bytes: int = 0
    body_complete: bool = False
    stalled: bool = False  # the body stopped arriving before it was complete
    body_prefix: str = ""  # the start of the body, decoded, for block-page evidence
    title: str | None = None
    failure: str | None = None
    ttfb_ms: float | None = None
    elapsed_ms: float | None = None
    started_s: float = 0.0
    proxy: str | None = None  # via "proxy": the proxy used ("host:port"); address is its host
    proxy_status: int | None = None  # the proxy's own answer to CONNECT, when not 200
    # The request went out on the connection the real-name handshake had just verified:
    # its times hold no connect and no handshake (those are in the tcp and tls records).
    on_verified_connection: bool = False


@dataclass(frozen=True)
class ClockCheck:
    """The Date header of a server, compared with the local clock."""

    kind: ClassVar[str] = "clock"
    url: str
    address: str | None = None
    server_date: str | None = None  # ISO 8601
    local_time: str | None = None
    skew_s: float | None = None  # local minus server
    failure: str | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class CaptiveCheck:
    """A captive-portal check: a plain HTTP URL with a known answer."""

    kind: ClassVar[str] = "captive"
    url: str
    expect_status: int | None = None
    expect_body: str | None = None
    addresses: tuple[str, ...] = ()
    status: int | None = None
    location: str | None = None
    body_prefix: str = ""
    matched: bool = False  # the answer was the expected one
    failure: str | None = None
    elapsed_ms: float | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class ExitCheck:
    """The public address and country, from a Cloudflare-trace style page."""

    kind: ClassVar[str] = "exit"
    url: str
    address: str | None = None  # the server's address we used
    ip: str | None = None
    country: str | None = None
    via: str = "direct"
    failure: str | None = None
    elapsed_ms: float | None = None
    started_s: float = 0.0


@dataclass(frozen=True)
class VpnEndpointProbe:
    """A VPN server probed without credentials (one address, one protocol)."""

    kind: ClassVar[str] = "vpn_endpoint"
    name: str
    host: str
    port: int
    protocol: str  # openvpn-udp | openvpn-tcp | ikev2 | wireguard | tcp | https
    address: str | None = None
    replied: bool = False  # the protocol's own answer came back
    failure: str | None = None
    detail: str = ""
    elapsed_ms: float | None = None
    started_s: float = 0.0
    tcp_connected: bool | None = None  # TCP-based protocols: the connect itself succeeded
    # A TCP connect to another port of the endpoint's host, made only as evidence for a
    # protocol whose servers stay silent (is the host reachable at all?).
    companion: bool = False


@dataclass(frozen=True)
class ClientSeen:
    """A VPN or proxy client recognised among the running processes."""

    name: str
    kind: str  # "vpn" | "proxy"
    process: str
    per_app: bool = False


@dataclass(frozen=True)
class InterfaceAddress:
    family: str  # "ipv4" | "ipv6" | "mac"
    address: str
    netmask: str | None = None


@dataclass(frozen=True)
class NetworkInterface:
    name: str
    is_up: bool
    addresses: tuple[InterfaceAddress, ...] = ()
    mtu: int | None = None
    flags: tuple[str, ...] = ()
    # What the OS says the link is: Linux sysfs ("tun", "tap", "wireguard", "ppp", "ether",
    # ...), Windows the adapter's IfType as a word ("ppp", "tunnel", "virtual", ...).
    link_type: str | None = None
    if_type: int | None = None  # Windows IfType / Linux ARPHRD number, as the OS gives it
    description: str | None = None  # Windows adapter description ("Wintun Userspace Tunnel")
    dns_servers: tuple[str, ...] = ()  # resolvers bound to this interface (Windows, macOS)


@dataclass(frozen=True)
class SystemVpnService:
    """A VPN configuration the OS itself manages (macOS ``scutil --nc list``)."""

    name: str
    kind: str  # "IPSec", "PPP:L2TPoverIPSec", "VPN:com.wireguard.macos", ...
    status: str  # "Connected" | "Disconnected" | "Connecting" | ...


@dataclass(frozen=True)
class NetworkEnvironment:
    """What the machine's own configuration says (no packets sent)."""

    kind: ClassVar[str] = "network"
    interfaces: tuple[NetworkInterface, ...] = ()
    egress_ipv4: str | None = None  # local address the OS would use for the internet
    egress_ipv4_interface: str | None = None
    egress_ipv6: str | None = None
    egress_ipv6_interface: str | None = None
    system_resolvers: tuple[str, ...] = ()
    clients: tuple[ClientSeen, ...] = ()
    failure: str | None = None
    vpn_services: tuple[SystemVpnService, ...] = ()
    # What this user may not look at without administrator rights (the app never asks for
    # them): "process_list" when other users' programs are hidden (Linux /proc hidepid).
    limited: tuple[str, ...] = ()


@dataclass(frozen=True)
class EgressRoute:
    """Which local address and interface the OS would use to reach one target (a UDP
    ``connect()`` + ``getsockname()``: no packet is sent)."""

    kind: ClassVar[str] = "route"
    target: str
    # Why the run contacts it: "foreign" | "domestic" (service addresses), "resolver"
    # (a system resolver the run asks), "vpn_endpoint", "reference" (DoH, plain resolvers)
    purpose: str
    family: str  # "ipv4" | "ipv6"
    local_address: str | None = None
    interface: str | None = None
    failure: str | None = None  # "network_unreachable" when the OS has no route
    started_s: float = 0.0


@dataclass(frozen=True)
class ProxySource:
    """One place a proxy can be set (docs/design.md: environment, Windows, macOS, GNOME).

    Credentials are never recorded: ``credentials`` only says that the setting held some.
    """

    source: str  # "environment" | "windows" | "macos" | "gnome"
    mode: str  # "manual" | "auto_config" (a PAC file) | "auto_detect" (WPAD) | "off"
    http: str | None = None  # "host:port"
    https: str | None = None
    socks: str | None = None
    pac_url: str | None = None
    bypass: tuple[str, ...] = ()
    credentials: bool = False


@dataclass(frozen=True)
class ProxyConfig:
    """The system proxy settings as read, and the PAC file when one is set."""

    kind: ClassVar[str] = "proxy"
    sources: tuple[ProxySource, ...] = ()
    pac_url: str | None = None  # the PAC file fetched (auto_config, or WPAD's default)
    pac_status: int | None = None
    pac_bytes: int = 0
    pac_failure: str | None = None
    failure: str | None = None  # the settings could not be read
    started_s: float = 0.0


@dataclass(frozen=True)
class PlannedService:
    id: str
    name: str
    group: str
    urls: tuple[str, ...]
    domestic: bool = False
    sensitive: bool = False
    known_networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunPlan:
    """What was asked for: the parts of the profile the diagnosis needs."""

    kind: ClassVar[str] = "plan"
    profile_name: str
    country: str
    timeout_s: float
    deadline_s: float
    services: tuple[PlannedService, ...] = ()
    skipped_services: tuple[str, ...] = ()  # ids not measured (sensitive, user's choice)
    resolvers: tuple[str, ...] = ()  # "name=address"
    doh: tuple[str, ...] = ()
    injection_probe_addresses: tuple[str, ...] = ()
    ca_file: str | None = None
    vpn_expected: bool = False
    platform: str = ""
    vpn_endpoints: tuple[str, ...] = ()  # names of the VPN servers to probe, in order
    # Redirects a URL's way may take in all, across hosts (each new host measured like
    # the first); 0: only same-host redirects were followed (reports before chains).
    redirect_limit: int = 0


@dataclass(frozen=True)
class Unfinished:
    """Checks still running when the run's deadline came (or when it was cancelled)."""

    kind: ClassVar[str] = "unfinished"
    reason: str  # "deadline" | "cancelled"
    checks: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # ids of services whose chain had not finished


@dataclass(frozen=True)
class NetworkChange:
    """The machine's network interfaces changed while the run went on (Wi-Fi dropped or
    switched, a cable pulled, a VPN connected): what failed after that says nothing about
    blocking. Noticed by polling the interfaces (no packets sent)."""

    kind: ClassVar[str] = "network_change"
    started_s: float  # when it was noticed, seconds into the run
    lost: tuple[str, ...] = ()  # interfaces that vanished, went down or lost their addresses
    gained: tuple[str, ...] = ()  # interfaces that appeared, came up or got new addresses


Observation = (
    DnsQuery
    | DohQuery
    | TcpConnect
    | TlsHandshake
    | HttpFetch
    | ClockCheck
    | CaptiveCheck
    | ExitCheck
    | VpnEndpointProbe
    | NetworkEnvironment
    | EgressRoute
    | ProxyConfig
    | RunPlan
    | Unfinished
    | NetworkChange
)

OBSERVATION_TYPES: dict[str, type[Any]] = {
    cls.kind: cls
    for cls in (
        DnsQuery,
        DohQuery,
        TcpConnect,
        TlsHandshake,
        HttpFetch,
        ClockCheck,
        CaptiveCheck,
        ExitCheck,
        VpnEndpointProbe,
        NetworkEnvironment,
        EgressRoute,
        ProxyConfig,
        RunPlan,
        Unfinished,
        NetworkChange,
    )
}


def to_json(record: Any) -> Any:
    """A record (or a tuple of them) as plain JSON values; ``kind`` first for records."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        out: JsonDict = {}
        kind = getattr(type(record), "kind", None)
        if isinstance(kind, str):
            out["kind"] = kind
        for f in dataclasses.fields(record):
            out[f.name] = to_json(getattr(record, f.name))
        return out
    if isinstance(record, tuple | list):
        return [to_json(item) for item in record]
    return record


class RecordFormatError(ValueError):
    """A saved observation does not have the shape of its record type."""


_T = TypeVar("_T")


def from_json(cls: type[_T], data: Any) -> _T:
    """Rebuild a record of type ``cls`` from ``to_json`` output; unknown keys are ignored
    (newer versions may add fields), wrong types raise ``RecordFormatError``."""
    if not isinstance(data, dict):
        raise RecordFormatError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise RecordFormatError(f"{cls.__name__}: missing field {f.name!r}")
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{cls.__name__}.{f.name}")
    return cls(**kwargs)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _type_hints(cls: type[Any]) -> dict[str, Any]:
    """The resolved field types of a record class (resolving them evaluates the string
    annotations: once per class, not once per record of a large report)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, where)
            except RecordFormatError as exc:
                errors.append(str(exc))
        raise RecordFormatError(errors[0] if errors else f"{where}: unexpected null")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise RecordFormatError(f"{where}: expected a list")
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item, where) for item in value)
        if len(args) != len(value):
            raise RecordFormatError(f"{where}: expected {len(args)} items")
        return tuple(_convert(a, item, where) for a, item in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value)  # type: ignore[arg-type]
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RecordFormatError(f"{where}: expected a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):  # NaN, Infinity or an integer too large for a float
            raise RecordFormatError(f"{where}: expected a finite number")
        return number
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecordFormatError(f"{where}: expected an integer")
        return value
    if hint in (str, bool):
        if not isinstance(value, hint):
            raise RecordFormatError(f"{where}: expected {hint.__name__}")
        return value
    if hint is Any:
        return value
    raise RecordFormatError(f"{where}: unsupported type {hint!r}")


def observation_from_json(data: Any) -> Observation:
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise RecordFormatError("an observation must be an object with a 'kind'")
    cls = OBSERVATION_TYPES.get(data["kind"])
    if cls is None:
        kind = repr(data["kind"])
        shown = kind if len(kind) <= 60 else kind[:59] + "…"
        raise RecordFormatError(f"unknown observation kind {shown}")
    result: Observation = from_json(cls, data)
    return result


__all__ = [
    "OBSERVATION_TYPES",
    "CaptiveCheck",
    "Certificate",
    "ClientSeen",
    "ClockCheck",
    "DnsQuery",
    "DnsReply",
    "DohQuery",
    "EgressRoute",
    "ExitCheck",
    "HttpFetch",
    "InterfaceAddress",
    "NetworkChange",
    "NetworkEnvironment",
    "NetworkInterface",
    "Observation",
    "PlannedService",
    "ProxyConfig",
    "ProxySource",
    "RecordFormatError",
    "Redirect",
    "RunPlan",
    "SystemVpnService",
    "TcpConnect",
    "TlsHandshake",
    "Unfinished",
    "VpnEndpointProbe",
    "from_json",
    "observation_from_json",
    "to_json",
]
