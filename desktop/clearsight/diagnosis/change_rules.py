"""The network changed during the run (an interface vanished, went down, or came up):
what failed may have failed because of that, not because anything is blocked.

Only verdicts and findings built on something that *answered* survive (a forged DNS answer,
a certificate of a party in the middle, a block page, a login page); those built on silence
or failures become "inconclusive" and the report says to check again.
"""

from __future__ import annotations

from dataclasses import replace

from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import Finding, ServiceVerdict
from clearsight.diagnosis.vocabulary import FindingCode, Verdict

# Verdicts that rest on an answer someone gave, not on a failure.
ANSWERED_VERDICTS: frozenset[Verdict] = frozenset(
    {"reachable", "dns_tampered", "tls_intercepted", "geo_restricted"}
)
ANSWERED_REASONS = frozenset({"not_the_service"})  # http_blocked by a block page or redirect

# Findings that rest on failures or silence: dropped when the network changed.
FAILURE_FINDINGS: frozenset[FindingCode] = frozenset(
    {
        "offline",
        "selective_blocking",
        "residual_blocking_possible",
        "ipv6_broken",
        "udp_blocked",
        "dns_resolver_unreachable",
        "doh_blocked",
        "vpn_not_passing_traffic",
        "vpn_endpoint_blocked",
        "proxy_unreachable",
        "proxy_upstream_failed",
    }
)


def network_changed(ev: Evidence) -> Finding | None:
    if not ev.network_changes:
        return None
    lost = sorted({name for c in ev.network_changes for name in c.lost})
    gained = sorted({name for c in ev.network_changes for name in c.gained})
    first = min(c.started_s for c in ev.network_changes)
    return Finding(
        "network_changed",
        "problem",
        params={
            "lost": lost,
            "gained": gained,
            "interfaces": sorted({*lost, *gained}),
            "seconds": round(first, 1),
        },
    )


def keep_answered(verdicts: list[ServiceVerdict]) -> list[ServiceVerdict]:
    """Verdicts after a network change: failures say nothing any more."""
    return [
        v
        if v.verdict in ANSWERED_VERDICTS or v.reason in ANSWERED_REASONS
        else replace(
            v, verdict="inconclusive", advice_verdict="inconclusive", reason="network_changed"
        )
        for v in verdicts
    ]


def without_failure_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.code not in FAILURE_FINDINGS]


__all__ = ["keep_answered", "network_changed", "without_failure_findings"]
