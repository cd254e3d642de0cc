"""Service verdicts, advice, layers, findings and the summary status, one row per situation.

Each row builds the observations a real run would record (see
``tests/builders/observations.py``) and states what docs/design.md says the diagnosis must
conclude. The traps at the end are situations that look like blocking to a careless rule and
must not be reported as a block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from clearsight.diagnosis import Diagnosis, diagnose, vocabulary
from clearsight.probes.records import DnsQuery, Observation, TlsHandshake
from tests.builders.observations import (
    DOMESTIC_ADDR,
    DOMESTIC_HOST,
    DOMESTIC_URL,
    FOREIGN_ADDR,
    FOREIGN_HOST,
    FOREIGN_URL,
    INJECTION_PROBE,
    POOL_A,
    POOL_AAAA,
    POOL_B,
    Scenario,
    baseline,
    cert,
)

MAIL_URL = "https://mail.example.test/"
MAIL_HOST = "mail.example.test"
MAIL_V4 = "203.0.113.10"
MAIL_V6 = "2001:db8::10"
LIAR = "198.51.100.66"  # where a lying resolver sends the name

Rows = Callable[[], tuple[Observation, ...]]


@dataclass(frozen=True)
class Expect:
    status: str
    verdicts: dict[str, str]  # service id -> verdict (every service of the run)
    findings: dict[str, tuple[str, ...]]  # the exact finding codes -> their subjects
    advice: dict[str, str] = field(default_factory=dict)  # default: the verdict itself
    layers: dict[str, dict[str, str | tuple[str, str | None]]] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> params subset
    reasons: dict[str, str] = field(default_factory=dict)  # service id -> reason


OK_LAYERS = {"dns": "ok", "tcp": "ok", "tls": "ok", "http": "ok"}
REACHABLE = {"domestic": "reachable", "foreign": "reachable"}


def mail(s: Scenario, *, injection: tuple[str, ...] | None = ()) -> Scenario:
    """Adds the service under test; ``injection``: the probe's answers (None: not probed)."""
    s.service("mail", MAIL_URL, name="Mail")
    if injection is not None:
        s.injection(MAIL_HOST, injection)
    return s


# ---------------------------------------------------------------------- the rows
def healthy() -> tuple[Observation, ...]:
    s = mail(baseline(egress_ipv6="2001:db8:1::10"))
    s.site(MAIL_URL, [MAIL_V4, MAIL_V6])
    return s.build()


def injected_same_address() -> tuple[Observation, ...]:
    s = mail(baseline(), injection=(POOL_A,))
    s.dns(MAIL_HOST, [POOL_A])
    s.doh(MAIL_HOST, failure="timeout")
    s.tcp(POOL_A, 443, "timeout")
    return s.build()


def injected_other_pool_address() -> tuple[Observation, ...]:
    """The injector picks from its pool at random: the probe hears another forged address
    than the resolver returned; the reference is blocked; the forged address blackholed."""
    s = mail(baseline(), injection=(POOL_B,))
    s.dns(MAIL_HOST, [POOL_A])
    s.doh(MAIL_HOST, failure="timeout")
    s.tcp(POOL_A, 443, "timeout")
    return s.build()


def lying_resolver(local_reachable: bool) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [LIAR])
        s.doh(MAIL_HOST, [MAIL_V4])
        if local_reachable:
            s.chain(MAIL_URL, LIAR, verify="untrusted")  # a block-page server, self-signed
        else:
            s.tcp(LIAR, 443, "timeout")
        s.reference_probe(MAIL_URL, MAIL_V4)
        return s.build()

    return build


def several_replies() -> tuple[Observation, ...]:
    s = mail(baseline(), injection=None)
    s.dns(MAIL_HOST, qtype="A", replies=[[POOL_A], [MAIL_V4]])
    s.dns(MAIL_HOST, qtype="AAAA")
    s.doh(MAIL_HOST, failure="timeout")
    s.tcp(POOL_A, 443, "timeout")
    return s.build()


def bogus(answers: list[str], tcp_failure: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, answers)
        s.doh(MAIL_HOST, [MAIL_V4])
        for a in answers:
            s.tcp(a, 443, tcp_failure)
        s.reference_probe(MAIL_URL, MAIL_V4)
        return s.build()

    return build


def teredo() -> tuple[Observation, ...]:
    s = mail(baseline(egress_ipv6="2001:db8:1::10"), injection=None)
    s.dns(MAIL_HOST, [POOL_A, "2001:0:53aa:64c::1"])
    s.doh(MAIL_HOST, failure="timeout")
    s.tcp(POOL_A, 443, "timeout")
    s.tcp("2001:0:53aa:64c::1", 443, "timeout")
    return s.build()


def dns_failure(failure: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, failure=failure)
        s.doh(MAIL_HOST, [MAIL_V4])
        s.reference_probe(MAIL_URL, MAIL_V4)
        return s.build()

    return build


def tcp_failure(failure: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [MAIL_V4])
        s.doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4, 443, failure)
        return s.build()

    return build


def sni_blocked(failure: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [MAIL_V4])
        s.doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4).control(MAIL_V4)
        s.tls(MAIL_V4, MAIL_HOST, failure=failure)
        return s.build()

    return build


def tls_fails_every_name() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4])
    s.doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4, failure="connection_reset", responded=False)
    s.tls(MAIL_V4, MAIL_HOST, failure="connection_reset")
    return s.build()


def intercepted() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4])
    s.doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4)
    s.tls(
        MAIL_V4,
        MAIL_HOST,
        verify="untrusted",
        certificate=cert(MAIL_HOST, issuer="Middlebox CA", org="Example Security"),
    )
    return s.build()


def inspected() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4])
    s.doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4)
    s.tls(
        MAIL_V4,
        MAIL_HOST,
        verify="untrusted",
        os_verify="ok",
        certificate=cert(MAIL_HOST, issuer="Acme Inspection CA", org="Acme"),
    )
    s.http(MAIL_URL, MAIL_V4)
    return s.build()


NEWS_URL = "http://news.example.test/"
NEWS_HOST = "news.example.test"
NEWS_V4 = "203.0.113.40"


