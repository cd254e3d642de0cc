"""Each censorship situation of the diagnostic core, end to end: real dnsmasq, real TLS
servers with a lab CA, iptables rules in the censor namespace, and ``clearsight run``
inside the client namespace."""

from __future__ import annotations

import pytest

from clearsight.explanations.catalog import catalog
from tests.lab.lab import Lab

from .scenario import Outcome, run

pytestmark = pytest.mark.lab


def _world(lab: Lab, **foreign_behaviour: object) -> dict[str, object]:
    """Two foreign services, two domestic controls, an injection-probe host."""
    sites = {
        "mail": lab.add_site("mail.foreign-lab.test", **foreign_behaviour),
        "chat": lab.add_site("chat.foreign-lab.test"),
        "news": lab.add_site("news.local-lab.test"),
        "shop": lab.add_site("shop.local-lab.test"),
    }
    sites["probe"] = lab.add_host()  # runs no DNS server
    return sites


def _services(sites: dict[str, object]) -> list[dict[str, object]]:
    return [
        sites["mail"].service("mail", name="Mail"),  # type: ignore[attr-defined]
        sites["chat"].service("chat", name="Chat"),  # type: ignore[attr-defined]
        sites["news"].service("news", name="News", domestic=True),  # type: ignore[attr-defined]
        sites["shop"].service("shop", name="Shop", domestic=True),  # type: ignore[attr-defined]
    ]


def _check(outcome: Outcome, condition: bool) -> None:
    assert condition, outcome.explain()


def test_a_healthy_network_is_ok_and_exits_0(lab: Lab) -> None:
    sites = _world(lab)
    outcome = run(lab, _services(sites), injection_probes=[sites["probe"]])
    _check(outcome, outcome.exit_code == 0 and outcome.status == "ok")
    for service in ("mail", "chat", "news", "shop"):
        _check(outcome, outcome.verdict(service) == "reachable")
    layers = outcome.service("mail")["layers"]
    _check(outcome, all(layers[k]["status"] == "ok" for k in ("dns", "tcp", "tls", "http")))


def test_dns_forged_on_the_path_is_tampering_by_injection(lab: Lab) -> None:
    sites = _world(lab)
    forged = lab.add_host()  # a real address elsewhere, as the GFW's pools are
    lab.censor.dns_lie_on_path("mail.foreign-lab.test", forged.ipv4)
    outcome = run(lab, _services(sites), injection_probes=[sites["probe"]])
    _check(outcome, outcome.verdict("mail") == "dns_tampered")
    _check(outcome, outcome.verdict("chat") == "reachable")
    finding = outcome.finding("dns_injection_on_path")
    _check(outcome, finding is not None and "mail" in finding["subjects"])
    _check(outcome, outcome.status == "blocked" and outcome.exit_code == 1)


def test_a_lying_resolver_is_tampering_by_the_resolver(lab: Lab) -> None:
    sites = _world(lab)
    elsewhere = lab.add_site("other-company.test")  # serves its own, valid certificate
    lab.resolver.lie("mail.foreign-lab.test", elsewhere.ipv4)
    outcome = run(lab, _services(sites), injection_probes=[sites["probe"]])
    _check(outcome, outcome.verdict("mail") == "dns_tampered")
    finding = outcome.finding("dns_tampering")
    _check(outcome, finding is not None and finding["subjects"] == ["mail"])
    _check(outcome, outcome.finding("dns_injection_on_path") is None)
    # The genuine address works: the advice is about DNS, not a VPN.
    mail = outcome.service("mail")
    _check(outcome, mail["advice_verdict"] == "dns_tampered")
    texts = catalog(outcome.report["language"])
    dns_advice = texts.verdict("dns_tampered", mail["params"]).advice
    _check(outcome, mail["advice"] == dns_advice)


@pytest.mark.parametrize("how", ["timeout", "nxdomain"])
def test_no_usable_answer_where_the_reference_has_one_is_dns_failed(lab: Lab, how: str) -> None:
    sites = _world(lab)
    getattr(lab.resolver, how)("mail.foreign-lab.test")
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "dns_failed")
    _check(outcome, outcome.service("mail")["layers"]["dns"]["status"] == "failed")


