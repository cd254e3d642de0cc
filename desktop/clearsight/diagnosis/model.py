"""What the diagnosis produces: verdicts per service, findings, an overall status.

Every part is a frozen dataclass whose vocabularies are ``Literal`` types
(:mod:`clearsight.diagnosis.vocabulary`), so a misspelt verdict does not type-check. The
result holds no JSON: ``report/codec.py`` writes it into a report and reads it back, and a
report of the current :data:`DIAGNOSIS_VERSION` reads back to an equal result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from clearsight.diagnosis.vocabulary import (
    BLOCKING_VERDICTS,
    LAYERS,
    DnsStatus,
    EndpointStatus,
    FindingCode,
    Layer,
    LayerStatus,
    ServicePath,
    Severity,
    Status,
    Verdict,
    VpnState,
)

DIAGNOSIS_VERSION = "clearsight-rules/1"

# A finding's params: what its texts may use (vocabulary.FINDINGS): words, numbers, lists
# of words (names, addresses).
ParamValue = str | int | float | bool | None | list[str]
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class LayerResult:
    status: LayerStatus
    failure: str | None = None


@dataclass(frozen=True)
class Layers(Mapping[Layer, LayerResult]):
    """One URL's result per layer, in the order a connection goes (also a mapping by
    layer name)."""

    dns: LayerResult
    tcp: LayerResult
    tls: LayerResult
    http: LayerResult

    def __getitem__(self, layer: Layer) -> LayerResult:
        result: LayerResult = getattr(self, layer)
        return result

    def __iter__(self) -> Iterator[Layer]:
        return iter(LAYERS)

    def __len__(self) -> int:
        return len(LAYERS)


# ------------------------------------------------------------------------- evidence
# What the diagnosis measured for one URL, shown one click away from the verdict (the
# report's ``services[].evidence``). Field names are the report's keys.
@dataclass(frozen=True)
class TcpAttemptEvidence:
    failure: str | None
    ms: float | None


@dataclass(frozen=True)
class TlsControlEvidence:
    """The handshake with an innocuous name at the same address."""

    server_name: str
    failure: str | None
    responded: bool
    ms: float | None


@dataclass(frozen=True)
class CertificateEvidence:
    subject: str
    issuer: str
    sans: tuple[str, ...]
    not_before: str
    not_after: str
    sha256: str


@dataclass(frozen=True)
class TlsEvidence:
    """The handshake with the service's own name."""

    failure: str | None
    verify: str
    os_verify: str
    version: str | None
    ms: float | None
    certificate: CertificateEvidence | None
    previous_real_name_s: float | None


@dataclass(frozen=True)
class HttpEvidence:
    status: int | None
    failure: str | None
    bytes: int
    stalled: bool
    title: str | None
    redirects: tuple[str, ...]
    ms: float | None


@dataclass(frozen=True)
class AddressEvidence:
    """Every layer measured at one address."""

    address: str
    tcp: tuple[TcpAttemptEvidence, ...] | None  # None: never tried
    tls_control: TlsControlEvidence | None = None
    tls: TlsEvidence | None = None
    http: HttpEvidence | None = None


@dataclass(frozen=True)
class DnsEvidence:
    """What the system resolver answered and what the DNS rules made of it."""

    status: DnsStatus
    reason: str
    failure: str | None
    answers: tuple[str, ...]
    reference: tuple[str, ...]
    replies: Mapping[str, tuple[tuple[str, ...], ...]]  # qtype -> every reply's addresses
    injected: tuple[str, ...]
    forged_pool: tuple[str, ...]


@dataclass(frozen=True)
class HopEvidence:
    """One URL on the way a profile URL's redirects lead (diagnosis/redirect_rules.py)."""

    hop: int  # 0: the profile's own URL
    url: str
    host: str
    verdict: Verdict
    reason: str | None


@dataclass(frozen=True)
class UrlEvidence:
    url: str
    host: str
    dns: DnsEvidence
    addresses: tuple[AddressEvidence, ...]
    # The reference's own addresses, where they were probed too (None: none were).
    reference_addresses: tuple[AddressEvidence, ...] | None
    verdict: Verdict
    reason: str | None
    # Only where the URL's redirects led to another host (None: no way was followed).
    # ``url`` and ``host`` above are then the deciding hop's. The way's hops in order,
    # the redirects it took in all, and why it ended short (too many redirects, a loop).
    way: tuple[HopEvidence, ...] | None = None
    redirects: int | None = None
    way_end: str | None = None
    # Only where a later hop than the first decided: its host, the first hop's host, and
    # its place on the way.
    redirected_to: str | None = None
    redirected_from: str | None = None
    decided_by_hop: int | None = None