def http_block(kind: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        if kind == "reset_after_tls":
            mail(s)
            s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
            s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
            s.http(MAIL_URL, MAIL_V4, status=None, failure="connection_reset")
            return s.build()
        s.service("news", NEWS_URL, name="News")
        s.injection(NEWS_HOST)
        s.dns(NEWS_HOST, [NEWS_V4]).doh(NEWS_HOST, [NEWS_V4])
        s.tcp(NEWS_V4, 80)
        if kind == "block_page":
            s.http(
                NEWS_URL,
                NEWS_V4,
                title="Access Denied",
                body_prefix="<html><title>Access Denied</title>This site is blocked",
            )
        elif kind == "redirect_private":
            s.http(NEWS_URL, NEWS_V4, redirect_to="http://10.0.0.1/blocked.html")
        elif kind == "reset":
            s.http(NEWS_URL, NEWS_V4, status=None, failure="connection_reset")
        return s.build()

    return build


def https_status(status: int, *, body: str = "<html><title>Home</title>") -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
        s.http(MAIL_URL, MAIL_V4, status=status, body_prefix=body, title=None)
        return s.build()

    return build


def expired_certificate() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4)
    s.tls(
        MAIL_V4,
        MAIL_HOST,
        verify="expired",
        certificate=cert(MAIL_HOST, not_after="2024-01-01T00:00:00+00:00"),
    )
    return s.build()


def captive_portal() -> tuple[Observation, ...]:
    portal = cert("portal.hotel.example", issuer="portal.hotel.example", self_signed=True)
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    mail(s)
    s.network()
    s.injection(DOMESTIC_HOST)
    for _url, host, address in (
        (DOMESTIC_URL, DOMESTIC_HOST, DOMESTIC_ADDR),
        (MAIL_URL, MAIL_HOST, MAIL_V4),
    ):
        s.dns(host, [address]).doh(host, failure="timeout")
        s.tcp(address).control(address)
        s.tls(address, host, verify="untrusted", certificate=portal)
    s.nxdomain_probe()
    s.clock(0.3)
    s.captive(matched=False, status=302, location="http://192.168.1.1/login")
    s.exit(ip=None)
    return s.build()


CLOCK_SKEW_S = -1100 * 86400.0


def wrong_clock() -> tuple[Observation, ...]:
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    mail(s)
    s.network()
    s.injection(DOMESTIC_HOST)
    for host, address in ((DOMESTIC_HOST, DOMESTIC_ADDR), (MAIL_HOST, MAIL_V4)):
        s.dns(host, [address]).doh(host, failure="tls_cert_not_yet_valid")
        s.tcp(address).control(address)
        s.tls(address, host, verify="not_yet_valid")
    s.nxdomain_probe()
    s.clock(CLOCK_SKEW_S)
    s.captive()
    s.exit()
    return s.build()


def offline() -> tuple[Observation, ...]:
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    mail(s)
    s.network()
    for host in (DOMESTIC_HOST, MAIL_HOST):
        s.dns(host, failure="timeout").doh(host, failure="timeout").injection(host)
    s.nxdomain_probe(failure="timeout")
    s.clock(None, failure="timeout")
    s.captive(failure="no_answer")
    s.exit(ip=None)
    return s.build()


VIDEO_URL = "https://video.example.test/"
VIDEO_HOST = "video.example.test"
VIDEO_V4 = "203.0.113.60"


def selective() -> tuple[Observation, ...]:
    s = mail(baseline(foreign_control=False))
    s.service("video", VIDEO_URL, name="Video")
    s.injection(VIDEO_HOST)
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST, failure="connection_reset")
    s.dns(VIDEO_HOST, [VIDEO_V4]).doh(VIDEO_HOST, [VIDEO_V4])
    s.tcp(VIDEO_V4, 443, "timeout")
    return s.build()


def slow() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.site(MAIL_URL, [MAIL_V4], elapsed_ms=2600.0)
    s.http(MAIL_URL, MAIL_V4, elapsed_ms=2400.0, control=True)  # innocuous name: as slow
    return s.build()


def throttled() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
    s.http(MAIL_URL, MAIL_V4, elapsed_ms=5000.0, body_bytes=16_384, stalled=True, failure="timeout")
    s.http(MAIL_URL, MAIL_V4, elapsed_ms=900.0, body_bytes=65_536, control=True)
    return s.build()


def cut_off(kind: str) -> Rows:
    """A body that ends before it is whole is not "slow": the server broke it off, or (when
    only the service's name is cut off) something on the way did."""

    def build() -> tuple[Observation, ...]:
        s = baseline()
        if kind == "plain_reset":
            s.service("news", NEWS_URL, name="News")
            s.injection(NEWS_HOST)
            s.dns(NEWS_HOST, [NEWS_V4]).doh(NEWS_HOST, [NEWS_V4])
            s.tcp(NEWS_V4, 80)
            s.http(NEWS_URL, NEWS_V4, body_bytes=10, stalled=True, failure="connection_reset")
            return s.build()
        mail(s)
        s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
        if kind == "garbage":
            s.http(MAIL_URL, MAIL_V4, status=None, failure="http_protocol_error")
            return s.build()
        s.http(MAIL_URL, MAIL_V4, body_bytes=10, stalled=True, failure="eof")
        if kind == "any_name":
            s.http(MAIL_URL, MAIL_V4, body_bytes=10, stalled=True, failure="eof", control=True)
        elif kind == "real_name_only":
            s.http(MAIL_URL, MAIL_V4, body_bytes=65_536, control=True)
        return s.build()

    return build


def no_answer(control: str) -> Rows:
    """The request over a good secure connection gets no answer; the same address asked with
    an innocuous name answers (the name is singled out) or does not (nobody can tell)."""

    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
        s.http(MAIL_URL, MAIL_V4, status=None, failure="timeout")
        if control == "answers":
            s.http(MAIL_URL, MAIL_V4, status=421, control=True)
        else:
            s.http(MAIL_URL, MAIL_V4, status=None, failure="timeout", control=True)
        return s.build()

    return build


