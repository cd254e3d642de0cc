"""The system proxy: is one set, does it answer, does it want a login, does its own
upstream fail, and what works through it that does not work directly (``via_proxy``).

The direct measurement never uses the proxy; every service is also fetched through it
when a manual proxy is set (``http`` records with ``via = "proxy"``). A PAC file is
fetched, not evaluated (see ``probes/proxy_settings.py``): which sites go through it
stays unknown, and ``via_proxy`` stays null.

Through the proxy, a URL is judged by the whole way a browser using the proxy would go
(``engine/proxy_flow.py`` follows it, each hop an ordinary proxy record of its own URL):
the way is found again from the answers with redirect_rules' walk (the same budget, a
loop or too many redirects ends it broken: ``site_error``), and the worst hop decides (a
``twitter.com`` that answers through the proxy but sends you on to an ``x.com`` the proxy
cannot reach does not work through the proxy). A hop the proxy settings send direct (the
bypass list) ends the way through the proxy. A service takes its best URL, as before:
``via_proxy`` says whether the service can be used through the proxy. When a later hop
decided, ``ServiceEvidence.via_proxy_redirected_to`` names its host.

Fake-IP mode: proxy apps such as Clash answer every lookup with a stand-in address from
198.18.0.0/15 and carry the traffic themselves. Test labs and benchmarks use the same
range, so the rule applies only while such an app is seen running.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from clearsight.diagnosis import addresses as addr
from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import Finding, ProxySummary, ServiceVerdict
from clearsight.diagnosis.redirect_rules import Way, redirect_limit, walk_way
from clearsight.diagnosis.service_rules import VERDICT_RANK
from clearsight.diagnosis.vocabulary import BLOCKING_VERDICTS, Verdict
from clearsight.probes import failures
from clearsight.probes.proxy_settings import proxy_for_url
from clearsight.probes.records import HttpFetch, ProxySource
from clearsight.probes.urls import endpoint, redirect_target

FAKE_IP_RANGE = ipaddress.ip_network("198.18.0.0/15")
SLOW_MS = 2000.0
_UPSTREAM_STATUS = frozenset({502, 503, 504})
_NOT_ATTEMPTED = frozenset({failures.CANCELLED, failures.DEADLINE, failures.NOT_RUN})
_CERT_FAILURES = frozenset(
    {
        failures.TLS_CERT_UNTRUSTED,
        failures.TLS_CERT_NAME_MISMATCH,
        failures.TLS_CERT_EXPIRED,
        failures.TLS_CERT_NOT_YET_VALID,
    }
)


def active_source(ev: Evidence) -> ProxySource | None:
    """The setting that decides for most apps (the first source read)."""
    if ev.proxy is None or not ev.proxy.sources:
        return None
    return ev.proxy.sources[0]


def shown_proxy(source: ProxySource) -> str:
    return source.https or source.http or source.socks or source.pac_url or ""


def proxy_summary(ev: Evidence) -> ProxySummary | None:
    """The report's ``network.proxy``: the setting in force, or None when none is set."""
    source = active_source(ev)
    if source is None:
        return None
    summary = ProxySummary(
        source=source.source,
        mode=source.mode,
        http=source.http,
        https=source.https,
        socks=source.socks,
        pac_url=source.pac_url,
        bypass=tuple(source.bypass),
    )
    if ev.proxy is not None and source.mode in ("auto_config", "auto_detect"):
        summary = replace(
            summary,
            pac_url=ev.proxy.pac_url or source.pac_url,
            auto_config=True,
            pac_status=ev.proxy.pac_status,
            pac_failure=ev.proxy.pac_failure,
        )
    exit_ok = next((e for e in ev.proxy_exits if e.ip), None)
    if exit_ok is not None:
        summary = replace(summary, exit_measured=True, exit_country=exit_ok.country)
    return summary


