"""Findings about the network as a whole: offline, portal, clock, DNS, TLS, IPv6."""

from __future__ import annotations

from collections.abc import Mapping

from clearsight.diagnosis import addresses as addr
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import (
    EgressSummary,
    Finding,
    InterfaceAddressSummary,
    InterfaceSummary,
    NetworkSummary,
    Params,
    ServiceVerdict,
)
from clearsight.diagnosis.service_rules import Context, UrlJudgement
from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS
from clearsight.probes import failures
from clearsight.probes.urls import endpoint

CERTIFICATE_FAILURES = frozenset(
    {
        failures.TLS_CERT_UNTRUSTED,
        failures.TLS_CERT_NAME_MISMATCH,
        failures.TLS_CERT_EXPIRED,
        failures.TLS_CERT_NOT_YET_VALID,
    }
)
UNREACHABLE = frozenset(
    {
        failures.TIMEOUT,
        failures.CONNECTION_REFUSED,
        failures.HOST_UNREACHABLE,
        failures.NETWORK_UNREACHABLE,
        failures.ADDRESS_UNAVAILABLE,
    }
)


def network_findings(
    ev: Evidence,
    verdicts: list[ServiceVerdict],
    details: Mapping[str, UrlJudgement],
    ctx: Context,
    skew: float | None,
    captive: Params | None,
) -> list[Finding]:
    found: list[Finding] = []
    if ev.plan is not None and not ev.any_response():
        found.append(Finding("offline", "problem"))
        found.extend(_unfinished(ev))
        return found
    if captive is not None:
        found.append(Finding("captive_portal", "problem", params=captive))
    if ctx.clock_wrong and skew is not None:
        found.append(
            Finding("clock_wrong", "problem", params={"skew_hours": round(abs(skew) / 3600)})
        )
    found.extend(_dns_findings(ev, verdicts, details, ctx))
    found.extend(_tls_findings(verdicts, details))
    found.extend(_blocking_findings(verdicts, details))
    found.extend(_ipv6(ev, verdicts))
    found.extend(_unfinished(ev))
    found.extend(_limited(ev))
    return found


def _limited(ev: Evidence) -> list[Finding]:
    """What this user could not look at without administrator rights (never asked for)."""
    limited = ev.network.limited if ev.network is not None else ()
    if not limited:
        return []
    return [Finding("checks_limited", "info", params={"checks": list(limited)})]


def _unfinished(ev: Evidence) -> list[Finding]:
    out: list[Finding] = []
    for record in ev.unfinished:
        if record.checks or record.reason.startswith("internal_error"):
            out.append(
                Finding(
                    "checks_unfinished",
                    "warning",
                    subjects=record.services,
                    params={"count": len(record.checks), "reason": record.reason},
                )
            )
    return out