def deadline_in(stage: str) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.doh(MAIL_HOST, [MAIL_V4])
        if stage == "dns":
            s.dns(MAIL_HOST, failure="cancelled")
        else:
            s.dns(MAIL_HOST, [MAIL_V4])
        if stage == "tcp_retry":
            s.tcp(MAIL_V4, 443, "timeout", retry=False)  # the retry was still running
        elif stage == "tcp_hedge":
            # The overlapping second attempt was cut by the run's deadline.
            s.tcp(MAIL_V4, 443, "timeout", retry="deadline")
        elif stage == "tls":
            s.tcp(MAIL_V4).control(MAIL_V4)  # the real-name handshake was still running
        s.unfinished(["mail"])
        return s.build()

    return build


def advice_deepest(injected: bool) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline(), injection=(POOL_B,) if injected else ())
        s.dns(MAIL_HOST, [POOL_A])
        s.doh(MAIL_HOST, [MAIL_V4])
        s.tcp(POOL_A, 443, "timeout")
        s.reference_probe(MAIL_URL, MAIL_V4, tcp_failure="timeout")
        return s.build()

    return build


def advice_deepest_tls() -> tuple[Observation, ...]:
    """DNS forged, and the genuine addresses reset the handshake with the real name."""
    s = mail(baseline())
    s.dns(MAIL_HOST, [POOL_A]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(POOL_A, 443, "timeout")
    s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST, failure="connection_reset")
    return s.build()


def ipv6_broken() -> tuple[Observation, ...]:
    s = mail(baseline(egress_ipv6="2001:db8:1::10"))
    s.dns(MAIL_HOST, [MAIL_V4, MAIL_V6, "2001:db8::11"]).doh(MAIL_HOST, [MAIL_V4, MAIL_V6])
    s.chain(MAIL_URL, MAIL_V4)
    s.tcp(MAIL_V6, 443, "timeout").tcp("2001:db8::11", 443, "timeout")
    return s.build()


def residual() -> tuple[Observation, ...]:
    """Mail's handshake is reset seconds after a forbidden name was sent to that address."""
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4).control(MAIL_V4)
    # The forbidden name came first, at the same address, and was reset; Mail's own
    # handshake started 12 s later.
    s.tls(MAIL_V4, "video.example.test", failure="connection_reset")
    s.add(
        TlsHandshake(
            address=MAIL_V4,
            port=443,
            server_name=MAIL_HOST,
            failure="connection_reset",
            elapsed_ms=70.0,
            since_real_name_probe_s=12.0,
            previous_real_name="video.example.test",
            started_s=12.0,
        )
    )
    return s.build()


def nxdomain_rewrite() -> tuple[Observation, ...]:
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    s.network()
    s.site(DOMESTIC_URL, [DOMESTIC_ADDR])
    s.nxdomain_probe(["192.0.2.99"]).clock().captive().exit()
    return s.build()


def plain_http_status(status: int) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        s.service("news", NEWS_URL, name="News")
        s.injection(NEWS_HOST)
        s.dns(NEWS_HOST, [NEWS_V4]).doh(NEWS_HOST, [NEWS_V4])
        s.tcp(NEWS_V4, 80)
        s.http(NEWS_URL, NEWS_V4, status=status, title="Service Unavailable")
        return s.build()

    return build


def no_system_resolver() -> tuple[Observation, ...]:
    """No resolver is configured: nothing can be looked up, though the names exist."""
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    mail(s, injection=None)
    s.network()
    for host in (DOMESTIC_HOST, MAIL_HOST):
        s.dns(host, failure="no_resolver", server="")
    s.doh(DOMESTIC_HOST, [DOMESTIC_ADDR]).doh(MAIL_HOST, [MAIL_V4])
    s.clock(None, failure="no_resolver").captive(failure="no_resolver").exit()
    return s.build()


def late_forged_reply() -> tuple[Observation, ...]:
    """The genuine reply came first (it carries a valid certificate); a forged one later."""
    s = mail(baseline(), injection=None)
    s.dns(MAIL_HOST, qtype="A", replies=[[MAIL_V4], [POOL_A]])
    s.dns(MAIL_HOST, qtype="AAAA")
    s.doh(MAIL_HOST, [MAIL_V4])
    s.chain(MAIL_URL, MAIL_V4)
    return s.build()


# ---------------------------------------------------------------------- traps
def worst_url() -> tuple[Observation, ...]:
    """A service takes its worst URL."""
    s = baseline()
    s.service("suite", MAIL_URL, VIDEO_URL, name="Suite")
    s.injection(MAIL_HOST).injection(VIDEO_HOST)
    s.site(MAIL_URL, [MAIL_V4])
    s.dns(VIDEO_HOST, [VIDEO_V4]).doh(VIDEO_HOST, [VIDEO_V4])
    s.tcp(VIDEO_V4, 443, "timeout")
    return s.build()


def broken_url_beside_a_working_one() -> tuple[Observation, ...]:
    """Two URLs of one host at one address, on two ports: the page on 443 works, the request
    to 8443 gets no answer. The working URL does not make the broken one reachable."""
    s = baseline()
    other = "https://mail.example.test:8443/upload"
    s.service("suite", MAIL_URL, other, name="Suite")
    s.injection(MAIL_HOST)
    s.site(MAIL_URL, [MAIL_V4])
    s.tcp(MAIL_V4, 8443).control(MAIL_V4, 8443).tls(MAIL_V4, MAIL_HOST, port=8443)
    s.http(other, MAIL_V4, status=None, failure="timeout")
    return s.build()


def processes_hidden() -> tuple[Observation, ...]:
    """Other users' programs are hidden from this user (Linux hidepid): the report says what
    it could not look at, calmly; everything else stands."""
    s = mail(baseline(egress_ipv6="2001:db8:1::10"))
    s.network(limited=("process_list",))
    s.site(MAIL_URL, [MAIL_V4, MAIL_V6])
    return s.build()


