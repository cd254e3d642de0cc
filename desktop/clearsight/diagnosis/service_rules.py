"""One service's verdict: the first layer that fails, and advice from the deepest layer
that fails on genuine addresses (docs/design.md, "Service verdicts")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from clearsight.diagnosis import addresses as addr
from clearsight.diagnosis.dns_rules import CERT_PROBLEMS, DnsJudgement, judge_dns
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import (
    AddressEvidence,
    CertificateEvidence,
    DnsEvidence,
    HttpEvidence,
    LayerResult,
    Layers,
    ServiceEvidence,
    ServiceVerdict,
    TcpAttemptEvidence,
    TlsControlEvidence,
    TlsEvidence,
    UrlEvidence,
)
from clearsight.diagnosis.redirect_rules import judge_way
from clearsight.diagnosis.vocabulary import Layer, LayerStatus, Verdict
from clearsight.probes import failures
from clearsight.probes.records import HttpFetch, PlannedService, TlsHandshake
from clearsight.probes.urls import endpoint

# Worst first: a service takes its worst URL.
VERDICT_RANK: dict[Verdict, int] = {
    "reachable": 0,
    "slow": 1,
    "inconclusive": 2,
    "site_error": 3,
    "geo_restricted": 4,
    "throttled": 5,
    "dns_failed": 6,
    "http_blocked": 7,
    "tls_blocked": 8,
    "ip_blocked": 9,
    "dns_tampered": 10,
    "tls_intercepted": 11,
}

RESIDUAL_WINDOW_S = 180.0  # the GFW's residual blocking lasts ~90–180 s (docs/censorship.md)
CONNECTION_FAILURES = frozenset(
    {
        failures.CONNECTION_RESET,
        failures.TIMEOUT,
        failures.EOF,
        failures.TLS_HANDSHAKE_FAILED,
        failures.CONNECTION_REFUSED,
        failures.HOST_UNREACHABLE,
    }
)
# A body that ended before it was whole (the connection closed, was reset, or the data stopped
# making sense), as opposed to one that stopped arriving (a stall: slow or throttled).
CUT_OFF = frozenset({failures.EOF, failures.CONNECTION_RESET, failures.HTTP_PROTOCOL_ERROR})
_REGION_PAGE = re.compile(
    r"not available in your (country|region|location)|unavailable in your (country|region)"
    r"|isn't available in your (country|region)|在您所在的(国家|地区)",
    re.IGNORECASE,
)
_BLOCK_PAGE = re.compile(
    r"blocked|access denied|access to this (site|page)|forbidden by|censor|filtered"
    r"|根据相关法律|无法访问|已被屏蔽|禁止访问|peyvandha",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Context:
    """Facts about the whole run that a service's rules depend on."""

    clock_wrong: bool
    captive_portal: bool
    foreign_tcp_works: bool  # some non-domestic address answered a TCP connect
    domestic_median_ms: float | None
    domestic_tcp_works: bool = False  # some domestic control's address answered one


@dataclass(frozen=True)
class UrlJudgement:
    """One URL of a service: its verdict, the DNS judgement it rests on, its evidence."""

    url: str
    verdict: Verdict
    advice_verdict: Verdict
    layers: Layers
    dns: DnsJudgement
    evidence: UrlEvidence  # with this verdict and reason
    reason: str | None = None
    elapsed_ms: float | None = None
    residual: bool = False
    inspected_by: tuple[str, ...] = ()  # issuers trusted only by the OS
    intercepted_by: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return self.evidence.host

    def with_reason(self, reason: str) -> UrlJudgement:
        return replace(self, reason=reason, evidence=replace(self.evidence, reason=reason))


@dataclass
class _Draft:
    """A URL's judgement while the layers are looked at, one after the other."""

    verdict: Verdict
    advice_verdict: Verdict
    layers: dict[Layer, LayerResult]
    reason: str | None = None
    elapsed_ms: float | None = None
    residual: bool = False
    inspected_by: list[str] = field(default_factory=list)
    intercepted_by: list[str] = field(default_factory=list)


def _layer(status: LayerStatus, failure: str | None = None) -> LayerResult:
    return LayerResult(status, failure)


