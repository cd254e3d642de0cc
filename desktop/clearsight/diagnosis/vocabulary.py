"""The fixed vocabulary of the report: statuses, verdicts, finding codes and their params.

docs/design.md fixes these names; reports, tests and other tools depend on them. The
explanation catalog must hold a text for every one (a test checks it).

Each vocabulary is a ``Literal`` type (what the typed diagnosis result holds, so a
misspelt verdict does not type-check) and a tuple of its words (for loops and checks).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Status = Literal["ok", "blocked", "degraded", "offline", "captive_portal", "inconclusive"]
Verdict = Literal[
    "reachable",
    "slow",
    "throttled",
    "dns_tampered",
    "dns_failed",
    "ip_blocked",
    "tls_blocked",
    "tls_intercepted",
    "http_blocked",
    "geo_restricted",
    "site_error",
    "inconclusive",
]
Severity = Literal["info", "warning", "problem"]
Layer = Literal["dns", "tcp", "tls", "http"]
LayerStatus = Literal["ok", "failed", "forged", "not_run"]
# How one service's measurement travelled.
ServicePath = Literal["direct", "vpn", "proxy"]
# What the DNS rules conclude about the system resolver's answer for one name.
DnsStatus = Literal[
    "ok", "forged", "failed", "unverified", "nonexistent", "unverified_failed", "not_measured"
]
# The report's ``vpn.state`` and a VPN server's ``status``.
VpnState = Literal["active", "not_active", "not_passing"]
EndpointStatus = Literal["reachable", "blocked", "inconclusive"]
FindingCode = Literal[
    # Network
    "offline",
    "captive_portal",
    "clock_wrong",
    "ipv6_broken",
    "udp_blocked",
    "selective_blocking",
    "residual_blocking_possible",
    "local_network_denied",
    "checks_unfinished",
    "network_changed",
    "checks_limited",
    # DNS
    "dns_resolver_unreachable",
    "dns_resolver_missing",
    "dns_tampering",
    "dns_injection_on_path",
    "dns_intercepted",
    "dns_nxdomain_rewrite",
    "doh_blocked",
    # TLS
    "tls_interception",
    "tls_inspection",
    # VPN and proxy
    "vpn_active",
    "vpn_not_active",
    "vpn_not_passing_traffic",
    "vpn_expected_missing",
    "vpn_split_tunnel",
    "vpn_domestic_direct",
    "vpn_dns_leak",
    "vpn_ipv6_leak",
    "vpn_per_app",
    "vpn_endpoint_blocked",
    "vpn_endpoint_reachable",
    "vpn_endpoint_unclear",
    "exit_abroad",
    "proxy_configured",
    "proxy_pac",
    "proxy_unreachable",
    "proxy_auth_required",
    "proxy_upstream_failed",
    "proxy_unblocks",
    "proxy_fake_ip",
]

STATUSES: Final[tuple[Status, ...]] = get_args(Status)
VERDICTS: Final[tuple[Verdict, ...]] = get_args(Verdict)

BLOCKING_VERDICTS: Final[frozenset[Verdict]] = frozenset(
    {"dns_tampered", "dns_failed", "ip_blocked", "tls_blocked", "tls_intercepted", "http_blocked"}
)
DEGRADED_VERDICTS: Final[frozenset[Verdict]] = frozenset({"slow", "throttled", "inconclusive"})

SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)

LAYERS: Final[tuple[Layer, ...]] = get_args(Layer)
LAYER_STATUSES: Final[tuple[LayerStatus, ...]] = get_args(LayerStatus)
SERVICE_PATHS: Final[tuple[ServicePath, ...]] = get_args(ServicePath)
DNS_STATUSES: Final[tuple[DnsStatus, ...]] = get_args(DnsStatus)
VPN_STATES: Final[tuple[VpnState, ...]] = get_args(VpnState)
ENDPOINT_STATUSES: Final[tuple[EndpointStatus, ...]] = get_args(EndpointStatus)
FINDING_CODES: Final[tuple[FindingCode, ...]] = get_args(FindingCode)

# Finding code -> the params its texts may use. Values are strings or numbers; lists
# of names are passed as lists and joined per language by the catalog.
FINDINGS: Final[dict[FindingCode, tuple[str, ...]]] = {
    # Network
    "offline": (),
    "captive_portal": ("url", "location"),
    "clock_wrong": ("skew_hours",),
    "ipv6_broken": (),
    "udp_blocked": (),
    "selective_blocking": ("blocked", "blocked_count", "foreign_count"),
    "residual_blocking_possible": ("services",),
    "local_network_denied": (),
    "checks_unfinished": ("count", "reason"),
    "network_changed": ("lost", "gained", "interfaces", "seconds"),
    "checks_limited": ("checks",),
    # DNS
    "dns_resolver_unreachable": ("resolver", "address"),
    "dns_resolver_missing": (),
    "dns_tampering": ("names", "addresses"),
    "dns_injection_on_path": ("names", "probe_address"),
    "dns_intercepted": ("probe_address",),
    "dns_nxdomain_rewrite": ("addresses",),
    "doh_blocked": ("resolver",),
    # TLS
    "tls_interception": ("issuer", "services"),
    "tls_inspection": ("issuer", "services"),
    # VPN and proxy
    "vpn_active": ("interface",),
    "vpn_not_active": (),
    "vpn_not_passing_traffic": ("interface",),
    "vpn_expected_missing": (),
    "vpn_split_tunnel": ("interface", "services"),
    "vpn_domestic_direct": ("interface",),
    "vpn_dns_leak": ("resolvers",),
    "vpn_ipv6_leak": ("interface",),
    "vpn_per_app": ("client",),
    "vpn_endpoint_blocked": ("name", "host", "port", "protocol", "proof"),
    "vpn_endpoint_reachable": ("name", "host", "port", "protocol", "proof"),
    "vpn_endpoint_unclear": ("name", "host", "port", "protocol", "proof"),
    "exit_abroad": ("country", "expected_country"),
    "proxy_configured": ("proxy",),
    "proxy_pac": ("url",),
    "proxy_unreachable": ("proxy",),
    "proxy_auth_required": ("proxy",),
    "proxy_upstream_failed": ("proxy", "services"),
    "proxy_unblocks": ("proxy", "services", "count"),
    "proxy_fake_ip": ("client",),
}

# Params every service verdict text may use.
# ``redirected_to``: only when a later hop of a redirect decided (its host).
VERDICT_PARAMS: Final = ("service", "host", "seconds", "redirected_to")

# Why one service's result is unclear (ServiceVerdict.reason), when the catalog has a text of
# its own for it ([unclear.<reason>]); other reasons use the verdict's general text.
UNCLEAR_REASONS: Final = (
    "offline",
    "network_changed",
    "clock_wrong",
    "captive_portal",
    "not_finished",
    "not_measured",
    "lookup_failed_no_reference",
    "unverified_address_wrong_certificate",
    "proxy_fake_ip",
    "no_answer_any_name",
)

# Findings that explain a whole run being unclear, in order of precedence: the summary then
# says so ([summary_cause.<code>]) instead of "we couldn't tell what is wrong".
UNCLEAR_CAUSES: Final[tuple[FindingCode, ...]] = ("network_changed", "clock_wrong")

# Params of the summary headlines.
SUMMARY_PARAMS: Final = ("blocked_count", "service_count", "blocked")