def wifi_dropped_mid_run() -> tuple[Observation, ...]:
    """The Wi-Fi went away 1.2 s in: the domestic control had answered, then the foreign
    service timed out. A failure after the network changed says nothing about blocking."""
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4, 443, "network_unreachable")
    s.network_change(lost=("wlan0",), at_s=1.2)
    return s.build()


def forged_answer_then_wifi_dropped() -> tuple[Observation, ...]:
    """A forged answer was heard before the network changed: an answer someone gave stays
    evidence; the failures after the change do not."""
    s = mail(baseline(), injection=(POOL_A,))
    s.dns(MAIL_HOST, [POOL_A])
    s.doh(MAIL_HOST, failure="timeout")
    s.tcp(POOL_A, 443, "timeout")
    s.network_change(lost=("eth0",), gained=("wlan0",), at_s=2.0)
    return s.build()


def one_family_passes() -> tuple[Observation, ...]:
    """IPv4 blackholed, IPv6 works: a layer passes if any routable address passes."""
    s = mail(baseline(egress_ipv6="2001:db8:1::10"))
    s.dns(MAIL_HOST, [MAIL_V4, MAIL_V6]).doh(MAIL_HOST, [MAIL_V4, MAIL_V6])
    s.tcp(MAIL_V4, 443, "timeout")
    s.chain(MAIL_URL, MAIL_V6)
    return s.build()


def wrong_clock_pool_owner() -> tuple[Observation, ...]:
    """With the clock wrong, the owner's own (forged-pool) address shows "not yet valid":
    a certificate problem caused by the clock is no evidence of a forged answer."""
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    s.service("social", SOCIAL_URL, name="Social")
    s.network()
    s.injection(DOMESTIC_HOST).injection(SOCIAL_HOST)
    for host, address in ((DOMESTIC_HOST, DOMESTIC_ADDR), (SOCIAL_HOST, POOL_A)):
        s.dns(host, [address]).doh(host, failure="tls_cert_not_yet_valid")
        s.tcp(address).control(address)
        s.tls(address, host, verify="not_yet_valid")
    s.nxdomain_probe().clock(CLOCK_SKEW_S).captive().exit()
    return s.build()


def misdirected_control(real_ms: float, control_bytes: int, control_ms: float) -> Rows:
    """The innocuous-name control fetch to the same address, compared with the real one."""

    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
        s.tcp(MAIL_V4).control(MAIL_V4).tls(MAIL_V4, MAIL_HOST)
        s.http(MAIL_URL, MAIL_V4, elapsed_ms=real_ms, body_bytes=65_536)
        s.http(
            MAIL_URL,
            MAIL_V4,
            status=421 if control_bytes < 1000 else 200,
            elapsed_ms=control_ms,
            body_bytes=control_bytes,
            control=True,
        )
        return s.build()

    return build


def cdn_differs() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, ["203.0.113.50"]).doh(MAIL_HOST, [MAIL_V4])
    s.chain(MAIL_URL, "203.0.113.50")
    s.reference_probe(MAIL_URL, MAIL_V4)
    return s.build()


def special_range(local: str, reference: list[str], rcode: str = "NOERROR") -> Rows:
    def build() -> tuple[Observation, ...]:
        s = mail(baseline())
        s.dns(MAIL_HOST, [local]).doh(MAIL_HOST, reference, rcode=rcode)
        s.chain(MAIL_URL, local)
        for a in reference:
            s.reference_probe(MAIL_URL, a)
        return s.build()

    return build


SOCIAL_URL = "https://www.social.test/"
SOCIAL_HOST = "www.social.test"


def pool_owner() -> tuple[Observation, ...]:
    s = baseline()
    s.service("social", SOCIAL_URL, name="Social")
    s.injection(SOCIAL_HOST)
    s.dns(SOCIAL_HOST, [POOL_A, POOL_AAAA]).doh(SOCIAL_HOST, [POOL_B])
    s.chain(SOCIAL_URL, POOL_A)
    s.tcp(POOL_AAAA, 443, "network_unreachable")
    s.reference_probe(SOCIAL_URL, POOL_B)
    return s.build()


def expired_everywhere() -> tuple[Observation, ...]:
    old = cert(MAIL_HOST, not_after="2024-01-01T00:00:00+00:00")
    s = mail(baseline())
    s.dns(MAIL_HOST, ["203.0.113.30"]).doh(MAIL_HOST, ["203.0.113.31"])
    for a in ("203.0.113.30", "203.0.113.31"):
        s.tcp(a).control(a).tls(a, MAIL_HOST, verify="expired", certificate=old)
    return s.build()


def dead_site_refuses() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, ["203.0.113.30"]).doh(MAIL_HOST, ["203.0.113.31"])
    s.tcp("203.0.113.30", 443, "connection_refused")
    s.tcp("203.0.113.31", 443, "connection_refused")
    return s.build()


def lost_packet() -> tuple[Observation, ...]:
    s = mail(baseline())
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4, 443, "timeout", retry=None)
    s.control(MAIL_V4).tls(MAIL_V4, MAIL_HOST).http(MAIL_URL, MAIL_V4)
    return s.build()


def nothing_abroad() -> tuple[Observation, ...]:
    s = mail(baseline(foreign_control=False, doh_works=False))
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, failure="timeout")
    s.tcp(MAIL_V4, 443, "timeout")
    return s.build()


SEARCH_URL = "https://www.search.test/"
SEARCH_HOST = "www.search.test"
SAFE = "203.0.113.120"  # the search engine's own "safe search" address


def safe_search(blackholed: bool) -> Rows:
    def build() -> tuple[Observation, ...]:
        s = baseline()
        s.service("search", SEARCH_URL, name="Search", known_networks=["203.0.113.0/24"])
        s.injection(SEARCH_HOST)
        s.dns(SEARCH_HOST, [SAFE]).doh(SEARCH_HOST, ["198.51.100.14"])
        if blackholed:
            s.tcp(SAFE, 443, "timeout")
            s.reference_probe(SEARCH_URL, "198.51.100.14", tcp_failure="timeout")
        else:
            s.chain(SEARCH_URL, SAFE)
            s.reference_probe(SEARCH_URL, "198.51.100.14")
        return s.build()

    return build