def _most_common(items: list[str | None]) -> str | None:
    names = [i for i in items if i]
    return max(set(names), key=names.count) if names else None


def _cert_summary(handshake: TlsHandshake | None) -> CertificateEvidence | None:
    if handshake is None or handshake.certificate is None:
        return None
    cert = handshake.certificate
    return CertificateEvidence(
        subject=cert.subject,
        issuer=cert.issuer,
        sans=tuple(cert.sans[:10]),
        not_before=cert.not_before,
        not_after=cert.not_after,
        sha256=cert.sha256,
    )


def _address_evidence(
    ev: Evidence, url: str, address: str, port: int, host: str
) -> AddressEvidence:
    attempts = ev.tcp.get((address, port), [])
    control = ev.control.get((address, port))
    real = ev.tls.get((address, port, host))
    fetches = ev.http.get((url, address), [])
    first = fetches[0] if fetches else None
    return AddressEvidence(
        address=address,
        tcp=tuple(TcpAttemptEvidence(a.failure, a.elapsed_ms) for a in attempts) or None,
        tls_control=None
        if control is None
        else TlsControlEvidence(
            server_name=control.server_name,
            failure=control.failure,
            responded=control.server_responded,
            ms=control.elapsed_ms,
        ),
        tls=None
        if real is None
        else TlsEvidence(
            failure=real.failure,
            verify=real.verify,
            os_verify=real.os_verify,
            version=real.tls_version,
            ms=real.elapsed_ms,
            certificate=_cert_summary(real),
            previous_real_name_s=real.since_real_name_probe_s,
        ),
        http=None
        if first is None
        else HttpEvidence(
            status=first.status,
            failure=first.failure,
            bytes=first.body_bytes,
            stalled=first.stalled,
            title=first.title,
            redirects=tuple(r.location for r in first.redirects),
            ms=first.elapsed_ms,
        ),
    )


def _genuine_response(fetch: HttpFetch, with_tls: bool) -> tuple[bool, Verdict | None]:
    """(is this the service's own answer, the verdict when it is not or when it refuses)."""
    if fetch.status is None:
        return False, None
    target = endpoint(fetch.final_url or "").host
    if fetch.redirects and target and target != fetch.host:
        target_ip = addr.parse(target)
        if target_ip is not None and (addr.is_private(target) or addr.is_bogus(target, "")):
            return False, "http_blocked"
    if not with_tls:
        if fetch.status in (403, 451) or (
            fetch.title is not None and _BLOCK_PAGE.search(fetch.title)
        ):
            return False, "http_blocked"
        if fetch.status >= 500:
            return True, "site_error"
        return True, None
    # The genuine service (its certificate is valid) refusing this country.
    if fetch.status in (403, 451) or _REGION_PAGE.search(fetch.body_prefix):
        return True, "geo_restricted"
    if fetch.status >= 500:
        return True, "site_error"
    return True, None


def judge_url(ev: Evidence, service: PlannedService, url: str, ctx: Context) -> UrlJudgement:
    target = endpoint(url)
    host, port, with_tls = target.host, target.port, target.tls
    dns = judge_dns(ev, host, port, service.known_networks, with_tls, clock_wrong=ctx.clock_wrong)
    probed_local = [a for a in dns.local if ev.tcp.get((a, port))]
    reference_probed = [a for a in dns.reference if a not in dns.local and ev.tcp.get((a, port))]
    draft = _judge_layers(ev, service, url, ctx, dns, host, port, with_tls)
    evidence = UrlEvidence(
        url=url,
        host=host,
        dns=DnsEvidence(
            status=dns.status,
            reason=dns.reason,
            failure=dns.failure,
            answers=dns.local,
            reference=dns.reference,
            replies=dns.all_replies,
            injected=dns.injected,
            forged_pool=dns.pool_matches,
        ),
        addresses=tuple(_address_evidence(ev, url, a, port, host) for a in probed_local),
        reference_addresses=tuple(
            _address_evidence(ev, url, a, port, host) for a in reference_probed
        )
        or None,
        verdict=draft.verdict,
        reason=draft.reason,
    )
    layers = draft.layers
    return UrlJudgement(
        url=url,
        verdict=draft.verdict,
        advice_verdict=draft.advice_verdict,
        layers=Layers(dns=layers["dns"], tcp=layers["tcp"], tls=layers["tls"], http=layers["http"]),
        dns=dns,
        evidence=evidence,
        reason=draft.reason,
        elapsed_ms=draft.elapsed_ms,
        residual=draft.residual,
        inspected_by=tuple(draft.inspected_by),
        intercepted_by=tuple(draft.intercepted_by),
    )


