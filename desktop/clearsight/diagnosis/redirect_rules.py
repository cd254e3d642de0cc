"""A URL judged by the whole way a browser would go (docs/design.md, "Service verdicts").

A redirect to another origin leads on to a host that the engine measured like the first
(``engine/service_flow.py``); each hop's records are ordinary records of its own URL, so
the way is found again here from the answers: the answer at the first of the hop's own
addresses that redirects (``probes.urls.redirect_target``, the rule the engine follows)
names the next URL. The worst hop decides the URL's verdict (a working ``twitter.com``
that sends you on to a blocked ``x.com`` is blocked), and its layers, reason and advice
are that hop's; the evidence lists every hop and, when a later hop decides, names it
(``redirected_to``) so the explanation can say both names.

A way that redirects more often than the run allowed (``RunPlan.redirect_limit``) or comes
back to a URL it has been to is broken at the site, as a browser would say ("too many
redirects"): ``site_error``, unless a hop on it was worse. A redirect to a local address
is not followed; that hop stays ``http_blocked`` (a block or login page of the network).
Reports from before the engine followed redirects (limit 0) are judged by the first hop,
as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from clearsight.diagnosis.evidence import Evidence
from clearsight.diagnosis.model import HopEvidence
from clearsight.diagnosis.vocabulary import Verdict
from clearsight.probes.urls import endpoint, redirect_target

if TYPE_CHECKING:
    from clearsight.diagnosis.service_rules import UrlJudgement

# Why a way ends broken, as ``UrlJudgement.reason`` of its verdict (``site_error``).
TOO_MANY_REDIRECTS = "too_many_redirects"
REDIRECT_LOOP = "redirect_loop"

H = TypeVar("H")


def next_hop(ev: Evidence, hop: UrlJudgement) -> tuple[str, int] | None:
    """(the URL a browser goes on to from this hop, the redirects its answer took), or
    None when the way ends here. The hop's own addresses in answer order, the first
    answer that redirects to another origin."""
    for address in hop.evidence.dns.answers:
        for fetch in ev.http.get((hop.url, address), ()):
            target = redirect_target(fetch.url, fetch.status, fetch.final_url)
            if target is not None:
                return target, len(fetch.redirects)
    return None


@dataclass(frozen=True)
class Way(Generic[H]):
    """The hops of one URL's way, judged, the redirects it took, and why it ends there
    when it never arrives (``TOO_MANY_REDIRECTS``, ``REDIRECT_LOOP``; None: it arrives)."""

    hops: tuple[H, ...]
    spent: int = 0
    end: str | None = None


def walk_way(
    url: str,
    judge: Callable[[str], H],
    next_of: Callable[[H], tuple[str, int] | None],
    limit: int,
) -> Way[H]:
    """The way from ``url`` as a browser goes it: ``judge`` judges one hop, ``next_of``
    names (the URL a browser goes on to, the redirects the hop's answer took), or None.
    Past ``limit`` redirects in all, or back to a URL it has been to, it ends broken.
    The direct path's hops are measured hosts (``judge_way``), the proxy's the URLs
    fetched through it (``diagnosis/proxy_rules.py``)."""
    hops = [judge(url)]
    if limit <= 0:
        return Way((hops[0],))
    visited = {url}
    spent = 0
    end: str | None = None
    while (step := next_of(hops[-1])) is not None:
        target, used = step
        spent += used
        if spent > limit:
            end = TOO_MANY_REDIRECTS
            break
        if target in visited:
            end = REDIRECT_LOOP
            break
        visited.add(target)
        hops.append(judge(target))
    return Way(tuple(hops), spent, end)


def redirect_limit(ev: Evidence) -> int:
    """Redirects a way may take in the run (0: a report from before the engine followed
    them, judged by the first hop)."""
    return ev.plan.redirect_limit if ev.plan is not None else 0


def judge_way(
    ev: Evidence,
    url: str,
    judge: Callable[[str], UrlJudgement],
    rank: Mapping[Verdict, int],
) -> UrlJudgement:
    """``url`` judged by its whole way: ``judge`` judges one hop, ``rank`` orders the
    verdicts (worst highest)."""
    way = walk_way(url, judge, lambda hop: next_hop(ev, hop), redirect_limit(ev))
    if len(way.hops) == 1 and way.end is None:
        return way.hops[0]
    return _decide(list(way.hops), way.end, way.spent, rank)


def _decide(
    hops: list[UrlJudgement], end: str | None, spent: int, rank: Mapping[Verdict, int]
) -> UrlJudgement:
    worst = max(hops, key=lambda h: rank.get(h.verdict, 2))  # the first of equals
    index = hops.index(worst)
    if end is not None and rank.get(worst.verdict, 2) < rank["site_error"]:
        # Every hop answered, but the way never arrives: the site's fault.
        last = hops[-1]
        index = len(hops) - 1
        worst = replace(
            last,
            verdict="site_error",
            advice_verdict="site_error",
            reason=end,
            layers=replace(last.layers, http=replace(last.layers.http, failure=end)),
            evidence=replace(last.evidence, verdict="site_error", reason=end),
        )
    way = tuple(
        HopEvidence(
            hop=i,
            url=hop.url,
            host=endpoint(hop.url).host,
            verdict=hop.verdict,
            reason=hop.reason,
        )
        for i, hop in enumerate(hops)
    )
    evidence = replace(worst.evidence, way=way, redirects=spent, way_end=end)
    if index > 0:
        evidence = replace(
            evidence,
            redirected_to=endpoint(worst.url).host,
            redirected_from=endpoint(hops[0].url).host,
            decided_by_hop=index,
        )
    return replace(worst, evidence=evidence)


__all__ = [
    "REDIRECT_LOOP",
    "TOO_MANY_REDIRECTS",
    "Way",
    "judge_way",
    "next_hop",
    "redirect_limit",
    "walk_way",
]