def test_a_blackholed_address_is_ip_blocked_after_one_retry(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.drop(sites["mail"])
    outcome = run(lab, _services(sites), timeout_s=1.0)
    _check(outcome, outcome.verdict("mail") == "ip_blocked")
    _check(outcome, outcome.service("mail")["layers"]["tcp"]["failure"] == "timeout")
    attempts = [
        o
        for o in outcome.report["observations"]
        if o["kind"] == "tcp" and o["address"] == sites["mail"].ipv4
    ]  # type: ignore[attr-defined]
    _check(outcome, [a["attempt"] for a in attempts] == [1, 2])
    _check(outcome, outcome.finding("selective_blocking") is not None)


@pytest.mark.parametrize(
    ("how", "failure"),
    [("tcp-reset", "connection_refused"), ("icmp-host-unreachable", "host_unreachable")],
)
def test_refused_and_unreachable_addresses_are_ip_blocked(lab: Lab, how: str, failure: str) -> None:
    sites = _world(lab)
    lab.censor.reject(sites["mail"], how=how)
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "ip_blocked")
    _check(outcome, outcome.service("mail")["layers"]["tcp"]["failure"] == failure)


def test_a_reset_on_the_service_name_is_tls_blocked(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.sni_reset("mail.foreign-lab.test")
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "tls_blocked")
    layers = outcome.service("mail")["layers"]
    _check(outcome, layers["tcp"]["status"] == "ok" and layers["tls"]["status"] == "failed")
    _check(outcome, layers["tls"]["failure"] == "connection_reset")
    _check(outcome, outcome.verdict("chat") == "reachable")


def test_an_untrusted_certificate_in_the_middle_is_interception(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.intercept_tls(sites["mail"], ca="evil")
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "tls_intercepted")
    finding = outcome.finding("tls_interception")
    _check(outcome, finding is not None and finding["subjects"] == ["mail"])


def test_inspection_trusted_by_the_os_store_is_reachable_and_reported(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.intercept_tls(sites["mail"], ca="corporate")
    bundle = lab.os_store_bundle_with(lab.corporate_ca)
    outcome = run(lab, _services(sites), env={"SSL_CERT_FILE": str(bundle)})
    _check(outcome, outcome.verdict("mail") == "reachable")
    finding = outcome.finding("tls_inspection")
    _check(outcome, finding is not None and finding["severity"] == "info")
    _check(outcome, outcome.status != "blocked")


def test_a_block_page_for_a_plain_http_site_is_http_blocked(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.block_page("mail.foreign-lab.test")
    services = _services(sites)
    services[0]["urls"] = [sites["mail"].http_url]  # type: ignore[attr-defined]
    outcome = run(lab, services)
    _check(outcome, outcome.verdict("mail") == "http_blocked")


def test_the_service_refusing_the_country_is_geo_restricted(lab: Lab) -> None:
    sites = _world(lab, status=451, region_blocked=True)
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "geo_restricted")
    _check(outcome, outcome.status == "degraded")


def test_a_site_whose_own_certificate_expired_is_a_site_error_not_interception(lab: Lab) -> None:
    sites = _world(lab)
    sites["mail"].set_cert("expired")  # type: ignore[attr-defined]
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.verdict("mail") == "site_error")
    _check(outcome, outcome.finding("tls_interception") is None)


def test_a_login_page_in_the_way_is_a_captive_portal(lab: Lab) -> None:
    sites = _world(lab)
    check = lab.add_site("check.local-lab.test")
    lab.censor.captive_portal()
    outcome = run(
        lab,
        _services(sites),
        captive_checks=[{"url": f"{check.http_url}generate_204", "expect_status": 204}],
    )
    _check(outcome, outcome.status == "captive_portal" and outcome.exit_code == 2)
    _check(outcome, outcome.finding("captive_portal") is not None)
    # The one action leads to the portal's own login page, not to the address asked.
    actions = outcome.report["summary"]["actions"]
    _check(outcome, [a["id"] for a in actions] == ["log_in"])
    url = actions[0].get("url") or ""
    _check(outcome, url.startswith("http") and "generate_204" not in url)


def test_a_wrong_clock_is_reported_and_tls_verdicts_are_held_back(lab: Lab) -> None:
    sites = _world(lab)
    outcome = run(lab, _services(sites), clock_offset_days=-1100)
    _check(outcome, outcome.finding("clock_wrong") is not None)
    _check(outcome, outcome.verdict("mail") == "inconclusive")
    _check(outcome, outcome.status == "inconclusive" and outcome.exit_code == 2)
    _check(outcome, outcome.finding("tls_interception") is None)


