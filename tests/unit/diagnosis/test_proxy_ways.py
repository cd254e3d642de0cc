"""Redirect chains through the proxy (diagnosis/proxy_rules.py): ``via_proxy`` judges the
whole way a browser using the proxy would go, the worst hop decides, and the service's
note names both hosts.

One row per situation, built from the records a real run makes
(``tests/builders/observations.py``): each hop is an ordinary ``via = "proxy"`` record of
its own URL, its answer naming the next URL. Directly, the service is blocked (its
real-name handshake is reset), so a way that works through the proxy gets it unblocked.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from clearsight.diagnosis import Diagnosis, diagnose
from clearsight.explanations import catalog
from clearsight.presentation.answer import compose
from clearsight.probes import failures
from clearsight.probes.records import Observation
from clearsight.report.build import build_report
from tests.builders.observations import Scenario, baseline, manual_proxy
from tests.unit.report.scenarios import META

START = "https://twitter.test/"
TARGET = "https://x.test/"
LOGIN = "https://login.signin.test/"
SECOND = "https://mobile.twitter.test/"
ADDRESS = "203.0.113.30"


def _long_way(s: Scenario, hops: int) -> None:
    """START and ``hops`` redirects on from there, every host answering."""
    urls = [START, *(f"https://h{i}.chain.test/" for i in range(hops))]
    for here, there in itertools.pairwise(urls):
        s.proxy_fetch(here, redirect_to=there)
    s.proxy_fetch(urls[-1])


@dataclass(frozen=True)
class Row:
    build: Callable[[Scenario], None]
    via_proxy: str
    redirected_to: str | None = None  # the host named beside the service
    upstream_failed: bool = False  # the service is among proxy_upstream_failed's
    urls: tuple[str, ...] = (START,)
    bypass: tuple[str, ...] = ()
    limit: int = 10


ROWS: dict[str, Row] = {
    "no redirect, it works": Row(lambda s: s.proxy_fetch(START), "reachable"),
    "the way ends on a working host": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(TARGET), "reachable"
    ),
    "the way ends on a host the proxy cannot reach": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(
            TARGET, failure=failures.PROXY_TUNNEL_FAILED, proxy_status=502
        ),
        "inconclusive",
        redirected_to="x.test",
        upstream_failed=True,
    ),
    "a reset after the tunnel opened on the last host": Row(
        lambda s: (
            s.proxy_fetch(START, redirect_to=TARGET)
            .proxy_fetch(TARGET, redirect_to=LOGIN)
            .proxy_fetch(LOGIN, failure=failures.CONNECTION_RESET)
        ),
        "inconclusive",
        redirected_to="login.signin.test",
        upstream_failed=True,
    ),
    "the proxy's error page for a plain host": Row(
        lambda s: s.proxy_fetch(START, redirect_to="http://x.test/").proxy_fetch(
            "http://x.test/", status=503
        ),
        "inconclusive",
        redirected_to="x.test",
        upstream_failed=True,
    ),
    "a false certificate on the next host": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(
            TARGET, failure=failures.TLS_CERT_UNTRUSTED
        ),
        "tls_intercepted",
        redirected_to="x.test",
    ),
    "a loop": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(TARGET, redirect_to=START),
        "site_error",
        redirected_to="x.test",
    ),
    "a loop on the site's own host": Row(
        lambda s: s.proxy_fetch(START, failure=failures.TOO_MANY_REDIRECTS), "site_error"
    ),
    "too many hops": Row(lambda s: _long_way(s, 11), "site_error", redirected_to="h9.chain.test"),
    "as many hops as allowed": Row(lambda s: _long_way(s, 10), "reachable"),
    "same-host redirects count toward the limit": Row(
        lambda s: s.proxy_fetch(
            START, redirect_to=TARGET, same_host=[f"{START}{i}" for i in range(10)]
        ).proxy_fetch(TARGET),
        "site_error",
    ),
    "the run ended before the next host": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(
            TARGET, failure=failures.DEADLINE
        ),
        "inconclusive",
        redirected_to="x.test",
    ),
    "the next host was never fetched": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET), "inconclusive", redirected_to="x.test"
    ),
    "the next host bypasses the proxy": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET),
        "reachable",
        bypass=("x.test",),
    ),
    "a report from before chains": Row(
        lambda s: s.proxy_fetch(START, redirect_to=TARGET).proxy_fetch(
            TARGET, failure=failures.PROXY_TUNNEL_FAILED
        ),
        "reachable",
        limit=0,
    ),
    "the best URL decides the service": Row(
        lambda s: (
            s.proxy_fetch(START, redirect_to=TARGET)
            .proxy_fetch(TARGET, failure=failures.PROXY_TUNNEL_FAILED)
            .proxy_fetch(SECOND)
        ),
        "reachable",
        upstream_failed=True,
        urls=(START, SECOND),
    ),
}


def _observations(row: Row) -> tuple[Observation, ...]:
    s = baseline().environment().routes("wlan0")
    s.redirect_limit = row.limit
    s.proxy(replace(manual_proxy(), bypass=row.bypass))
    s.service("twitter", *row.urls, name="Twitter")
    s.injection("twitter.test")
    for url in row.urls:
        host = url.split("/")[2]
        s.dns(host, [ADDRESS]).doh(host, [ADDRESS]).tcp(ADDRESS).control(ADDRESS)
        s.tls(ADDRESS, host, failure="connection_reset")
    row.build(s)
    return s.build()


def _diagnose(row: Row) -> Diagnosis:
    return diagnose(_observations(row))


@pytest.mark.parametrize("name", list(ROWS))
def test_the_worst_hop_through_the_proxy_decides(name: str) -> None:
    row = ROWS[name]
    diagnosis = _diagnose(row)
    verdict = diagnosis.service("twitter")
    assert verdict is not None
    assert verdict.verdict == "tls_blocked"  # directly: the proxy's way changes nothing here
    assert verdict.via_proxy == row.via_proxy
    assert verdict.evidence.via_proxy_redirected_to == row.redirected_to
    unblocks = diagnosis.finding("proxy_unblocks")
    helped = unblocks is not None and "twitter" in unblocks.subjects
    assert helped == (row.via_proxy == "reachable")
    upstream = diagnosis.finding("proxy_upstream_failed")
    assert (upstream is not None and "twitter" in upstream.subjects) == row.upstream_failed


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Through your proxy, Twitter sends you on to x.test: "),
        ("zh_CN", "经过代理，打开 Twitter 会跳转到 x.test："),
    ],
)
def test_the_note_names_both(language: str, expected: str) -> None:
    """Through the report and back, as the window and the report show the service."""
    texts = catalog(language)
    failing = _observations(ROWS["the way ends on a host the proxy cannot reach"])
    report = build_report(failing, META, language=language)
    (line,) = [s for s in compose(report).services if s.id == "twitter"]
    assert expected + texts.verdict_badge("inconclusive") in line.notes
    working = _observations(ROWS["the way ends on a working host"])
    report = build_report(working, META, language=language)
    (line,) = [s for s in compose(report).services if s.id == "twitter"]
    assert texts.ui("via_proxy", result=texts.verdict_badge("reachable")) in line.notes