def _judge_layers(
    ev: Evidence,
    service: PlannedService,
    url: str,
    ctx: Context,
    dns: DnsJudgement,
    host: str,
    port: int,
    with_tls: bool,
) -> _Draft:
    result = _Draft(
        "inconclusive",
        "inconclusive",
        {
            "dns": _layer("ok"),
            "tcp": _layer("not_run"),
            "tls": _layer("not_run"),
            "http": _layer("not_run"),
        },
        reason=dns.reason,
    )
    layers = result.layers

    # ---- DNS
    if dns.status in ("forged", "failed"):
        layers["dns"] = _layer("forged" if dns.status == "forged" else "failed", dns.failure)
        verdict: Verdict = "dns_tampered" if dns.status == "forged" else "dns_failed"
        result.verdict = verdict
        result.advice_verdict = _deepest_on_genuine(ev, dns, port, host, with_tls, ctx) or verdict
        _fill_layers_on(ev, layers, list(dns.local), port, host, with_tls, skip_dns=True)
        return result
    if dns.status == "nonexistent":
        layers["dns"] = _layer("failed", dns.failure)
        result.verdict = result.advice_verdict = "site_error"
        return result
    if dns.status == "unverified_failed":
        layers["dns"] = _layer("failed", dns.failure)
        result.verdict = result.advice_verdict = "inconclusive"
        result.reason = "lookup_failed_no_reference"
        return result
    if dns.status == "not_measured":
        layers["dns"] = _layer("not_run", dns.failure)
        result.verdict = result.advice_verdict = "inconclusive"
        result.reason = dns.reason
        return result

    local = list(dns.local)
    # ---- TCP
    tcp_results = {a: ev.tcp_ok(a, port) for a in local}
    tried = [a for a, ok in tcp_results.items() if ok is not None]
    connected = [a for a, ok in tcp_results.items() if ok]
    if not tried:
        result.verdict = result.advice_verdict = "inconclusive"
        result.reason = "not_measured"
        return result
    if not connected:
        failure = _most_common([ev.tcp_failure(a, port) for a in tried])
        layers["tcp"] = _layer("failed", failure)
        if dns.status == "unverified":
            result.reason = "unverified_address_unreachable"
            return result
        silent = failure in (failures.TIMEOUT, failures.DEADLINE)
        nothing_abroad = not ctx.foreign_tcp_works
        if silent and nothing_abroad and not ctx.domestic_tcp_works:
            # Nothing answers at all: no address can be called blackholed.
            result.reason = "nothing_abroad_answers"
            return result
        if failure in (failures.CANCELLED, failures.DEADLINE, failures.NOT_RUN):
            result.reason = "not_finished"
            return result
        if failure == failures.TIMEOUT and not any(_retried(ev, a, port) for a in tried):
            # Every timeout gets a second, overlapping attempt; it never ended (the run did).
            result.reason = "not_finished"
            return result
        if failure == failures.TIMEOUT and nothing_abroad and not service.domestic:
            # Every foreign address is silent while the domestic controls answer: cut or
            # blocked, the user cannot reach them (docs/design.md, "Flakiness and speed").
            result.verdict = result.advice_verdict = "ip_blocked"
            result.reason = "nothing_abroad_answers"
            return result
        if failure == failures.CONNECTION_REFUSED and _refused_everywhere(ev, dns, local, port):
            # Different servers of the service, from the local answer and the reference,
            # all say "nothing listens here": the service is down, not blocked.
            result.verdict = result.advice_verdict = "site_error"
            result.reason = "refused_everywhere"
            return result
        result.verdict = result.advice_verdict = "ip_blocked"
        result.reason = f"tcp_{failure}"
        return result
    layers["tcp"] = _layer("ok")

    # ---- TLS
    if with_tls:
        handshakes = [ev.tls.get((a, port, host)) for a in connected]
        done = [h for h in handshakes if h is not None]
        if not done:
            result.reason = "not_measured"
            return result
        valid = [h for h in done if h.verify == "ok" or h.os_verify == "ok"]
        if not valid:
            tls_verdict, reason = _tls_failure_verdict(ev, done, host, port, ctx, dns)
            layers["tls"] = _layer("failed", _most_common([h.failure for h in done]))
            result.verdict = result.advice_verdict = tls_verdict
            result.reason = reason
            result.intercepted_by = [
                h.certificate.issuer_common_name or h.certificate.issuer
                for h in done
                if tls_verdict == "tls_intercepted" and h.certificate is not None
            ]
            result.residual = any(
                h.failure in CONNECTION_FAILURES
                and _blocked_earlier_by_another_name(
                    ev, h.address, port, host, h.started_s, h.elapsed_ms, h.failure
                )
                for h in done
            )
            return result
        layers["tls"] = _layer("ok")
        result.inspected_by = [
            h.certificate.issuer_common_name or h.certificate.issuer
            for h in valid
            if h.verify != "ok" and h.certificate is not None
        ]
        passed = [h.address for h in valid]
    else:
        passed = connected

    # ---- HTTP
    fetches = [f for a in passed for f in ev.http.get((url, a), [])]
    if not fetches:
        result.verdict = result.advice_verdict = "inconclusive"
        result.reason = "not_measured"
        return result
    outcomes = [_judge_fetch(ev, f, with_tls, ctx) for f in fetches]
    best = min(outcomes, key=lambda o: VERDICT_RANK[o[0]])
    http_verdict, http_reason, elapsed = best
    answered = http_verdict in ("reachable", "slow", "geo_restricted", "site_error")
    layers["http"] = _layer(
        "ok" if answered else "failed",
        None if http_verdict in ("reachable", "slow") else fetches[0].failure or http_reason,
    )
    result.verdict = result.advice_verdict = http_verdict
    result.reason = http_reason
    result.elapsed_ms = elapsed
    if http_verdict == "http_blocked":
        result.residual = any(
            f.failure in CONNECTION_FAILURES
            and _blocked_earlier_by_another_name(
                ev, f.address, f.port, host, f.started_s, f.elapsed_ms, f.failure
            )
            for f in fetches
        )
    return result