def transparent_dns_proxy() -> tuple[Observation, ...]:
    """A hotel's DNS proxy answers queries to any address, so the injection probe hears
    the proxy's (genuine) answers: that is not injection."""
    s = Scenario()
    s.service("domestic", DOMESTIC_URL, domestic=True, name="Domestic")
    s.service("foreign", FOREIGN_URL, name="Foreign")
    mail(s, injection=(MAIL_V4,))
    s.network()
    s.site(DOMESTIC_URL, [DOMESTIC_ADDR], elapsed_ms=300.0)
    s.site(FOREIGN_URL, [FOREIGN_ADDR])
    s.injection(DOMESTIC_HOST, [DOMESTIC_ADDR])
    s.injection(FOREIGN_HOST, [FOREIGN_ADDR])
    s.dns(MAIL_HOST, [MAIL_V4]).doh(MAIL_HOST, [MAIL_V4])
    s.tcp(MAIL_V4, 443, "timeout")
    s.nxdomain_probe().clock().captive().exit()
    return s.build()


# ---------------------------------------------------------------------- the table
BLOCKED_MAIL = {"selective_blocking": ("mail",)}

ROWS = [
    pytest.param(
        healthy,
        Expect("ok", {**REACHABLE, "mail": "reachable"}, {}, layers={"mail": OK_LAYERS}),
        id="healthy",
    ),
    pytest.param(
        injected_same_address,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_injection_on_path": ("mail",), **BLOCKED_MAIL},
            layers={"mail": {"dns": "forged", "tcp": ("failed", "timeout"), "tls": "not_run"}},
            params={
                "dns_injection_on_path": {"names": [MAIL_HOST], "probe_address": INJECTION_PROBE}
            },
            reasons={"mail": "injected_on_path"},
        ),
        id="dns-injected-on-path",
    ),
    pytest.param(
        injected_other_pool_address,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_injection_on_path": ("mail",), **BLOCKED_MAIL},
            layers={"mail": {"dns": "forged", "tcp": ("failed", "timeout")}},
        ),
        id="dns-injected-other-pool-address",
    ),
    pytest.param(
        lying_resolver(local_reachable=True),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_tampering": ("mail",), **BLOCKED_MAIL},
            layers={"mail": {"dns": "forged", "tcp": "ok", "tls": "failed"}},
            params={"dns_tampering": {"names": [MAIL_HOST], "addresses": [LIAR]}},
            reasons={"mail": "reference_verified"},
        ),
        id="dns-lying-resolver",
    ),
    pytest.param(
        lying_resolver(local_reachable=False),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_tampering": ("mail",), **BLOCKED_MAIL},
            reasons={"mail": "reference_verified"},
        ),
        id="dns-lying-resolver-unreachable-answer",
    ),
    pytest.param(
        several_replies,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            # A reply raced the real one on the way: injection, not a lying resolver.
            {"dns_injection_on_path": ("mail",), **BLOCKED_MAIL},
            reasons={"mail": "several_replies"},
        ),
        id="dns-several-replies",
    ),
    *[
        pytest.param(
            bogus([answer], failure),
            Expect(
                "blocked",
                {**REACHABLE, "mail": "dns_tampered"},
                {"dns_tampering": ("mail",), **BLOCKED_MAIL},
                params={"dns_tampering": {"addresses": [answer]}},
                reasons={"mail": "bogus_address"},
            ),
            id=f"dns-bogus-{label}",
        )
        for answer, failure, label in (
            ("127.0.0.1", "connection_refused", "loopback"),
            ("0.0.0.0", "connection_refused", "zero"),
            ("10.10.34.35", "timeout", "iran"),
        )
    ],
    pytest.param(
        teredo,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_tampering": ("mail",), **BLOCKED_MAIL},
            reasons={"mail": "bogus_address"},
        ),
        id="dns-bogus-teredo",
    ),
    *[
        pytest.param(
            dns_failure(failure),
            Expect(
                "blocked",
                {**REACHABLE, "mail": "dns_failed"},
                BLOCKED_MAIL,
                layers={"mail": {"dns": ("failed", failure), "tcp": "not_run"}},
            ),
            id=f"dns-failed-{failure}",
        )
        for failure in ("timeout", "nxdomain", "dns_servfail")
    ],
    pytest.param(
        tcp_failure("timeout"),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "ip_blocked"},
            BLOCKED_MAIL,
            layers={"mail": {"dns": "ok", "tcp": ("failed", "timeout"), "tls": "not_run"}},
            reasons={"mail": "tcp_timeout"},
        ),
        id="ip-blackholed",
    ),
    *[
        pytest.param(
            tcp_failure(failure),
            Expect(
                "blocked",
                {**REACHABLE, "mail": "ip_blocked"},
                BLOCKED_MAIL,
                layers={"mail": {"tcp": ("failed", failure)}},
            ),
            id=f"ip-{failure}",
        )
        for failure in ("connection_refused", "host_unreachable")
    ],
    *[
        pytest.param(
            sni_blocked(failure),
            Expect(
                "blocked",
                {**REACHABLE, "mail": "tls_blocked"},
                BLOCKED_MAIL,
                layers={
                    "mail": {
                        "dns": "ok",
                        "tcp": "ok",
                        "tls": ("failed", failure),
                        "http": "not_run",
                    }
                },
                reasons={"mail": f"name_{failure}"},
            ),
            id=f"tls-sni-{failure}",
        )
        for failure in ("connection_reset", "timeout")
    ],
    pytest.param(
        sni_blocked("tls_alert"),
        Expect(
            "degraded",
            {**REACHABLE, "mail": "site_error"},
            {},
            reasons={"mail": "server_refused_handshake"},
        ),
        id="tls-alert-from-the-server-is-not-a-block",
    ),
    pytest.param(
        tls_fails_every_name,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "ip_blocked"},
            BLOCKED_MAIL,
            reasons={"mail": "tls_fails_for_every_name"},
        ),
        id="tls-fails-for-every-name",
    ),
    pytest.param(
        intercepted,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "tls_intercepted"},
            {"tls_interception": ("mail",)},  # not safe, but not blocked
            layers={"mail": {"dns": "ok", "tcp": "ok", "tls": "failed", "http": "not_run"}},
            params={"tls_interception": {"issuer": "Middlebox CA", "services": ["Mail"]}},
        ),
        id="tls-intercepted",
    ),
    pytest.param(
        inspected,
        Expect(
            "ok",
            {**REACHABLE, "mail": "reachable"},
            {"tls_inspection": ("mail",)},
            layers={"mail": OK_LAYERS},
            params={"tls_inspection": {"issuer": "Acme Inspection CA"}},
        ),
        id="tls-inspection-trusted-by-os",
    ),
    *[
        pytest.param(
            http_block(kind),
            Expect(
                "blocked",
                {**REACHABLE, service: "http_blocked"},
                {"selective_blocking": (service,)},
                layers={service: {"dns": "ok", "tcp": "ok", "http": "failed"}},
            ),
            id=f"http-{kind}",
        )
        for kind, service in (
            ("block_page", "news"),
            ("redirect_private", "news"),
            ("reset", "news"),
            ("reset_after_tls", "mail"),
        )
    ],
    *[
        pytest.param(
            https_status(status, body=body),
            Expect(
                "degraded",
                {**REACHABLE, "mail": "geo_restricted"},
                {},
                layers={"mail": OK_LAYERS},
            ),
            id=f"geo-restricted-{label}",
        )
        for status, body, label in (
            (451, "<html>Unavailable For Legal Reasons", "451"),
            (403, "<html>Forbidden", "403"),
            (200, "<html>This service is not available in your country.", "region-page"),
        )
    ],
    pytest.param(
        expired_certificate,
        Expect(
            "degraded",
            {**REACHABLE, "mail": "site_error"},
            {},
            layers={"mail": {"tls": ("failed", "tls_cert_expired")}},
            reasons={"mail": "certificate_expired"},
        ),
        id="site-error-expired-certificate",
    ),
    pytest.param(
        https_status(503),
        Expect("degraded", {**REACHABLE, "mail": "site_error"}, {}),
        id="site-error-5xx",
    ),
    pytest.param(
        captive_portal,
        Expect(
            "captive_portal",
            {"domestic": "inconclusive", "mail": "inconclusive"},
            {"captive_portal": ()},
            params={
                "captive_portal": {
                    "url": "http://captive.domestic.test/generate_204",
                    "location": "http://192.168.1.1/login",
                }
            },
            reasons={"mail": "captive_portal"},
        ),
        id="captive-portal",
    ),
    pytest.param(
        wrong_clock,
        Expect(
            "inconclusive",
            {"domestic": "inconclusive", "mail": "inconclusive"},
            {"clock_wrong": ()},
            params={"clock_wrong": {"skew_hours": 26400}},
            reasons={"domestic": "clock_wrong", "mail": "clock_wrong"},
        ),
        id="clock-wrong",
    ),
    pytest.param(
        offline,
        Expect(
            "offline",
            {"domestic": "inconclusive", "mail": "inconclusive"},
            {"offline": ()},
            reasons={"mail": "offline"},
        ),
        id="offline",
    ),
    pytest.param(
        selective,
        Expect(
            "blocked",
            {"domestic": "reachable", "mail": "tls_blocked", "video": "ip_blocked"},
            {"selective_blocking": ("mail", "video")},
            params={"selective_blocking": {"blocked_count": 2, "foreign_count": 2}},
        ),
        id="selective-blocking",
    ),
    pytest.param(
        slow,
        Expect(
            "degraded",
            {**REACHABLE, "mail": "slow"},
            {},
            layers={"mail": OK_LAYERS},
            reasons={"mail": "slower_than_domestic"},
        ),
        id="slow",
    ),
    pytest.param(
        no_answer("answers"),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "http_blocked"},
            {"selective_blocking": ("mail",)},
            reasons={"mail": "no_answer_with_real_name_only"},
        ),
        id="https-no-answer-with-the-real-name-only",
    ),
    pytest.param(
        no_answer("silent"),
        Expect(
            "degraded",
            {**REACHABLE, "mail": "inconclusive"},
            {},
            reasons={"mail": "no_answer_any_name"},
        ),
        id="https-no-answer-whatever-the-name-is-unclear-not-blocked",
    ),
    pytest.param(
        cut_off("no_control"),
        Expect("degraded", {**REACHABLE, "mail": "site_error"}, {}, reasons={"mail": "cut_off"}),
        id="https-body-cut-off-is-the-sites-fault-not-slow",
    ),
    pytest.param(
        cut_off("any_name"),
        Expect("degraded", {**REACHABLE, "mail": "site_error"}, {}, reasons={"mail": "cut_off"}),
        id="https-body-cut-off-with-any-name",
    ),
    pytest.param(
        cut_off("real_name_only"),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "http_blocked"},
            {"selective_blocking": ("mail",)},
            reasons={"mail": "cut_off_with_real_name_only"},
        ),
        id="https-body-cut-off-with-the-real-name-only",
    ),
    pytest.param(
        cut_off("garbage"),
        Expect(
            "degraded",
            {**REACHABLE, "mail": "site_error"},
            {},
            reasons={"mail": "garbled_response"},
        ),
        id="https-garbage-from-a-verified-server-is-the-sites-fault",
    ),
    pytest.param(
        cut_off("plain_reset"),
        Expect(
            "blocked",
            {**REACHABLE, "news": "http_blocked"},
            {"selective_blocking": ("news",)},
            reasons={"news": "cut_off_by_reset"},
        ),
        id="plain-http-body-reset-midway",
    ),
    pytest.param(
        throttled,
        Expect(
            "degraded",
            {**REACHABLE, "mail": "throttled"},
            {},
            reasons={"mail": "stalls_with_real_name_only"},
        ),
        id="throttled",
    ),
    *[
        pytest.param(
            deadline_in(stage),
            Expect(
                "degraded",
                {**REACHABLE, "mail": "inconclusive"},
                {"checks_unfinished": ("mail",)},
                params={"checks_unfinished": {"count": 1, "reason": "deadline"}},
                reasons={"mail": "not_finished"},
            ),
            id=f"deadline-in-{stage}",
        )
        for stage in ("tls", "dns", "tcp_retry", "tcp_hedge")
    ],
    pytest.param(
        advice_deepest(injected=False),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_tampering": ("mail",), **BLOCKED_MAIL},
            advice={"mail": "ip_blocked"},
            params={"dns_tampering": {"addresses": [POOL_A]}},
        ),
        id="advice-deepest-layer",
    ),
    pytest.param(
        advice_deepest(injected=True),
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_injection_on_path": ("mail",), **BLOCKED_MAIL},
            advice={"mail": "ip_blocked"},
        ),
        id="advice-deepest-layer-injected",
    ),
    pytest.param(
        advice_deepest_tls,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"dns_tampering": ("mail",), **BLOCKED_MAIL},
            advice={"mail": "tls_blocked"},
        ),
        id="advice-deepest-layer-tls",
    ),
    pytest.param(
        ipv6_broken,
        Expect(
            "degraded",
            {**REACHABLE, "mail": "reachable"},
            {"ipv6_broken": ()},
            layers={"mail": OK_LAYERS},
        ),
        id="ipv6-broken-ipv4-carries",
    ),
    pytest.param(
        residual,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "tls_blocked"},
            {"residual_blocking_possible": ("mail",), **BLOCKED_MAIL},
        ),
        id="residual-blocking-possible",
    ),
    pytest.param(
        nxdomain_rewrite,
        Expect(
            "degraded",
            {"domestic": "reachable"},
            {"dns_nxdomain_rewrite": ()},
            params={"dns_nxdomain_rewrite": {"addresses": ["192.0.2.99"]}},
        ),
        id="dns-nxdomain-rewrite",
    ),
    pytest.param(
        plain_http_status(503),
        Expect("degraded", {**REACHABLE, "news": "site_error"}, {}),
        id="site-error-plain-http-5xx",
    ),
    pytest.param(
        no_system_resolver,
        Expect(
            "blocked",
            {"domestic": "dns_failed", "mail": "dns_failed"},
            {"dns_resolver_missing": ()},
            layers={"mail": {"dns": ("failed", "no_resolver")}},
            reasons={"mail": "reference_has_answer"},
        ),
        id="no-system-resolver-configured",
    ),
    pytest.param(
        worst_url,
        Expect(
            "blocked",
            {**REACHABLE, "suite": "ip_blocked"},
            {"selective_blocking": ("suite",)},
        ),
        id="service-takes-worst-url",
    ),
    pytest.param(
        broken_url_beside_a_working_one,
        Expect(
            "blocked",
            {**REACHABLE, "suite": "http_blocked"},
            {"selective_blocking": ("suite",)},
        ),
        id="a-working-url-does-not-vouch-for-a-broken-one",
    ),
    pytest.param(
        processes_hidden,
        Expect(
            "ok",
            {**REACHABLE, "mail": "reachable"},
            {"checks_limited": ()},
            params={"checks_limited": {"checks": ["process_list"]}},
        ),
        id="what-could-not-be-looked-at-without-admin-rights",
    ),
    pytest.param(
        wifi_dropped_mid_run,
        Expect(
            "inconclusive",
            {**REACHABLE, "mail": "inconclusive"},
            {"network_changed": ()},
            reasons={"mail": "network_changed"},
            params={"network_changed": {"lost": ["wlan0"], "gained": [], "seconds": 1.2}},
        ),
        id="network-changed-mid-run-is-not-blocking",
    ),
    pytest.param(
        forged_answer_then_wifi_dropped,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "dns_tampered"},
            {"network_changed": (), "dns_injection_on_path": ("mail",)},
            advice={"mail": "dns_tampered"},
            params={"network_changed": {"lost": ["eth0"], "gained": ["wlan0"]}},
        ),
        id="network-changed-keeps-what-answered",
    ),
    pytest.param(
        one_family_passes,
        Expect("ok", {**REACHABLE, "mail": "reachable"}, {}, layers={"mail": OK_LAYERS}),
        id="ipv4-blackholed-ipv6-works",
    ),
    pytest.param(
        misdirected_control(4500.0, 65_536, 600.0),
        Expect(
            "degraded",
            {**REACHABLE, "mail": "throttled"},
            {},
            reasons={"mail": "slow_with_real_name_only"},
        ),
        id="throttled-by-speed",
    ),
    # ------------------------------------------------------------------ traps
    pytest.param(
        wrong_clock_pool_owner,
        Expect(
            "inconclusive",
            {"domestic": "inconclusive", "social": "inconclusive"},
            {"clock_wrong": ()},
            reasons={"social": "clock_wrong"},
        ),
        id="trap-clock-wrong-forged-pool-owner",
    ),
    pytest.param(
        misdirected_control(2600.0, 300, 90.0),
        Expect(
            "degraded",
            {**REACHABLE, "mail": "slow"},
            {},
            reasons={"mail": "slower_than_domestic"},
        ),
        id="trap-slow-server-control-gets-small-error-page",
    ),
    pytest.param(
        late_forged_reply,
        Expect("ok", {**REACHABLE, "mail": "reachable"}, {}),
        id="trap-late-forged-reply-after-genuine",
    ),
    pytest.param(
        cdn_differs,
        Expect("ok", {**REACHABLE, "mail": "reachable"}, {}, layers={"mail": OK_LAYERS}),
        id="trap-cdn-answer-differs-valid-cert",
    ),
    *[
        pytest.param(
            special_range(local, reference, rcode),
            Expect("ok", {**REACHABLE, "mail": "reachable"}, {}, layers={"mail": OK_LAYERS}),
            id=f"trap-{label}-valid-cert",
        )
        for local, reference, rcode, label in (
            ("10.20.30.40", ["203.0.113.77"], "NOERROR", "intranet-split-horizon"),
            ("10.20.30.40", [], "NXDOMAIN", "intranet-only-name"),
            ("64:ff9b::cb00:710a", [MAIL_V4], "NOERROR", "nat64"),
            ("198.18.0.7", [MAIL_V4], "NOERROR", "proxy-fake-ip"),
        )
    ],
    pytest.param(
        pool_owner,
        Expect("ok", {**REACHABLE, "social": "reachable"}, {}),
        id="trap-forged-pool-address-of-its-owner",
    ),
    pytest.param(
        expired_everywhere,
        Expect(
            "degraded",
            {**REACHABLE, "mail": "site_error"},
            {},
            reasons={"mail": "certificate_expired"},
        ),
        id="trap-certificate-expired-everywhere",
    ),
    pytest.param(
        dead_site_refuses,
        Expect("degraded", {**REACHABLE, "mail": "site_error"}, {}),
        id="trap-dead-site-refuses-everywhere",
    ),
    pytest.param(
        lost_packet,
        Expect("ok", {**REACHABLE, "mail": "reachable"}, {}, layers={"mail": OK_LAYERS}),
        id="trap-one-lost-packet",
    ),
    pytest.param(
        nothing_abroad,
        Expect(
            "blocked",
            {"domestic": "reachable", "mail": "ip_blocked"},
            {"doh_blocked": (), "selective_blocking": ("mail",)},
            reasons={"mail": "nothing_abroad_answers"},
        ),
        id="trap-blackhole-while-nothing-abroad-answers",
    ),
    pytest.param(
        safe_search(blackholed=False),
        Expect("ok", {**REACHABLE, "search": "reachable"}, {}),
        id="trap-safe-search-address",
    ),
    pytest.param(
        safe_search(blackholed=True),
        Expect(
            "blocked",
            {**REACHABLE, "search": "ip_blocked"},
            {"selective_blocking": ("search",)},
            layers={"search": {"dns": "ok"}},
        ),
        id="trap-safe-search-address-blackholed",
    ),
    pytest.param(
        transparent_dns_proxy,
        Expect(
            "blocked",
            {**REACHABLE, "mail": "ip_blocked"},
            {"dns_intercepted": (), **BLOCKED_MAIL},
            layers={"mail": {"dns": "ok"}},
        ),
        id="trap-transparent-dns-proxy",
    ),
]


