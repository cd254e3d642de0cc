"""Diagnosis: a pure function from observations to verdicts and findings.

It reads only observations (never the network, the clock or the profile file), so a
saved report diagnoses again identically and every rule is tested from tables.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import replace

from clearsight.diagnosis.change_rules import (
    keep_answered,
    network_changed,
    without_failure_findings,
)
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import (
    DIAGNOSIS_VERSION,
    Diagnosis,
    Finding,
    Params,
    ServiceVerdict,
)
from clearsight.diagnosis.network_rules import network_findings, network_summary
from clearsight.diagnosis.proxy_rules import (
    fake_ip_verdicts,
    proxy_findings,
    proxy_summary,
    proxy_verdicts,
)
from clearsight.diagnosis.service_rules import Context, UrlJudgement, judge_service
from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, Status
from clearsight.diagnosis.vpn_rules import apply_paths, vpn_findings, vpn_view
from clearsight.probes.records import Observation
from clearsight.probes.urls import endpoint

CLOCK_TOLERANCE_S = 3600.0


def diagnose(observations: Iterable[Observation]) -> Diagnosis:
    ev = Evidence.index(observations)
    skew = ev.clock_skew_s()
    clock_wrong = skew is not None and abs(skew) > CLOCK_TOLERANCE_S
    captive = _captive_portal(ev)
    plan_services = ev.plan.services if ev.plan else ()
    # "Blackholed" needs something else to be answering meanwhile: a domestic control or
    # another foreign host (docs/design.md, "Flakiness and speed").
    connected = {
        a for (a, _), attempts in ev.tcp.items() if any(t.failure is None for t in attempts)
    }
    domestic_tcp = {a for a in connected if _is_domestic_address(ev, a)}
    foreign_tcp = bool(connected - domestic_tcp) or any(
        d.http_status is not None for ds in ev.doh.values() for d in ds
    )
    ctx = Context(
        clock_wrong=clock_wrong,
        captive_portal=captive is not None,
        foreign_tcp_works=foreign_tcp,
        domestic_median_ms=_domestic_median(ev),
        domestic_tcp_works=bool(domestic_tcp),
    )
    verdicts: list[ServiceVerdict] = []
    details: dict[str, UrlJudgement] = {}
    for service in plan_services:
        verdict, detail = judge_service(ev, service, ctx)
        verdicts.append(verdict)
        details[service.id] = detail
    # Which way each service went (VPN or not), what a running proxy app's stand-in
    # addresses hide, and what the same service does through the system proxy.
    view = vpn_view(ev)
    verdicts = apply_paths(verdicts, view)
    verdicts = fake_ip_verdicts(ev, verdicts)
    verdicts = proxy_verdicts(ev, verdicts, ctx.domestic_median_ms)
    changed = network_changed(ev)
    if changed is not None:
        verdicts = keep_answered(verdicts)
    findings = network_findings(ev, verdicts, details, ctx, skew, captive)
    vpn = vpn_findings(ev, view, verdicts, foreign_tcp)
    # A dead tunnel explains everything else that failed: it comes first.
    front = [f for f in vpn if f.code == "vpn_not_passing_traffic"]
    findings = [
        *front,
        *findings,
        *(f for f in vpn if f not in front),
        *proxy_findings(ev, verdicts),
    ]
    if changed is not None:
        # The network changed under the run: that comes first, and what rests on failures
        # goes (docs/design.md: never call a dropped Wi-Fi "blocked").
        findings = [changed, *without_failure_findings(findings)]
    status = _status(ev, verdicts, findings)
    if status == "offline":
        # Nothing answered: no service can be judged on its own.
        verdicts = [
            replace(v, verdict="inconclusive", advice_verdict="inconclusive", reason="offline")
            for v in verdicts
        ]
    network = replace(network_summary(ev), proxy=proxy_summary(ev))
    return Diagnosis(
        status=status,
        services=tuple(verdicts),
        findings=tuple(findings),
        network=network,
        version=DIAGNOSIS_VERSION,
        vpn=view.summary() if view.measured or view.endpoints else None,
    )


def _hosts(urls: tuple[str, ...]) -> list[str]:
    return [endpoint(u).host for u in urls]


def _is_domestic_address(ev: Evidence, address: str) -> bool:
    if ev.plan is None:
        return False
    for service in ev.plan.services:
        if not service.domestic:
            continue
        for host in _hosts(service.urls):
            for qtype in ("A", "AAAA"):
                query = ev.system_dns.get((host.lower(), qtype))
                if query is not None and address in query.addresses:
                    return True
    return False


def _domestic_median(ev: Evidence) -> float | None:
    if ev.plan is None:
        return None
    times: list[float] = []
    for service in ev.plan.services:
        if not service.domestic:
            continue
        for host in _hosts(service.urls):
            for (fetch_url, _), fetches in ev.http.items():
                if endpoint(fetch_url).host == host:
                    times.extend(
                        f.elapsed_ms for f in fetches if f.status is not None and f.elapsed_ms
                    )
    return statistics.median(times) if times else None


def _captive_portal(ev: Evidence) -> Params | None:
    """A login page in the way: some check answered, wrongly, and none answered right."""
    if any(c.matched for c in ev.captive):
        return None
    for check in ev.captive:
        if check.status is not None and not check.matched:
            return {"url": check.url, "location": check.location or ""}
    return None


def _status(ev: Evidence, verdicts: list[ServiceVerdict], findings: list[Finding]) -> Status:
    codes = {f.code for f in findings}
    if "offline" in codes:
        return "offline"
    if "captive_portal" in codes:
        return "captive_portal"
    if ev.plan is None:
        return "inconclusive"
    if any(v.verdict in BLOCKING_VERDICTS for v in verdicts):
        return "blocked"
    if "network_changed" in codes:
        return "inconclusive"
    inconclusive = [v for v in verdicts if v.verdict == "inconclusive"]
    if "clock_wrong" in codes or (verdicts and len(inconclusive) * 2 > len(verdicts)):
        return "inconclusive"
    if any(v.verdict != "reachable" for v in verdicts):
        return "degraded"
    if any(f.severity in ("warning", "problem") for f in findings):
        return "degraded"
    return "ok"


__all__ = ["DIAGNOSIS_VERSION", "Diagnosis", "Finding", "ServiceVerdict", "diagnose"]