# ------------------------------------------------------------------------ one fetch
def _kind(fetch: HttpFetch) -> str:
    """proxy_down | auth | upstream | answered | intercepted | unfinished | site"""
    failure = fetch.failure
    if failure in _NOT_ATTEMPTED:
        return "unfinished"
    if failure == failures.TOO_MANY_REDIRECTS:
        return "site"  # the site redirects on its own host without end
    if failure == failures.PROXY_AUTH_REQUIRED or fetch.status == 407:
        return "auth"
    if failure == failures.PROXY_TUNNEL_FAILED:
        return "upstream"
    if failure is not None and failure.startswith("proxy_"):
        return "proxy_down"
    if failure in _CERT_FAILURES:
        return "intercepted"
    if fetch.status is not None:
        plain = fetch.url.lower().startswith("http:")
        if plain and fetch.status in _UPSTREAM_STATUS:
            return "upstream"  # the proxy's own error page for a site it cannot reach
        return "answered"
    return "upstream"  # the tunnel opened, then the connection through it failed


def _verdict(fetches: list[HttpFetch], domestic_median_ms: float | None) -> Verdict:
    kinds = [_kind(f) for f in fetches]
    if "answered" in kinds:
        best = min(
            (f for f, k in zip(fetches, kinds, strict=True) if k == "answered"),
            key=lambda f: f.elapsed_ms or 0.0,
        )
        if best.status in (403, 451) and best.url.lower().startswith("https"):
            return "geo_restricted"
        elapsed = best.elapsed_ms or 0.0
        if (
            domestic_median_ms is not None
            and elapsed > SLOW_MS
            and elapsed > 3 * domestic_median_ms
        ):
            return "slow"
        return "reachable"
    if kinds and all(k == "intercepted" for k in kinds):
        return "tls_intercepted"
    if "site" in kinds:
        return "site_error"
    return "inconclusive"


# ------------------------------------------------------------------------ one way
def proxy_way(ev: Evidence, url: str) -> Way[str]:
    """The URLs of ``url``'s way through the proxy, as the engine followed it."""
    source = active_source(ev)

    def next_of(hop: str) -> tuple[str, int] | None:
        for fetch in ev.proxy_http.get(hop, ()):
            target = redirect_target(fetch.url, fetch.status, fetch.final_url)
            if target is not None:
                if source is not None and proxy_for_url(source, target) is None:
                    return None  # sent direct: the way through the proxy ends here
                return target, len(fetch.redirects)
        return None

    return walk_way(url, lambda hop: hop, next_of, redirect_limit(ev))


def _way_verdict(
    ev: Evidence, way: Way[str], domestic_median_ms: float | None
) -> tuple[Verdict, int]:
    """The way's verdict through the proxy and the hop that decided it: the worst hop (the
    first of equals); a way that never arrives is the site's fault unless a hop was worse."""
    verdicts = [_verdict(ev.proxy_http.get(hop, []), domestic_median_ms) for hop in way.hops]
    index = max(range(len(verdicts)), key=lambda i: (VERDICT_RANK[verdicts[i]], -i))
    if way.end is not None and VERDICT_RANK[verdicts[index]] < VERDICT_RANK["site_error"]:
        return "site_error", len(verdicts) - 1
    return verdicts[index], index


# ------------------------------------------------------------------------ findings
def proxy_verdicts(
    ev: Evidence, verdicts: list[ServiceVerdict], domestic_median_ms: float | None
) -> list[ServiceVerdict]:
    """Each service with ``via_proxy`` filled where it was measured through the proxy: its
    best URL, each URL judged by its whole way through the proxy."""
    if not ev.proxy_http or ev.plan is None:
        return verdicts
    urls = {s.id: s.urls for s in ev.plan.services}
    out: list[ServiceVerdict] = []
    for verdict in verdicts:
        judged = [
            (_way_verdict(ev, way, domestic_median_ms), way)
            for url in urls.get(verdict.id, ())
            if ev.proxy_http.get(url)
            for way in (proxy_way(ev, url),)
        ]
        if judged:
            (via, index), way = min(judged, key=lambda j: VERDICT_RANK[j[0][0]])
            redirected_to = endpoint(way.hops[index]).host if index > 0 else None
            verdict = replace(
                verdict,
                via_proxy=via,
                evidence=replace(verdict.evidence, via_proxy_redirected_to=redirected_to),
            )
        out.append(verdict)
    return out