def _layer(verdict: Any, name: str) -> tuple[str, str | None]:
    layer = verdict.layers[name]
    return layer.status, layer.failure


@pytest.mark.parametrize(("build", "expect"), ROWS)
def test_verdicts(build: Rows, expect: Expect) -> None:
    diagnosis = diagnose(build())
    got = {v.id: v.verdict for v in diagnosis.services}
    assert got == expect.verdicts, _explain(diagnosis)
    for v in diagnosis.services:
        assert v.advice_verdict == expect.advice.get(v.id, v.verdict), _explain(diagnosis)
    for service_id, layers in expect.layers.items():
        verdict = diagnosis.service(service_id)
        assert verdict is not None
        for name, wanted in layers.items():
            status, failure = _layer(verdict, name)
            if isinstance(wanted, tuple):
                assert (status, failure) == wanted, (service_id, name, _explain(diagnosis))
            else:
                assert status == wanted, (service_id, name, _explain(diagnosis))
    for service_id, reason in expect.reasons.items():
        verdict = diagnosis.service(service_id)
        assert verdict is not None and verdict.reason == reason, _explain(diagnosis)
    codes = {f.code: f.subjects for f in diagnosis.findings}
    assert codes == expect.findings, _explain(diagnosis)
    for code, params in expect.params.items():
        finding = diagnosis.finding(code)
        assert finding is not None
        for key, value in params.items():
            assert finding.params.get(key) == value, (code, key, finding.params)
    assert diagnosis.status == expect.status, _explain(diagnosis)