@dataclass(frozen=True)
class ServiceEvidence:
    host: str | None  # the deciding URL's host
    reason: str | None  # why that URL got its verdict, as judged
    urls: tuple[UrlEvidence, ...]
    # The deciding URL's redirected_to: a later hop of its way decided (None: none did).
    redirected_to: str | None = None
    # The same through the proxy: the host of the later hop that decided ``via_proxy``.
    via_proxy_redirected_to: str | None = None


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True)
class ServiceVerdict:
    id: str
    name: str
    group: str
    domestic: bool
    verdict: Verdict
    advice_verdict: Verdict  # whose advice applies: the deepest layer failing on genuine addresses
    layers: Layers
    evidence: ServiceEvidence
    path: ServicePath = "direct"
    via_proxy: Verdict | None = None
    reason: str | None = None  # a short machine-readable why (e.g. "reference_verified")
    elapsed_ms: float | None = None  # the web request's time, when one completed

    @property
    def params(self) -> dict[str, str | float | None]:
        host = self.evidence.host or ""
        seconds = round(self.elapsed_ms / 1000.0, 1) if self.elapsed_ms else None
        params: dict[str, str | float | None] = {
            "service": self.name,
            "host": host,
            "seconds": seconds,
        }
        if self.evidence.redirected_to:  # a later hop of a redirect decided
            params["redirected_to"] = self.evidence.redirected_to
        return params


@dataclass(frozen=True)
class Finding:
    code: FindingCode
    severity: Severity
    subjects: tuple[str, ...] = ()
    params: Params = field(default_factory=dict)

    def word(self, name: str) -> str | None:
        """The param *name* when it is a word (None: not there, or a number or a list)."""
        value = self.params.get(name)
        return value if isinstance(value, str) else None

    def words(self, name: str) -> tuple[str, ...]:
        """The param *name* as words: a list's, a single word as one (none otherwise)."""
        value = self.params.get(name)
        if isinstance(value, list):
            return tuple(value)
        return (value,) if isinstance(value, str) else ()


# The report's ``network`` section.
@dataclass(frozen=True)
class InterfaceAddressSummary:
    family: str
    address: str


@dataclass(frozen=True)
class InterfaceSummary:
    name: str
    up: bool
    addresses: tuple[InterfaceAddressSummary, ...]
    mtu: int | None


@dataclass(frozen=True)
class EgressSummary:
    ipv4: str | None = None
    ipv4_interface: str | None = None
    ipv6: str | None = None
    ipv6_interface: str | None = None


@dataclass(frozen=True)
class ProxySummary:
    """The system proxy setting in force (``network.proxy``)."""

    source: str
    mode: str
    http: str | None
    https: str | None
    socks: str | None
    pac_url: str | None
    bypass: tuple[str, ...]
    # Only for an automatic configuration (PAC, WPAD): what fetching it gave.
    pac_status: int | None = None
    pac_failure: str | None = None
    auto_config: bool = False
    # Only when something answered through the proxy.
    exit_country: str | None = None
    exit_measured: bool = False


@dataclass(frozen=True)
class NetworkSummary:
    interfaces: tuple[InterfaceSummary, ...] = ()
    egress: EgressSummary = EgressSummary()
    resolvers: tuple[str, ...] = ()
    public_ip: str | None = None
    exit_country: str | None = None
    proxy: ProxySummary | None = None
    ipv6_route: bool = False
    private_egress: bool = False


# The report's ``vpn`` section.
@dataclass(frozen=True)
class VpnEndpointResult:
    """One VPN server of the profile: can it be reached?"""

    name: str
    host: str
    port: int
    protocol: str
    status: EndpointStatus
    reason: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class VpnSummary:
    state: VpnState | None  # None: not measured
    interface: str | None
    tunnels: tuple[str, ...]
    carrying: tuple[str, ...]
    endpoints: tuple[VpnEndpointResult, ...]

    @property
    def active(self) -> bool | None:
        return None if self.state is None else self.state != "not_active"


@dataclass(frozen=True)
class SummaryParams:
    """The params of the summary headline (vocabulary.SUMMARY_PARAMS)."""

    blocked_count: int
    service_count: int
    blocked: tuple[str, ...]

    def as_params(self) -> dict[str, ParamValue]:
        return {
            "blocked_count": self.blocked_count,
            "service_count": self.service_count,
            "blocked": list(self.blocked),
        }


@dataclass(frozen=True)
class Diagnosis:
    status: Status
    services: tuple[ServiceVerdict, ...]
    findings: tuple[Finding, ...]
    network: NetworkSummary
    version: str = DIAGNOSIS_VERSION
    # The report's ``vpn`` section (state, interface, tunnels, VPN servers); None when
    # the run did not look (a report from before these checks).
    vpn: VpnSummary | None = None

    @property
    def summary_params(self) -> dict[str, ParamValue]:
        blocked = [v for v in self.services if v.verdict in BLOCKING_VERDICTS]
        return SummaryParams(
            blocked_count=len(blocked),
            service_count=len(self.services),
            blocked=tuple(v.name for v in blocked),
        ).as_params()

    def finding(self, code: FindingCode) -> Finding | None:
        return next((f for f in self.findings if f.code == code), None)

    def service(self, service_id: str) -> ServiceVerdict | None:
        return next((s for s in self.services if s.id == service_id), None)