def _blocked_earlier_by_another_name(
    ev: Evidence,
    address: str,
    port: int,
    host: str,
    started_s: float,
    elapsed_ms: float | None,
    failure: str | None,
) -> bool:
    """Did another name's handshake fail at this (address, port) shortly before? The GFW
    then blocks the client/server/port for minutes, whatever the name (docs/censorship.md).

    A refused connect never carried this probe's name, so it only needs the other name's
    handshake to have begun before the refusal (the records' clocks are too coarse to
    order the two more finely); any other failure must have started after the other
    name's failure ended."""
    ended_s = started_s + (elapsed_ms or 0.0) / 1000.0
    for (other_address, other_port, name), handshake in ev.tls.items():
        if (other_address, other_port) != (address, port) or name == host:
            continue
        if handshake.failure not in CONNECTION_FAILURES:
            continue
        if failure == failures.CONNECTION_REFUSED:
            other_time, limit = handshake.started_s, ended_s
        else:
            other_time = handshake.started_s + (handshake.elapsed_ms or 0.0) / 1000.0
            limit = started_s
        if other_time <= limit and limit - other_time < RESIDUAL_WINDOW_S:
            return True
    return False


def _retried(ev: Evidence, address: str, port: int) -> bool:
    """Did two attempts at the address wait out their own timeout? The engine starts a
    second attempt about a second after the first, while the first still waits (older
    reports: after it), so one lost packet is never a blackhole. An attempt the run's end
    cut short (cancelled, deadline) does not count."""
    attempts = ev.tcp.get((address, port), [])
    return sum(1 for a in attempts if a.failure == failures.TIMEOUT) >= 2


