"""Redirect chains (diagnosis/redirect_rules.py): a URL is judged by the whole way a
browser would go, the worst hop decides, and the explanation names both hosts.

One row per situation, built from the records a real run makes
(``tests/builders/observations.py``): each hop is an ordinary measurement of its own URL (DNS,
the reference, TCP, the control and real-name handshakes, one web request), its answer naming
the next URL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from clearsight.diagnosis import ServiceVerdict, diagnose
from clearsight.diagnosis.redirect_rules import REDIRECT_LOOP, TOO_MANY_REDIRECTS
from clearsight.explanations import catalog
from clearsight.probes.records import HttpFetch, Redirect
from clearsight.probes.urls import endpoint, redirect_target
from tests.builders.observations import Scenario, baseline, cert

START = "https://twitter.test/"
TARGET = "https://x.test/"
LOGIN = "https://login.signin.test/"
ADDRESSES = {
    "twitter.test": "203.0.113.30",
    "x.test": "203.0.113.31",
    "login.signin.test": "203.0.113.32",
    "www.office.test": "203.0.113.33",
    "office.test": "203.0.113.34",
}
GENUINE_X = "203.0.113.41"
LIAR = "198.51.100.66"


def _address(url: str) -> str:
    host = endpoint(url).host
    if host not in ADDRESSES:  # the long chain's hosts
        ADDRESSES[host] = f"203.0.113.{100 + len(ADDRESSES)}"
    return ADDRESSES[host]


def redirecting(
    s: Scenario, url: str, to: str, *, status: int = 302, same_host: Sequence[str] = ()
) -> Scenario:
    """A working host whose answer sends the browser to ``to`` (after ``same_host``
    redirects the request followed on its own host)."""
    address = _address(url)
    host = endpoint(url).host
    s.dns(host, [address]).doh(host, [address]).chain(url, address, fetch=False)
    hops = (*(Redirect(301, u) for u in same_host), Redirect(status, to))
    return s.add(
        HttpFetch(
            url=url,
            host=host,
            address=address,
            port=endpoint(url).port,
            status=status,
            redirects=hops,
            final_url=to,
            body_complete=True,
            ttfb_ms=60.0,
            elapsed_ms=80.0,
        )
    )


def working(s: Scenario, url: str) -> Scenario:
    return s.site(url, [_address(url)])


def sni_reset(s: Scenario, url: str) -> Scenario:
    address, host = _address(url), endpoint(url).host
    s.dns(host, [address]).doh(host, [address]).tcp(address).control(address)
    return s.tls(address, host, failure="connection_reset")


def forged(s: Scenario, url: str) -> Scenario:
    """The system resolver lies; the reference's address shows a valid certificate."""
    host = endpoint(url).host
    s.dns(host, [LIAR]).doh(host, [GENUINE_X]).tcp(LIAR, 443, "timeout")
    return s.reference_probe(url, GENUINE_X)


def blackholed(s: Scenario, url: str) -> Scenario:
    address, host = _address(url), endpoint(url).host
    return s.dns(host, [address]).doh(host, [address]).tcp(address, 443, "timeout")


def intercepted(s: Scenario, url: str) -> Scenario:
    address, host = _address(url), endpoint(url).host
    s.dns(host, [address]).doh(host, [address]).tcp(address).control(address)
    return s.tls(address, host, verify="untrusted", certificate=cert(host, issuer="Evil"))


def block_page(s: Scenario, url: str) -> Scenario:
    address, host = _address(url), endpoint(url).host
    s.dns(host, [address]).doh(host, [address]).tcp(address, 80)
    return s.http(url, address, status=403, title="Access denied")


@dataclass(frozen=True)
class Row:
    build: Callable[[Scenario], None]
    verdict: str
    reason: str | None = None
    redirected_to: str | None = None  # the host named beside the service
    hops: tuple[str, ...] = ()  # the hosts of the way, in order (empty: not listed)
    limit: int = 10
    unfinished: bool = False
    layers: dict[str, str] = field(default_factory=dict)


def _long_chain(s: Scenario, length: int) -> None:
    urls = [f"https://h{i}.chain.test/" for i in range(length + 1)]
    redirecting(s, START, urls[0])
    for here, there in itertools.pairwise(urls):
        redirecting(s, here, there)
    working(s, urls[-1])