def _dns_findings(
    ev: Evidence, verdicts: list[ServiceVerdict], details: Mapping[str, UrlJudgement], ctx: Context
) -> list[Finding]:
    out: list[Finding] = []
    domestic_hosts = ev.domestic_hosts()
    # Injection probe: any answer from an address that runs no DNS server.
    intercepted = [q for q in ev.injection if q.name.lower() in domestic_hosts and q.addresses]
    if intercepted:
        out.append(
            Finding(
                "dns_intercepted",
                "warning",
                params={"probe_address": intercepted[0].server},
            )
        )
    else:
        injected = [
            q
            for q in ev.injection
            if q.name.lower() not in domestic_hosts and any(r.addresses for r in q.replies)
        ]
        # Several differing replies to one query: a forged reply raced the real one on the
        # way (docs/censorship.md, "DNS"), whatever the probe addresses heard.
        raced = [
            v
            for v in verdicts
            if v.verdict == "dns_tampered" and details[v.id].dns.reason == "several_replies"
        ]
        if injected or raced:
            names = sorted({q.name for q in injected} | {v.evidence.host or "" for v in raced})
            probe = injected[0].server if injected else _queried_server(ev, raced[0])
            # A service is subject by its own hosts, or by the host its redirects led to.
            led_there = [
                v.id
                for v in verdicts
                if v.verdict == "dns_tampered" and v.evidence.redirected_to in names
            ]
            subjects = dict.fromkeys(
                [*_services_for_hosts(ev, names), *led_there, *(v.id for v in raced)]
            )
            out.append(
                Finding(
                    "dns_injection_on_path",
                    "problem",
                    subjects=tuple(subjects),
                    params={"names": names[:8], "probe_address": probe},
                )
            )
    # The system resolver itself lies: forged answers not explained by injection.
    lying = [
        v
        for v in verdicts
        if v.verdict == "dns_tampered"
        and details[v.id].dns.reason not in ("injected_on_path", "several_replies")
        and not ev.injected_answers(v.evidence.host or "")
    ]
    if lying:
        forged_addresses = sorted({a for v in lying for a in details[v.id].dns.local})
        out.append(
            Finding(
                "dns_tampering",
                "problem",
                subjects=tuple(v.id for v in lying),
                params={
                    "names": [str(v.evidence.host) for v in lying][:8],
                    "addresses": forged_addresses[:8],
                },
            )
        )
    # No resolver configured at all: nothing can be looked up, whatever the network does.
    system_failures = [q.failure for q in ev.system_dns.values()]
    if system_failures and all(f == failures.NO_RESOLVER for f in system_failures):
        out.append(Finding("dns_resolver_missing", "problem"))
    # Resolvers that never answered.
    by_resolver: dict[tuple[str, str], list[str | None]] = {}
    for q in ev.resolver_dns:
        by_resolver.setdefault((q.resolver, q.server), []).append(q.failure)
    system = [q.failure for q in ev.system_dns.values()]
    if system and all(f in UNREACHABLE for f in system) and ev.any_response():
        server = next(iter(ev.system_dns.values())).server
        by_resolver[("system", server)] = system
    unreachable = [
        key for key, fs in by_resolver.items() if fs and all(f in UNREACHABLE for f in fs)
    ]
    for name, server in unreachable:
        out.append(
            Finding(
                "dns_resolver_unreachable",
                "warning" if name == "system" else "info",
                params={"resolver": name, "address": server},
            )
        )
    plain = [k for k in by_resolver if k[0] != "system"]
    if len(plain) >= 2 and all(k in unreachable for k in plain) and _any_tcp(ev):
        out.append(Finding("udp_blocked", "info"))
    # A name that cannot exist resolved: the resolver rewrites "no such name".
    rewritten = [q for q in ev.nxdomain_probe if q.addresses]
    if rewritten:
        out.append(
            Finding(
                "dns_nxdomain_rewrite",
                "warning",
                params={"addresses": list(rewritten[0].addresses[:4])},
            )
        )
    # DoH references: answered by nobody while other things work. Not behind a login
    # page (nothing passes before the login), and a certificate refused because the
    # clock is wrong says nothing about the network.
    by_doh: dict[str, list[str | None]] = {}
    for records in ev.doh.values():
        for record in records:
            if ctx.clock_wrong and record.failure in CERTIFICATE_FAILURES:
                continue
            by_doh.setdefault(record.resolver, []).append(record.failure)
    if ctx.captive_portal:
        by_doh = {}
    for name, fs in by_doh.items():
        if (
            fs
            and all(f is not None and f not in (failures.NXDOMAIN, failures.NO_ANSWER) for f in fs)
            and ev.any_response()
        ):
            if all(f in (failures.CANCELLED, failures.DEADLINE) for f in fs):
                continue
            out.append(Finding("doh_blocked", "info", params={"resolver": name}))
    return out


def _queried_server(ev: Evidence, verdict: ServiceVerdict) -> str:
    host = (verdict.evidence.host or "").lower()
    for qtype in ("A", "AAAA"):
        query = ev.system_dns.get((host, qtype))
        if query is not None:
            return query.server
    return ""


def _any_tcp(ev: Evidence) -> bool:
    return any(a.failure is None for attempts in ev.tcp.values() for a in attempts)


def _services_for_hosts(ev: Evidence, names: list[str]) -> tuple[str, ...]:
    wanted = {n.lower() for n in names}
    if ev.plan is None:
        return ()
    return tuple(s.id for s in ev.plan.services if any(endpoint(u).host in wanted for u in s.urls))