def _refused_everywhere(ev: Evidence, dns: DnsJudgement, local: list[str], port: int) -> bool:
    others = [a for a in dns.reference if a not in local and ev.tcp.get((a, port))]
    if not others:
        return False
    return all(
        ev.tcp_failure(a, port) == failures.CONNECTION_REFUSED
        for a in [*local, *others]
        if ev.tcp.get((a, port))
    )


def _judge_fetch(
    ev: Evidence, fetch: HttpFetch, with_tls: bool, ctx: Context
) -> tuple[Verdict, str | None, float | None]:
    if fetch.status is None:
        if fetch.failure in (failures.CANCELLED, failures.DEADLINE):
            return "inconclusive", "not_finished", None
        if fetch.failure == failures.TOO_MANY_REDIRECTS:
            return "site_error", "too_many_redirects", None
        if with_tls and fetch.failure == failures.HTTP_PROTOCOL_ERROR:
            # Garbage inside a connection whose certificate proved the server genuine: only
            # the server itself could have written it.
            return "site_error", "garbled_response", None
        control = ev.http_control.get((fetch.url, fetch.address))
        if with_tls and fetch.failure in failures.UNANSWERED and control is not None:
            # The same address asked with an innocuous name tells the service's name being
            # singled out from a server (or a network) that answers nobody.
            if control.status is not None:
                return "http_blocked", "no_answer_with_real_name_only", None
            if control.failure in failures.UNANSWERED:
                return "inconclusive", "no_answer_any_name", None
        return "http_blocked", f"request_{fetch.failure}", None
    genuine, verdict = _genuine_response(fetch, with_tls)
    if not genuine:
        return verdict or "http_blocked", "not_the_service", None
    if verdict is not None:
        return verdict, f"status_{fetch.status}", fetch.elapsed_ms
    control = ev.http_control.get((fetch.url, fetch.address))
    if fetch.stalled and fetch.failure in CUT_OFF:
        # The body was cut off, not slowed down: no "slow" about it.
        if with_tls and control is not None and control.body_complete:
            return "http_blocked", "cut_off_with_real_name_only", fetch.elapsed_ms
        if with_tls or fetch.failure != failures.CONNECTION_RESET:
            return "site_error", "cut_off", fetch.elapsed_ms
        return "http_blocked", "cut_off_by_reset", fetch.elapsed_ms
    if fetch.stalled:
        if control is not None and not control.stalled and control.body_bytes > fetch.body_bytes:
            return "throttled", "stalls_with_real_name_only", fetch.elapsed_ms
        return "slow", "stalls_with_any_name", fetch.elapsed_ms
    elapsed = fetch.elapsed_ms or 0.0
    if (
        control is not None
        and control.failure is None
        and control.elapsed_ms is not None
        # Only a like-for-like transfer compares speed: a server that answers the
        # innocuous name with a short error page is fast because it sends little.
        and control.body_bytes >= fetch.body_bytes
        and elapsed > 2000.0
        and control.elapsed_ms * 3 < elapsed
    ):
        return "throttled", "slow_with_real_name_only", elapsed
    median = ctx.domestic_median_ms
    if median is not None and elapsed > 2000.0 and elapsed > 3 * median:
        return "slow", "slower_than_domestic", elapsed
    return "reachable", None, elapsed