ROWS: dict[str, Row] = {
    "reachable target": Row(
        lambda s: (redirecting(s, START, TARGET), working(s, TARGET)),
        "reachable",
        hops=("twitter.test", "x.test"),
    ),
    "target reset by its name": Row(
        lambda s: (redirecting(s, START, TARGET), sni_reset(s, TARGET)),
        "tls_blocked",
        reason="name_connection_reset",
        redirected_to="x.test",
        hops=("twitter.test", "x.test"),
        layers={"dns": "ok", "tcp": "ok", "tls": "failed", "http": "not_run"},
    ),
    "target's address forged": Row(
        lambda s: (redirecting(s, START, TARGET), forged(s, TARGET)),
        "dns_tampered",
        reason="reference_verified",
        redirected_to="x.test",
        layers={"dns": "forged"},
    ),
    "target blackholed": Row(
        lambda s: (redirecting(s, START, TARGET), blackholed(s, TARGET)),
        "ip_blocked",
        reason="tcp_timeout",
        redirected_to="x.test",
    ),
    "target intercepted": Row(
        lambda s: (redirecting(s, START, TARGET), intercepted(s, TARGET)),
        "tls_intercepted",
        redirected_to="x.test",
    ),
    "plain-web target answers a block page": Row(
        lambda s: (
            redirecting(s, START, "http://x.test/"),
            block_page(s, "http://x.test/"),
        ),
        "http_blocked",
        reason="not_the_service",
        redirected_to="x.test",
    ),
    "redirect to a local address stays http_blocked": Row(
        lambda s: redirecting(s, START, "http://10.0.0.1/blocked.html"),
        "http_blocked",
        reason="not_the_service",
    ),
    "a loop between two hosts": Row(
        lambda s: (redirecting(s, START, TARGET), redirecting(s, TARGET, START)),
        "site_error",
        reason=REDIRECT_LOOP,
        redirected_to="x.test",
        hops=("twitter.test", "x.test"),
    ),
    "a chain as long as the limit": Row(
        lambda s: _long_chain(s, 9),
        "reachable",
        hops=("twitter.test", *tuple(f"h{i}.chain.test" for i in range(10))),
    ),
    "a chain longer than the limit": Row(
        lambda s: _long_chain(s, 10),
        "site_error",
        reason=TOO_MANY_REDIRECTS,
        redirected_to="h9.chain.test",
    ),
    "same-host redirects count against the limit": Row(
        lambda s: (
            redirecting(s, START, TARGET, same_host=["https://twitter.test/home"]),
            redirecting(s, TARGET, LOGIN),
            working(s, LOGIN),
        ),
        "site_error",
        reason=TOO_MANY_REDIRECTS,
        limit=2,
        redirected_to="x.test",
    ),
    "within the limit with same-host redirects": Row(
        lambda s: (
            redirecting(s, START, TARGET, same_host=["https://twitter.test/home"]),
            redirecting(s, TARGET, LOGIN),
            working(s, LOGIN),
        ),
        "reachable",
        limit=3,
        hops=("twitter.test", "x.test", "login.signin.test"),
    ),
    "office-style chain to a blocked sign-in host": Row(
        lambda s: (
            redirecting(s, START, "https://www.office.test/", status=301),
            redirecting(s, "https://www.office.test/", LOGIN),
            sni_reset(s, LOGIN),
        ),
        "tls_blocked",
        redirected_to="login.signin.test",
        hops=("twitter.test", "www.office.test", "login.signin.test"),
    ),
    "office-style chain, healthy": Row(
        lambda s: (
            redirecting(s, START, "https://www.office.test/", status=301),
            redirecting(s, "https://www.office.test/", LOGIN),
            working(s, LOGIN),
        ),
        "reachable",
    ),
    "a report from before chains: judged by the first hop": Row(
        lambda s: redirecting(s, START, TARGET),
        "reachable",
        limit=0,
    ),
    "the run ended before the next host": Row(
        lambda s: redirecting(s, START, TARGET),
        "inconclusive",
        reason="not_finished",
        redirected_to="x.test",
        unfinished=True,
    ),
}