def proxy_findings(ev: Evidence, verdicts: list[ServiceVerdict]) -> list[Finding]:
    source = active_source(ev)
    out: list[Finding] = []
    if source is not None:
        proxy = shown_proxy(source)
        if source.mode == "manual":
            out.append(Finding("proxy_configured", "info", params={"proxy": proxy}))
        else:
            out.append(
                Finding(
                    "proxy_pac",
                    "info",
                    params={"url": (ev.proxy.pac_url if ev.proxy else None) or proxy},
                )
            )
        out.extend(_through_proxy(ev, verdicts, proxy))
    out.extend(_fake_ip(ev, verdicts))
    return out


def _through_proxy(ev: Evidence, verdicts: list[ServiceVerdict], proxy: str) -> list[Finding]:
    fetches = [f for fs in ev.proxy_http.values() for f in fs]
    if not fetches:
        return []
    used = next((f.proxy for f in fetches if f.proxy), None) or proxy
    kinds = [_kind(f) for f in fetches]
    done = [k for k in kinds if k != "unfinished"]
    out: list[Finding] = []
    if done and all(k == "proxy_down" for k in done):
        return [Finding("proxy_unreachable", "problem", params={"proxy": used})]
    if "auth" in kinds:
        out.append(Finding("proxy_auth_required", "warning", params={"proxy": used}))
    by_url: dict[str, list[str]] = {}
    for fetch, kind in zip(fetches, kinds, strict=True):
        by_url.setdefault(fetch.url, []).append(kind)
    failing_urls = {url for url, ks in by_url.items() if "upstream" in ks and "answered" not in ks}
    plan_services = ev.plan.services if ev.plan else ()
    # A service whose way through the proxy reaches a URL the proxy fails to fetch.
    failing = [
        s
        for s in plan_services
        if any(hop in failing_urls for u in s.urls for hop in proxy_way(ev, u).hops)
    ]
    if failing:
        out.append(
            Finding(
                "proxy_upstream_failed",
                "warning",
                subjects=tuple(s.id for s in failing),
                params={"proxy": used, "services": [s.name for s in failing][:8]},
            )
        )
    helped = [
        v
        for v in verdicts
        if v.verdict in BLOCKING_VERDICTS and v.via_proxy in ("reachable", "slow")
    ]
    if helped:
        out.append(
            Finding(
                "proxy_unblocks",
                "info",
                subjects=tuple(v.id for v in helped),
                params={
                    "proxy": used,
                    "services": [v.name for v in helped][:8],
                    "count": len(helped),
                },
            )
        )
    return out


# ------------------------------------------------------------------------ fake IP
def _fake_ip_services(ev: Evidence) -> list[str]:
    found: list[str] = []
    for service in ev.plan.services if ev.plan else ():
        if service.domestic:
            continue
        answers: list[str] = []
        for url in service.urls:
            host = endpoint(url).host
            query = ev.system_dns.get((host, "A"))
            if query is not None:
                answers.extend(query.addresses)
        if answers and all(_in_fake_range(a) for a in answers):
            found.append(service.id)
    return found


def _in_fake_range(address: str) -> bool:
    ip = addr.parse(address)
    return ip is not None and ip.version == 4 and ip in FAKE_IP_RANGE


def _proxy_client(ev: Evidence) -> str | None:
    clients = ev.network.clients if ev.network else ()
    return next((c.name for c in clients if c.kind == "proxy"), None)


def _fake_ip(ev: Evidence, verdicts: list[ServiceVerdict]) -> list[Finding]:
    client = _proxy_client(ev)
    if client is None:
        return []
    services = _fake_ip_services(ev)
    if not services:
        return []
    return [Finding("proxy_fake_ip", "info", subjects=tuple(services), params={"client": client})]


def fake_ip_verdicts(ev: Evidence, verdicts: list[ServiceVerdict]) -> list[ServiceVerdict]:
    """A stand-in address from a running proxy app is not tampering: what the network
    does with the name cannot be told from it."""
    if _proxy_client(ev) is None:
        return verdicts
    fake = set(_fake_ip_services(ev))
    return [
        replace(v, verdict="inconclusive", advice_verdict="inconclusive", reason="proxy_fake_ip")
        if v.id in fake and v.verdict in ("dns_tampered", "dns_failed")
        else v
        for v in verdicts
    ]


__all__ = [
    "active_source",
    "fake_ip_verdicts",
    "proxy_findings",
    "proxy_summary",
    "proxy_verdicts",
    "proxy_way",
]