def _tls_findings(
    verdicts: list[ServiceVerdict], details: Mapping[str, UrlJudgement]
) -> list[Finding]:
    out: list[Finding] = []
    intercepted = [v for v in verdicts if v.verdict == "tls_intercepted"]
    if intercepted:
        issuers = sorted({i for v in intercepted for i in details[v.id].intercepted_by})
        out.append(
            Finding(
                "tls_interception",
                "problem",
                subjects=tuple(v.id for v in intercepted),
                params={
                    "issuer": issuers[0] if issuers else "",
                    "services": [v.name for v in intercepted][:8],
                },
            )
        )
    inspected = [v for v in verdicts if details[v.id].inspected_by]
    if inspected:
        issuers = sorted({i for v in inspected for i in details[v.id].inspected_by})
        out.append(
            Finding(
                "tls_inspection",
                "info",
                subjects=tuple(v.id for v in inspected),
                params={"issuer": issuers[0], "services": [v.name for v in inspected][:8]},
            )
        )
    return out


def _blocking_findings(
    verdicts: list[ServiceVerdict], details: Mapping[str, UrlJudgement]
) -> list[Finding]:
    out: list[Finding] = []
    domestic = [v for v in verdicts if v.domestic]
    foreign = [v for v in verdicts if not v.domestic]
    domestic_ok = [v for v in domestic if v.verdict in ("reachable", "slow")]
    # Services loading through a false certificate are not safe, but not blocked.
    blocked = [
        v for v in foreign if v.verdict in BLOCKING_VERDICTS and v.verdict != "tls_intercepted"
    ]
    if domestic_ok and blocked and len(domestic_ok) * 2 >= len(domestic):
        out.append(
            Finding(
                "selective_blocking",
                "problem",
                subjects=tuple(v.id for v in blocked),
                params={
                    "blocked": [v.name for v in blocked][:8],
                    "blocked_count": len(blocked),
                    "foreign_count": len(foreign),
                },
            )
        )
    residual = [v for v in verdicts if details[v.id].residual]
    if residual:
        out.append(
            Finding(
                "residual_blocking_possible",
                "info",
                subjects=tuple(v.id for v in residual),
                params={"services": [v.name for v in residual][:8]},
            )
        )
    return out


def _ipv6(ev: Evidence, verdicts: list[ServiceVerdict]) -> list[Finding]:
    """IPv6 connections fail where IPv4 to the same services works."""
    if ev.network is not None and ev.network.egress_ipv6 is None:
        return []
    v6_fail = 0
    v6_ok = 0
    for (address, _port), attempts in ev.tcp.items():
        if ":" not in address:
            continue
        if any(a.failure is None for a in attempts):
            v6_ok += 1
        elif attempts[-1].failure in UNREACHABLE:
            v6_fail += 1
    v4_ok = any(
        a.failure is None
        for (address, _), attempts in ev.tcp.items()
        if ":" not in address
        for a in attempts
    )
    if v6_fail >= 2 and v6_ok == 0 and v4_ok:
        return [Finding("ipv6_broken", "warning")]
    return []


def network_summary(ev: Evidence) -> NetworkSummary:
    """The report's ``network`` section (interfaces, egress, resolvers, public IP); its
    ``proxy`` comes from the proxy rules."""
    env = ev.network
    exit_ok = next((e for e in ev.exits if e.ip), None)
    if env is None:
        return NetworkSummary(
            public_ip=exit_ok.ip if exit_ok else None,
            exit_country=exit_ok.country if exit_ok else None,
        )
    return NetworkSummary(
        interfaces=tuple(
            InterfaceSummary(
                name=i.name,
                up=i.is_up,
                addresses=tuple(InterfaceAddressSummary(a.family, a.address) for a in i.addresses),
                mtu=i.mtu,
            )
            for i in env.interfaces
        ),
        egress=EgressSummary(
            ipv4=env.egress_ipv4,
            ipv4_interface=env.egress_ipv4_interface,
            ipv6=env.egress_ipv6,
            ipv6_interface=env.egress_ipv6_interface,
        ),
        resolvers=tuple(env.system_resolvers),
        public_ip=exit_ok.ip if exit_ok else None,
        exit_country=exit_ok.country if exit_ok else None,
        ipv6_route=bool(env.egress_ipv6),
        private_egress=bool(env.egress_ipv4 and addr.is_private(env.egress_ipv4)),
    )