@pytest.mark.parametrize(("build", "expect"), ROWS)
def test_vocabulary_and_params(build: Rows, expect: Expect) -> None:
    """Every verdict, layer and finding is in the fixed vocabulary, with the params its
    texts use (the explanation catalog renders them)."""
    diagnosis = diagnose(build())
    assert diagnosis.status in vocabulary.STATUSES
    for v in diagnosis.services:
        assert v.verdict in vocabulary.VERDICTS
        assert v.advice_verdict in vocabulary.VERDICTS
        assert set(v.layers) == set(vocabulary.LAYERS)
        assert all(layer.status in vocabulary.LAYER_STATUSES for layer in v.layers.values())
    for f in diagnosis.findings:
        assert f.code in vocabulary.FINDINGS
        assert f.severity in vocabulary.SEVERITIES
        assert set(f.params) == set(vocabulary.FINDINGS[f.code]), f
        known = {v.id for v in diagnosis.services}
        assert set(f.subjects) <= known


def test_offline_exits_with_status_2() -> None:
    from clearsight.cli import STATUS_EXIT

    assert STATUS_EXIT[diagnose(offline()).status] == 2
    assert STATUS_EXIT[diagnose(healthy()).status] == 0
    assert STATUS_EXIT[diagnose(tcp_failure("timeout")()).status] == 1


def test_diagnosis_is_order_independent() -> None:
    """Records arrive from concurrent workers in any order (the plan aside)."""
    for build in (lying_resolver(True), selective, throttled, advice_deepest(True)):
        records = build()
        shuffled = (records[0], *reversed(records[1:]))
        assert diagnose(shuffled) == diagnose(records)


def test_no_plan_is_inconclusive() -> None:
    records = [r for r in healthy() if not isinstance(r, DnsQuery)][1:]
    assert diagnose(records).status == "inconclusive"
    assert diagnose([]).status == "inconclusive"


def _explain(diagnosis: Diagnosis) -> str:
    lines = [f"status={diagnosis.status}"]
    for v in diagnosis.services:
        layers = {k: (x.status, x.failure) for k, x in v.layers.items()}
        lines.append(f"  {v.id}: {v.verdict} (advice {v.advice_verdict}, {v.reason}) {layers}")
    for f in diagnosis.findings:
        lines.append(f"  finding {f.code} {f.subjects} {f.params}")
    return "\n".join(lines)