def _diagnose(row: Row) -> ServiceVerdict:
    s = baseline()
    s.redirect_limit = row.limit
    s.service("twitter", START, name="Twitter")
    s.injection("twitter.test")
    row.build(s)
    if row.unfinished:
        s.unfinished(["twitter"])
    verdict = diagnose(s.build()).service("twitter")
    assert verdict is not None
    return verdict


@pytest.mark.parametrize("name", list(ROWS))
def test_the_worst_hop_decides(name: str) -> None:
    row = ROWS[name]
    verdict = _diagnose(row)
    assert (verdict.verdict, verdict.reason if row.reason else None) == (row.verdict, row.reason)
    assert verdict.params.get("redirected_to") == row.redirected_to
    url = verdict.evidence.urls[0]
    if row.hops:
        assert url.way is not None
        assert [hop.host for hop in url.way] == list(row.hops)
    if row.redirected_to:
        assert url.way is not None and url.decided_by_hop is not None
        assert url.way[url.decided_by_hop].host == row.redirected_to
        assert url.redirected_from == "twitter.test"
    for layer, status in row.layers.items():
        assert verdict.layers[layer].status == status, layer


def test_the_advice_is_the_deciding_hop_s() -> None:
    verdict = _diagnose(ROWS["target blackholed"])
    assert verdict.advice_verdict == "ip_blocked"


@pytest.mark.parametrize(
    ("language", "code", "expected"),
    [
        ("en", "tls_blocked", "Twitter sends you on to x.test, which is blocked on this network. "),
        ("zh_CN", "tls_blocked", "打开 Twitter 会跳转到 x.test，而它在这个网络上被屏蔽了。"),
        ("en", "tls_intercepted", "Twitter sends you on to x.test. Something between you"),
        ("zh_CN", "site_error", "打开 Twitter 会跳转到 x.test。"),
        ("en", "inconclusive", "Twitter sends you on to x.test. "),
    ],
)
def test_the_explanation_names_both(language: str, code: str, expected: str) -> None:
    params = {"service": "Twitter", "host": "x.test", "seconds": None, "redirected_to": "x.test"}
    reason = "not_finished" if code == "inconclusive" else None
    texts = catalog(language).verdict(code, params, reason)
    assert texts.explanation.startswith(expected)
    plain = catalog(language).verdict(code, params | {"redirected_to": None}, reason)
    assert texts.explanation.endswith(plain.explanation)
    assert texts.title == plain.title and texts.advice == plain.advice


@pytest.mark.parametrize(
    ("url", "status", "final_url", "expected"),
    [
        (START, 302, TARGET, TARGET),
        (START, 301, "http://twitter.test/", "http://twitter.test/"),  # another scheme
        (START, 302, "https://twitter.test:8443/", "https://twitter.test:8443/"),
        (START, 302, "https://x.test/#top", "https://x.test/#top"),
        (START, 200, TARGET, None),
        (START, 304, TARGET, None),
        (START, 302, START, None),  # the same origin: followed inside the request
        (START, 302, None, None),
        (START, 302, "ftp://x.test/", None),
        (START, 302, "http://10.0.0.1/blocked.html", None),
        (START, 302, "http://127.0.0.1/", None),
        (START, 302, "http://[fd00::1]/", None),
        (START, 302, "http://8.8.8.8/", "http://8.8.8.8/"),
    ],
)
def test_where_a_browser_goes_next(
    url: str, status: int, final_url: str | None, expected: str | None
) -> None:
    assert redirect_target(url, status, final_url) == expected


def test_injection_on_the_way_names_the_service_that_leads_there() -> None:
    s = baseline()
    s.service("twitter", START, name="Twitter")
    s.injection("twitter.test")
    redirecting(s, START, TARGET)
    s.dns("x.test", [LIAR]).doh("x.test", [GENUINE_X]).injection("x.test", [LIAR])
    s.tcp(LIAR, 443, "timeout").reference_probe(TARGET, GENUINE_X)
    diagnosis = diagnose(s.build())
    twitter = diagnosis.service("twitter")
    assert twitter is not None and (twitter.verdict, twitter.reason) == (
        "dns_tampered",
        "injected_on_path",
    )
    finding = diagnosis.finding("dns_injection_on_path")
    assert finding is not None and finding.subjects == ("twitter",)
    assert finding.params["names"] == ["x.test"]