def test_nothing_answering_is_offline(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.reject(how="icmp-net-unreachable")
    outcome = run(lab, _services(sites))
    _check(outcome, outcome.status == "offline" and outcome.exit_code == 2)
    _check(outcome, outcome.codes >= {"offline"})


def test_domestic_fine_and_foreign_blocked_is_selective_blocking(lab: Lab) -> None:
    sites = _world(lab)
    lab.censor.sni_reset("chat.foreign-lab.test")
    lab.censor.reject(sites["mail"], how="tcp-reset")
    outcome = run(lab, _services(sites))
    finding = outcome.finding("selective_blocking")
    _check(outcome, finding is not None and sorted(finding["subjects"]) == ["chat", "mail"])
    _check(outcome, outcome.verdict("news") == "reachable")


def test_a_service_much_slower_than_the_domestic_controls_is_slow(lab: Lab) -> None:
    sites = _world(lab, delay_ms=2600)
    outcome = run(lab, _services(sites), timeout_s=5.0)
    _check(outcome, outcome.verdict("mail") == "slow")
    _check(outcome, outcome.status == "degraded" and outcome.exit_code == 1)


def test_a_transfer_that_freezes_only_with_the_real_name_is_throttled(lab: Lab) -> None:
    sites = _world(lab, body_bytes=200_000)
    lab.censor.throttle("mail.foreign-lab.test")
    outcome = run(lab, _services(sites), timeout_s=1.5)
    _check(outcome, outcome.verdict("mail") == "throttled")
    _check(outcome, outcome.verdict("chat") == "reachable")


def test_ipv6_dropped_while_ipv4_works_is_reachable_with_ipv6_broken(lab: Lab) -> None:
    mail = lab.add_site("mail.foreign-lab.test", ipv6=True)
    chat = lab.add_site("chat.foreign-lab.test", ipv6=True)
    news = lab.add_site("news.local-lab.test")
    lab.censor.drop([mail.ipv6, chat.ipv6])  # type: ignore[list-item]
    services = [
        mail.service("mail", name="Mail"),
        chat.service("chat", name="Chat"),
        news.service("news", name="News", domestic=True),
    ]
    outcome = run(lab, services, timeout_s=1.0)
    _check(outcome, outcome.verdict("mail") == "reachable")
    _check(outcome, outcome.verdict("chat") == "reachable")
    _check(outcome, outcome.finding("ipv6_broken") is not None)


def test_a_reset_that_lingers_on_a_shared_address_is_flagged_as_residual(lab: Lab) -> None:
    mail = lab.add_site("mail.foreign-lab.test")
    drive = lab.add_site("drive.foreign-lab.test", same_address_as=mail)
    news = lab.add_site("news.local-lab.test")
    # The GFW keeps resetting a client/server/port for a while after a forbidden name.
    lab.censor.sni_reset("mail.foreign-lab.test", residual_s=60)
    services = [
        mail.service("mail", name="Mail"),
        drive.service("drive", name="Drive"),
        news.service("news", name="News", domestic=True),
    ]
    outcome = run(lab, services)
    _check(outcome, outcome.verdict("mail") == "tls_blocked")
    controls = [o for o in outcome.report["observations"] if o["kind"] == "tls" and o["control"]]
    # The innocuous control ran before any real name, so it saw the address unblocked.
    _check(outcome, any(c["address"] == mail.ipv4 and c["failure"] is None for c in controls))
    finding = outcome.finding("residual_blocking_possible")
    if outcome.verdict("drive") != "reachable":
        # Drive's own name is not blocked: its failure came after Mail's reset.
        _check(outcome, finding is not None and "drive" in finding["subjects"])
    # Mail's own name is what the censor resets: that is no side effect.
    _check(outcome, finding is None or "mail" not in finding["subjects"])


# docs/lab.md ("How to add a scenario") walks through this test line by line.
def test_a_resolver_that_answers_names_that_do_not_exist_is_reported(lab: Lab) -> None:
    sites = _world(lab)
    ads = lab.add_site("search-ads.local-lab.test")  # the page unknown names are sent to
    lab.resolver.rewrite_nxdomain(str(ads.ipv4))
    outcome = run(lab, _services(sites), injection_probes=[sites["probe"]])
    finding = outcome.finding("dns_nxdomain_rewrite")
    _check(outcome, finding is not None and finding["params"]["addresses"] == [ads.ipv4])
    for service in ("mail", "chat", "news", "shop"):
        _check(outcome, outcome.verdict(service) == "reachable")
    _check(outcome, outcome.status == "degraded" and outcome.exit_code == 1)