def _tls_failure_verdict(
    ev: Evidence,
    handshakes: list[TlsHandshake],
    host: str,
    port: int,
    ctx: Context,
    dns: DnsJudgement,
) -> tuple[Verdict, str]:
    cert_problems = [h for h in handshakes if h.verify in CERT_PROBLEMS]
    if cert_problems:
        if ctx.clock_wrong:
            return "inconclusive", "clock_wrong"
        if ctx.captive_portal:
            return "inconclusive", "captive_portal"
        for h in cert_problems:
            cert = h.certificate
            if h.verify in ("expired", "not_yet_valid") and cert is not None:
                return "site_error", "certificate_expired"
        if dns.status == "unverified":
            return "inconclusive", "unverified_address_wrong_certificate"
        return "tls_intercepted", "untrusted_certificate"
    failures_seen = [h.failure for h in handshakes]
    if any(f in (failures.CANCELLED, failures.DEADLINE) for f in failures_seen) and all(
        f in (failures.CANCELLED, failures.DEADLINE) for f in failures_seen
    ):
        return "inconclusive", "not_finished"
    if all(f == failures.TLS_ALERT for f in failures_seen):
        # The server itself answered with an alert: its own configuration refuses the
        # handshake. Censors reset or drop; they do not send TLS alerts (docs/censorship.md).
        return "site_error", "server_refused_handshake"
    controls = [ev.control.get((h.address, port)) for h in handshakes]
    control_ok = any(c is not None and (c.failure is None or c.server_responded) for c in controls)
    if control_ok:
        failure = _most_common(failures_seen) or "failed"
        return "tls_blocked", f"name_{failure}"
    return "ip_blocked", "tls_fails_for_every_name"


def _deepest_on_genuine(
    ev: Evidence, dns: DnsJudgement, port: int, host: str, with_tls: bool, ctx: Context
) -> Verdict | None:
    """The verdict the genuine addresses would get: it decides the advice."""
    genuine = [a for a in (dns.genuine or dns.reference) if ev.tcp.get((a, port))]
    if not genuine:
        return None
    if not any(ev.tcp_ok(a, port) for a in genuine):
        return "ip_blocked"
    if not with_tls:
        return None
    handshakes = [h for a in genuine if (h := ev.tls.get((a, port, host))) is not None]
    if handshakes and not any(h.verify == "ok" or h.os_verify == "ok" for h in handshakes):
        verdict, _ = _tls_failure_verdict(ev, handshakes, host, port, ctx, dns)
        return verdict if verdict != "inconclusive" else None
    return None


def _fill_layers_on(
    ev: Evidence,
    layers: dict[Layer, LayerResult],
    local: list[str],
    port: int,
    host: str,
    with_tls: bool,
    *,
    skip_dns: bool,
) -> None:
    """Per-layer results on the (forged) local addresses, for the report's evidence."""
    tried = [a for a in local if ev.tcp_ok(a, port) is not None]
    if not tried:
        return
    connected = [a for a in tried if ev.tcp_ok(a, port)]
    if not connected:
        layers["tcp"] = _layer("failed", _most_common([ev.tcp_failure(a, port) for a in tried]))
        return
    layers["tcp"] = _layer("ok")
    if with_tls:
        hs = [h for a in connected if (h := ev.tls.get((a, port, host))) is not None]
        if hs:
            ok = any(h.verify == "ok" or h.os_verify == "ok" for h in hs)
            layers["tls"] = _layer(
                "ok" if ok else "failed", None if ok else _most_common([h.failure for h in hs])
            )


def judge_service(
    ev: Evidence, service: PlannedService, ctx: Context
) -> tuple[ServiceVerdict, UrlJudgement]:
    # Each URL by the whole way its redirects lead (redirect_rules.py).
    results = [
        judge_way(ev, url, lambda u: judge_url(ev, service, u, ctx), VERDICT_RANK)
        for url in service.urls
    ]
    worst = max(results, key=lambda r: VERDICT_RANK[r.verdict])
    if service.id in ev.unfinished_services and worst.verdict in ("reachable", "inconclusive"):
        unmeasured = [r for r in results if r.reason in ("not_measured", "not_finished")]
        if unmeasured:
            index = results.index(unmeasured[0])
            worst = results[index] = unmeasured[0].with_reason("not_finished")
    verdict = ServiceVerdict(
        id=service.id,
        name=service.name,
        group=service.group,
        domestic=service.domestic,
        verdict=worst.verdict,
        advice_verdict=worst.advice_verdict,
        layers=worst.layers,
        evidence=ServiceEvidence(
            host=worst.host,
            reason=worst.reason,
            urls=tuple(r.evidence for r in results),
            # A later hop of the deciding way decided: the explanation names its host.
            redirected_to=worst.evidence.redirected_to,
        ),
        reason=worst.reason,
        elapsed_ms=worst.elapsed_ms,
    )
    return verdict, worst
